import { join } from 'node:path';
import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { formatSeconds } from '../../engine/trainEvents.js';
import type { BatchModelSource, BatchProgress } from '../../batch/batchSegmentation.js';
import { batchOutcome, batchOutcomeLabel } from '../../batch/batchOutcome.js';

export const segmentCommand: CliCommand = {
  name: 'segment',
  usage: [
    'pasam segment <dir> --run <id>|--model <exported> <inputFolder> <outputFolder>',
    '              [--overlay] [--report report.csv] [--recursive] [--overwrite] [--checkpoint best|last] [--engine auto|onnx|tfjs] [--json]',
    '',
    'Writes one 8-bit class-index PNG (value = class, 0 = background) per image of <inputFolder>',
    '(png/jpg/bmp/tif/webp; sub-folders with --recursive), at the image’s original size, to the same',
    'relative path under <outputFolder> with a .png extension. The output folder may not be the input',
    'folder, lie inside it or contain it.',
    '',
    '  --run <id>         a training run of project <dir> (best checkpoint, else last; --checkpoint)',
    '  --model <path>     an exported model folder (model.json + model.onnx, from `pasam model export`)',
    '  --overlay          also write colour overlays under <outputFolder>/overlays/',
    '  --report <file>    write <file>.csv (per image: classes present, defect pixels and percent,',
    '                     8-connected components, mean confidence, time), <file>-classes.csv (per',
    '                     class summary) and <file>.json (all of it)',
    '  --recursive        include sub-folders',
    '  --overwrite        replace masks, overlays and report files already in <outputFolder>; without',
    '                     it a new job that would replace any of them stops before writing anything',
    '                     (exit 2). Other files there are never touched.',
    '',
    'The job is recorded in the project: running the same command again after an interruption',
    'resumes it, skipping finished images. Damaged files are reported and skipped (exit 1);',
    'unsupported files are reported as skipped. Runs use ONNX Runtime (the run is exported once, cached',
    'under <dir>/runs/<id>/onnx/); --engine tfjs (or PASAM_INFERENCE=tfjs) uses the tfjs model, which is',
    'also the fallback when ONNX Runtime fails. Mean confidence = mean max-softmax probability over the',
    'pixels predicted as defects, or over all pixels when an image has none.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { run: { type: 'string' }, model: { type: 'string' }, checkpoint: { type: 'string' }, engine: { type: 'string' }, overlay: { type: 'boolean' }, report: { type: 'string' }, recursive: { type: 'boolean' }, overwrite: { type: 'boolean' } },
      { min: 3, max: 3 },
    );
    const runArg = stringOption(values, 'run');
    const modelArg = stringOption(values, 'model');
    if ((runArg === undefined) === (modelArg === undefined)) throw new UsageError('give either --run <id> or --model <exported model folder>');
    const kind = stringOption(values, 'checkpoint') ?? 'auto';
    if (!['best', 'last', 'auto'].includes(kind)) throw new UsageError(`--checkpoint must be best or last, got '${kind}'`);
    const engineArg = stringOption(values, 'engine');
    if (engineArg !== undefined && !['auto', 'onnx', 'tfjs'].includes(engineArg)) throw new UsageError(`--engine must be auto, onnx or tfjs, got '${engineArg}'`);
    const model: BatchModelSource = runArg !== undefined ? { kind: 'run', runId: parseIntOption('run', runArg, 0), checkpoint: kind as 'best' | 'last' | 'auto' } : { kind: 'model', path: modelArg! };
    const [dir, input, output] = positionals as [string, string, string];
    const { prepareBatchJob, runBatchJob, BatchUsageError, BatchOutputExistsError } = await import('../../batch/batchSegmentation.js');
    const store = ProjectStore.open(dir);
    try {
      let prepared;
      try {
        prepared = prepareBatchJob(store, { input, output, model, overlay: values.overlay === true, recursive: values.recursive === true, report: stringOption(values, 'report') ?? null, overwrite: values.overwrite === true });
      } catch (err) {
        if (err instanceof BatchOutputExistsError) throw new UsageError(`${err.message}. Add --overwrite to replace them, or write to another folder (e.g. ${err.freeOutput}).`);
        if (err instanceof BatchUsageError) throw new UsageError(err.message);
        throw err;
      }
      const { job } = prepared;
      if (prepared.resumed) io.err(`resuming batch job ${job.id} (${store.batchJobProgress(job.id).pending} of ${store.listBatchJobItems(job.id).length} files left${prepared.added ? `, ${prepared.added} new` : ''})`);
      const tty = Boolean(process.stderr.isTTY) && !values.json;
      let lastLine = 0;
      const onProgress = (p: BatchProgress): void => {
        if (!tty) return;
        const now = Date.now();
        if (now - lastLine < 500 && p.pending > 0) return;
        lastLine = now;
        process.stderr.write(`\r${p.done + p.failed + p.skipped}/${p.total} segmented${p.failed ? `, ${p.failed} failed` : ''}` + (p.imagesPerSecond ? ` · ${p.imagesPerSecond.toFixed(2)} img/s · ETA ${formatSeconds(p.etaSeconds ?? 0)}` : '') + '   ' + (p.pending === 0 ? '\n' : ''));
      };
      const result = await runBatchJob(store, job.id, {
        engine: engineArg as 'auto' | 'onnx' | 'tfjs' | undefined,
        onFallback: (reason) => io.err(`ONNX Runtime not used (${reason}); segmenting with tfjs`),
        onProgress,
        onItem: (rel, status, detail) => {
          if (status === 'done' && !values.json && !tty) io.out(`${rel} → ${detail}`);
          if (status !== 'done') io.err(`${status === 'failed' ? 'failed' : 'skipped'} ${detail}`);
        },
      });
      const outDir = result.job.output!;
      const inDir = result.job.source!;
      const images = result.report.images;
      const written = images.filter((i) => i.status === 'done').map((i) => ({ input: join(inDir, i.file), output: join(outDir, i.mask!), overlay: i.overlay ? join(outDir, i.overlay) : null, width: i.width, height: i.height }));
      const failed = images.filter((i) => i.status === 'failed').map((i) => ({ input: join(inDir, i.file), error: i.error ?? 'failed' }));
      const skipped = images.filter((i) => i.status === 'skipped').map((i) => ({ input: join(inDir, i.file), error: i.error ?? 'skipped' }));
      if (values.json) {
        io.out(JSON.stringify({ jobId: result.job.id, resumed: prepared.resumed, runId: model.kind === 'run' ? model.runId : null, model: model.kind === 'model' ? model.path : null, engine: result.engine, written, failed, skipped, report: result.reportFiles, totals: result.report.totals, perClass: result.report.perClass }, null, 2));
      } else {
        // The same words as the Batch page: "completed with 1 failure", never a plain "completed".
        const outcome = batchOutcome({ status: result.job.status, live: false, interrupted: false, failed: failed.length });
        io.out(`${batchOutcomeLabel(outcome, failed.length)}: ${written.length} mask(s) written to ${outDir}${failed.length ? `, ${failed.length} image(s) failed` : ''}${skipped.length ? `, ${skipped.length} file(s) skipped` : ''}`);
        if (result.reportFiles) io.out(`report: ${result.reportFiles.csv}, ${result.reportFiles.classesCsv}, ${result.reportFiles.json}`);
      }
      return failed.length ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
