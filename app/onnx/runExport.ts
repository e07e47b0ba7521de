// Exports a training run's PA-SAM (its best or last checkpoint) as one ONNX graph plus model.json,
// optionally as a Triton model repository; and keeps an export per checkpoint under
// <project>/runs/<id>/onnx/<kind>/ so that segmentation runs through ONNX Runtime (re-exported
// when the checkpoint changes).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { loadRunSegmenter } from '../engine/runModel.js';
import { autoCheckpointKind, checkpointDir, hasCheckpoint, readCheckpointMeta, runDir, type CheckpointKind } from '../engine/runCheckpoint.js';
import { PasamModel } from '../model/pasam/pasamModel.js';
import { MODEL_CARD_FORMAT, MODEL_CARD_VERSION, readModelCard, samPreprocessing, tilingCard, writeModelCard, type ClassEntry, type ModelCard } from './modelCard.js';
import { readOnnxSignature } from './onnxSignature.js';
import { buildPasamGraph } from './pasamExport.js';
import { writeModel } from './samExport.js';
import { OrtSegmenter, TfjsSegmenter, type SegmentationEngine } from './ortSegmenter.js';
import { TRITON_NAME, writeTritonRepository, type TritonModelSpec, type TritonRepositoryResult } from './tritonRepository.js';
import { inferenceEngine, type InferenceEngine } from './samOnnxLibrary.js';

/** Which checkpoint 'auto' means: best when the run has one, else last. */
export function resolveCheckpointKind(store: ProjectStore, runId: number, kind: CheckpointKind | 'auto'): CheckpointKind {
  return kind !== 'auto' ? kind : autoCheckpointKind(store.dir, runId);
}

/** The class table: background (0) then the project's classes. */
export function projectClasses(store: ProjectStore): ClassEntry[] {
  return [{ index: 0, name: 'background', color: '#000000' }, ...store.listClasses().map((c) => ({ index: c.index, name: c.name, color: c.color }))];
}

/** The data version a run trained on: its mask versions per split and their digest. */
function dataVersion(store: ProjectStore, runId: number): { maskVersions: number; perSplit: Record<string, number>; sha256: string } {
  const used = store.runMaskVersions(runId);
  const perSplit: Record<string, number> = {};
  for (const u of used) perSplit[u.split] = (perSplit[u.split] ?? 0) + 1;
  const sha256 = createHash('sha256').update(used.map((u) => `${u.maskVersionId}:${u.split}`).join('\n')).digest('hex');
  return { maskVersions: used.length, perSplit, sha256 };
}

export interface RunExportResult {
  dir: string;
  modelPath: string;
  card: ModelCard;
  checkpoint: CheckpointKind;
}

/** Writes `<outDir>/model.onnx` (+ `.data` above 1.8 GB) and `<outDir>/model.json` for a run. */
export async function exportRunOnnx(store: ProjectStore, runId: number, outDir: string, opts: { checkpoint?: CheckpointKind | 'auto'; externalDataAboveBytes?: number } = {}): Promise<RunExportResult> {
  const kind = resolveCheckpointKind(store, runId, opts.checkpoint ?? 'auto');
  const loaded = await loadRunSegmenter(store, runId, kind);
  try {
    if (!(loaded.model instanceof PasamModel)) throw new Error(`run ${runId}: only PA-SAM models can be exported to ONNX (this run's model is '${loaded.model.describe().kind}')`);
    const model = loaded.model;
    const dir = resolve(outDir);
    mkdirSync(dir, { recursive: true });
    const modelPath = join(dir, 'model.onnx');
    const run = store.getRun(runId)!;
    const d = model.describe();
    const classes = projectClasses(store);
    if (classes.length !== d.numClasses) throw new Error(`run ${runId}: the model has ${d.numClasses} classes, the project now ${classes.length} (incl. background)`);
    writeModel(buildPasamGraph(model), modelPath, opts.externalDataAboveBytes, { run: String(runId), checkpoint: kind, classes: JSON.stringify(classes.map((c) => c.name)) });
    const sig = readOnnxSignature(modelPath);
    const evals = (run.metrics as { eval?: Record<string, unknown> }).eval ?? {};
    const card: ModelCard = {
      format: MODEL_CARD_FORMAT,
      formatVersion: MODEL_CARD_VERSION,
      kind: 'pasam',
      name: run.name,
      files: { model: 'model.onnx' },
      signatures: { model: { inputs: sig.inputs, outputs: sig.outputs } },
      preprocessing: samPreprocessing(d.inputSize, d.pixelMean, d.pixelStd),
      ...(loaded.tiling ? { tiling: tilingCard(loaded.tiling) } : {}),
      postprocessing:
        `logits (B, K+1, ${d.logitsSize}, ${d.logitsSize}): resize bilinearly (half-pixel) to ${d.inputSize}×${d.inputSize}, crop to the resized image (the padding is bottom/right), ` +
        'resize bilinearly to the original size, argmax over the classes. labels (B, S, S) is that argmax before the crop, for quick use.',
      classes,
      source: {
        backbone: loaded.meta.config.model.base ?? loaded.meta.config.model.preset ?? 'unknown',
        run: String(runId),
        project: store.dir,
        checkpoint: loaded.checkpointPath,
        dataVersion: JSON.stringify(dataVersion(store, runId)),
        config: loaded.meta.config,
        checkpointSha256: loaded.meta.dataSha256,
        epoch: loaded.meta.position.epochsDone,
      } as ModelCard['source'],
      metrics: { test: evals.test ?? null, validation: loaded.meta.metrics ?? null, evaluations: evals },
      onnx: { opset: sig.opset, irVersion: sig.irVersion, producer: 'pasam-workstation' },
      exportedAt: new Date().toISOString(),
    };
    writeModelCard(dir, card);
    return { dir, modelPath, card, checkpoint: kind };
  } finally {
    loaded.model.dispose();
  }
}

/** A Triton model repository from an export folder (one PA-SAM model, or SAM's encoder + decoder). */
export function tritonFromExport(exportDir: string, repository: string, opts: { name: string; maxBatchSize?: number; instanceKind?: 'KIND_GPU' | 'KIND_CPU' }): TritonRepositoryResult {
  const card = readModelCard(join(exportDir, 'model.json'));
  const specs: TritonModelSpec[] = Object.entries(card.files).map(([role, file]) => ({
    name: role === 'model' ? opts.name : `${opts.name}_${role}`,
    onnxPath: join(exportDir, file),
    maxBatchSize: opts.maxBatchSize,
    instanceKind: opts.instanceKind,
  }));
  const result = writeTritonRepository(repository, specs);
  // The card travels with every model, for clients (preprocessing, classes).
  for (const m of result.models) copyFileSync(join(exportDir, 'model.json'), join(m.dir, 'model.json'));
  return result;
}

export type RunExportFormat = 'onnx' | 'triton';

export interface RunExportOptions {
  format: RunExportFormat;
  /** Folder to write; must be empty or not exist. */
  out: string;
  checkpoint?: CheckpointKind | 'auto';
  /** Triton model name (default pasam_run<id>). */
  name?: string;
  maxBatchSize?: number;
  instanceKind?: 'KIND_GPU' | 'KIND_CPU';
}

export interface RunExportSummary {
  runId: number;
  format: RunExportFormat;
  out: string;
  checkpoint: CheckpointKind;
  inputSize: number;
  classes: string[];
  /** The ONNX graph written (inside the Triton repository for 'triton'). */
  modelPath: string;
  triton: TritonRepositoryResult | null;
}

/** Checks an export destination: an empty or missing folder (nothing of the user's is overwritten). */
export function checkExportFolder(out: string): string {
  const dir = resolve(out);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) throw new Error(`${dir} is not an empty folder; choose an empty or new folder for the export`);
  return dir;
}

/** `pasam model export --run`, and the Runs page's Export: a run as ONNX + model.json, or as a Triton repository. */
export async function exportRunAs(store: ProjectStore, runId: number, opts: RunExportOptions): Promise<RunExportSummary> {
  const out = checkExportFolder(opts.out);
  const name = opts.name ?? `pasam_run${runId}`;
  if (!TRITON_NAME.test(name)) throw new Error(`a Triton model name may only use letters, digits, '_', '-' and '.', got '${name}'`);
  const exportTo = opts.format === 'onnx' ? out : join(out, '.export');
  const r = await exportRunOnnx(store, runId, exportTo, { checkpoint: opts.checkpoint ?? 'auto' });
  const base = { runId, format: opts.format, out, checkpoint: r.checkpoint, inputSize: r.card.preprocessing.inputSize, classes: r.card.classes.map((c) => c.name) };
  if (opts.format === 'onnx') return { ...base, modelPath: r.modelPath, triton: null };
  try {
    const repo = tritonFromExport(exportTo, out, { name, maxBatchSize: opts.maxBatchSize, instanceKind: opts.instanceKind });
    return { ...base, modelPath: join(repo.models[0]!.dir, '1', 'model.onnx'), triton: repo };
  } finally {
    await rm(exportTo, { recursive: true, force: true });
  }
}

export function runOnnxDir(store: ProjectStore, runId: number, kind: CheckpointKind): string {
  return join(runDir(store.dir, runId), 'onnx', kind);
}

/** The run's cached export for its checkpoint, exported now when missing or stale. */
export async function ensureRunOnnx(store: ProjectStore, runId: number, kind: CheckpointKind | 'auto' = 'auto'): Promise<{ dir: string; exported: boolean }> {
  const k = resolveCheckpointKind(store, runId, kind);
  const ckDir = checkpointDir(store.dir, runId, k);
  if (!hasCheckpoint(ckDir)) throw new Error(`run ${runId} has no ${k} checkpoint (${ckDir})`);
  const sha = readCheckpointMeta(ckDir).dataSha256;
  const dir = runOnnxDir(store, runId, k);
  if (existsSync(join(dir, 'model.json'))) {
    try {
      const card = readModelCard(join(dir, 'model.json'));
      if ((card.source as { checkpointSha256?: string }).checkpointSha256 === sha && existsSync(join(dir, card.files.model ?? 'model.onnx'))) return { dir, exported: false };
    } catch {
      // A damaged cache entry is re-exported below.
    }
  }
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await exportRunOnnx(store, runId, tmp, { checkpoint: k });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, exported: true };
}

/**
 * The segmentation engine for a run: ONNX Runtime over the run's (on-demand) export, or the tfjs
 * model (engine 'tfjs', PASAM_INFERENCE=tfjs, or when the export/ONNX Runtime fails in 'auto').
 */
export async function openRunSegmentation(
  store: ProjectStore,
  runId: number,
  opts: { checkpoint?: CheckpointKind | 'auto'; engine?: InferenceEngine; batchSize?: number; onFallback?: (reason: string) => void } = {},
): Promise<SegmentationEngine> {
  const engine = inferenceEngine(opts.engine);
  const kind = resolveCheckpointKind(store, runId, opts.checkpoint ?? 'auto');
  if (engine !== 'tfjs') {
    try {
      const { dir, exported } = await ensureRunOnnx(store, runId, kind);
      try {
        return await OrtSegmenter.open(dir, { batchSize: opts.batchSize });
      } catch (err) {
        if (exported) throw err;
        // A damaged cached export: export again, once.
        opts.onFallback?.(`re-exporting: ${(err as Error).message}`);
        await rm(dir, { recursive: true, force: true });
        const again = await ensureRunOnnx(store, runId, kind);
        return await OrtSegmenter.open(again.dir, { batchSize: opts.batchSize });
      }
    } catch (err) {
      if (engine === 'onnx') throw err;
      opts.onFallback?.((err as Error).message);
    }
  }
  const loaded = await loadRunSegmenter(store, runId, kind);
  return new TfjsSegmenter(loaded.model, opts.batchSize, loaded.tiling);
}
