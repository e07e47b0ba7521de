// `pasam model export`: a run's PA-SAM, or a library SAM (the annotator's interactive model), as
// ONNX + model.json, or as a Triton Inference Server model repository.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type CliIO } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import type { TritonRepositoryResult } from '../../onnx/tritonRepository.js';

export const MODEL_EXPORT_USAGE = `pasam model export <project> --run <id> --format onnx|triton --out <folder> [--checkpoint best|last]
                   [--name <triton model name>] [--max-batch N] [--cpu] [--json]
pasam model export --sam <library model> [--size S] --format onnx|triton --out <folder> [--name …] [--json]

export  Writes the fine-tuned PA-SAM of a training run (encoder with MSPCA-LoRA, IPEG, multi-class
        decoder) as ONE ONNX graph with a fixed input size (model.onnx, weights in model.onnx.data
        above 1.8 GB) plus model.json (preprocessing, classes, run, data version, test metrics).
        With --sam, SAM's encoder and prompt-encoder/decoder (encoder.onnx, decoder.onnx).
        --format triton  a Triton model repository: <out>/<name>/config.pbtxt and
                         <out>/<name>/1/model.onnx (SAM: <name>_encoder and <name>_decoder)
        --name       Triton model name (default 'pasam_run<id>' or the SAM model's name)
        --max-batch  largest batch Triton's dynamic batcher forms (default 8)
        --cpu        Triton instances on CPU instead of GPU
        --out must be empty or not exist.`;

export async function runModelExport(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      run: { type: 'string' },
      sam: { type: 'string' },
      size: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      checkpoint: { type: 'string' },
      name: { type: 'string' },
      'max-batch': { type: 'string' },
      cpu: { type: 'boolean' },
    },
    { min: 0, max: 1 },
  );
  if (values.help) {
    io.out(MODEL_EXPORT_USAGE);
    return 0;
  }
  const format = stringOption(values, 'format') ?? 'onnx';
  if (format !== 'onnx' && format !== 'triton') throw new UsageError(`--format must be onnx or triton, got '${format}'`);
  const outArg = stringOption(values, 'out');
  if (!outArg) throw new UsageError('--out <folder> is required');
  const out = resolve(outArg);
  if (existsSync(out) && readdirSync(out).length > 0) throw new UsageError(`--out ${out} is not empty`);
  const runArg = stringOption(values, 'run');
  const samName = stringOption(values, 'sam');
  if ((runArg === undefined) === (samName === undefined)) throw new UsageError('give either <project> --run <id> or --sam <library model>');
  const checkpoint = stringOption(values, 'checkpoint') ?? 'auto';
  if (!['best', 'last', 'auto'].includes(checkpoint)) throw new UsageError(`--checkpoint must be best or last, got '${checkpoint}'`);
  const maxBatch = parseIntOption('max-batch', stringOption(values, 'max-batch'), 8);
  const nameArg = stringOption(values, 'name');
  const { TRITON_NAME } = await import('../../onnx/tritonRepository.js');
  if (nameArg !== undefined && !TRITON_NAME.test(nameArg)) throw new UsageError(`--name may only use letters, digits, '_', '-' and '.', got '${nameArg}'`);
  const started = Date.now();

  // Heavy modules only for this sub-command (tfjs, ONNX Runtime).
  const { initBackend } = await import('../../tensor/backend.js');
  await initBackend();
  const instanceKind = values.cpu ? 'KIND_CPU' : 'KIND_GPU';
  let summary: Record<string, unknown>;
  if (runArg !== undefined) {
    if (positionals.length !== 1) throw new UsageError('missing <project> folder');
    const runId = parseIntOption('run', runArg, 0);
    const { ProjectStore } = await import('../../store/projectStore.js');
    const { exportRunAs } = await import('../../onnx/runExport.js');
    const store = ProjectStore.open(positionals[0]!);
    try {
      const r = await exportRunAs(store, runId, { format, out, checkpoint: checkpoint as 'best' | 'last' | 'auto', name: nameArg, maxBatchSize: maxBatch, instanceKind });
      summary = { kind: 'pasam', run: runId, checkpoint: r.checkpoint, inputSize: r.inputSize, classes: r.classes, files: { model: 'model.onnx' } };
      if (r.triton) summary = { ...summary, triton: tritonSummary(r.triton) };
    } finally {
      store.close();
    }
  } else {
    summary = await exportLibrarySam(samName!, positionals, stringOption(values, 'size'), { format, out, nameArg, maxBatch, instanceKind });
  }
  summary = { ...summary, format, out, seconds: (Date.now() - started) / 1000 };
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else if (format === 'triton') io.out(`Triton repository written to ${out}; serve it with: tritonserver --model-repository=${out}`);
  else io.out(`ONNX export written to ${out} (model.json describes the preprocessing and classes)`);
  return 0;
}

/** --sam: a library SAM's encoder and decoder as ONNX, or as a Triton repository of both. */
async function exportLibrarySam(
  samName: string,
  positionals: string[],
  sizeText: string | undefined,
  o: { format: 'onnx' | 'triton'; out: string; nameArg: string | undefined; maxBatch: number; instanceKind: 'KIND_CPU' | 'KIND_GPU' },
): Promise<Record<string, unknown>> {
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' with --sam`);
  const size = sizeText === undefined ? undefined : parseIntOption('size', sizeText, 1024);
  if (size !== undefined && size % 16 !== 0) throw new UsageError(`--size must be a multiple of 16, got ${size}`);
  const { tritonFromExport } = await import('../../onnx/runExport.js');
  const { ensureSamOnnx } = await import('../../onnx/samOnnxLibrary.js');
  const exportTo = o.format === 'onnx' ? o.out : resolve(o.out, '.export');
  const { dir, card } = await ensureSamOnnx(samName, { inputSize: size });
  cpSync(dir, exportTo, { recursive: true });
  const summary: Record<string, unknown> = { kind: 'sam', model: samName, inputSize: card.preprocessing.inputSize, files: card.files };
  if (o.format === 'onnx') return summary;
  const repo = tritonFromExport(exportTo, o.out, { name: o.nameArg ?? samName.replace(/[^A-Za-z0-9_.-]/g, '_'), maxBatchSize: o.maxBatch, instanceKind: o.instanceKind });
  rmSync(exportTo, { recursive: true, force: true });
  return { ...summary, triton: tritonSummary(repo) };
}

const tritonSummary = (repo: TritonRepositoryResult) => ({ repository: repo.repository, models: repo.models.map((m) => ({ name: m.name, dir: m.dir, batched: m.batched })) });
