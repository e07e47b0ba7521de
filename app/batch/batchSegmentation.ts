// Batch segmentation of a folder: a job in the project store (batch_jobs + one item per file),
// processed in model-sized batches, each image's result written to its item row as soon as its
// mask is on disk. A killed or cancelled job resumes where it stopped (finished images are
// skipped); damaged or unsupported files are recorded and skipped, never fatal. Jobs are prepared
// (folders, files, resume, output guard) in batchJobPreparation.ts.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { acquireRunLock } from '../store/runLock.js';
import { BatchUsageError } from './batchUsageError.js';
import type { BatchItemStatus, BatchJobRecord } from '../store/storeTypes.js';
import { decodeImageRgb, encodeMaskPng } from '../images/imageIO.js';
import type { RgbImage } from '../model/sam/transforms.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';
import type { InferenceEngine } from '../onnx/samOnnxLibrary.js';
import { maskClassStats } from './maskStats.js';
import { BATCH_JOB_KIND, batchJobLockFile, readBatchJobConfig, type BatchModelSource } from './batchJobRecord.js';
import { toJsonObject } from '../engine/runRecord.js';
import { predictImages } from './batchPredict.js';
import { encodeOverlayPng } from './overlay.js';
import { buildBatchReport, writeBatchReport, type BatchItemResult, type BatchReport, type ReportClass, type ReportFiles } from './batchReport.js';
import { checkBatchFolders, maskPaths } from './batchJobPreparation.js';

export { BATCH_JOB_KIND, batchJobLockFile, type BatchJobConfig, type BatchModelSource } from './batchJobRecord.js';
export { BatchUsageError } from './batchUsageError.js';
export { BatchOutputExistsError, type ExistingOutput } from './batchOutputGuard.js';
export { BATCH_IMAGE_EXTENSIONS, checkBatchFolders, findResumableJob, maskPaths, planBatchJob, prepareBatchJob, scanBatchInput, type BatchJobOptions, type BatchJobPlan, type ScannedInput } from './batchJobPreparation.js';

export interface BatchProgress {
  jobId: number;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  pending: number;
  /** File just finished (relative to the input), if any. */
  current: string | null;
  /** Over this session's images (so a resumed job's ETA is about what is left). */
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  elapsedSeconds: number;
}

export interface BatchRunResult {
  job: BatchJobRecord;
  progress: Record<BatchItemStatus, number>;
  report: BatchReport;
  reportFiles: ReportFiles | null;
  engine: string;
}

/** The class table (index 0 = background) that goes with the job's model. */
export interface OpenedBatchModel {
  engine: SegmentationEngine;
  classes: ReportClass[];
}

export async function openBatchModel(store: ProjectStore, model: BatchModelSource, opts: { engine?: InferenceEngine; onFallback?: (reason: string) => void } = {}): Promise<OpenedBatchModel> {
  // ONNX Runtime and tfjs load only when a job runs.
  const { initBackend } = await import('../tensor/backend.js');
  await initBackend();
  if (model.kind === 'run') {
    const { openRunSegmentation, projectClasses } = await import('../onnx/runExport.js');
    const engine = await openRunSegmentation(store, model.runId, { checkpoint: model.checkpoint ?? 'auto', engine: opts.engine, onFallback: opts.onFallback });
    return { engine, classes: projectClasses(store) };
  }
  const { OrtSegmenter } = await import('../onnx/ortSegmenter.js');
  let dir = resolve(model.path);
  if (existsSync(dir) && statSync(dir).isFile()) dir = dirname(dir);
  if (!existsSync(join(dir, 'model.json'))) throw new BatchUsageError(`${resolve(model.path)}: not an exported model (no model.json; export one with 'pasam model export')`);
  const engine = await OrtSegmenter.open(dir);
  return { engine, classes: engine.card.classes.map((c) => ({ index: c.index, name: c.name, color: c.color ?? '#ff00ff' })) };
}

function writeFileAtomic(file: string, bytes: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface RunBatchOptions {
  onProgress?: (p: BatchProgress) => void;
  /** Checked between batches; true stops the job (status 'cancelled', resumable). */
  shouldStop?: () => boolean;
  engine?: InferenceEngine;
  onFallback?: (reason: string) => void;
  /** Called with each finished item (tests, logs). */
  onItem?: (rel: string, status: BatchItemStatus, detail: string) => void;
}

/** Runs (or continues) job `jobId` until every item is done, failed or skipped, or until stopped. */
export async function runBatchJob(store: ProjectStore, jobId: number, opts: RunBatchOptions = {}): Promise<BatchRunResult> {
  const job0 = store.getBatchJob(jobId);
  if (!job0) throw new BatchUsageError(`no batch job with id ${jobId} in ${store.dir}`);
  if (job0.kind !== BATCH_JOB_KIND) throw new BatchUsageError(`batch job ${jobId} is a '${job0.kind}' job, not '${BATCH_JOB_KIND}'`);
  const cfg = readBatchJobConfig(job0);
  const release = acquireRunLock(batchJobLockFile(store.dir, jobId), (pid) => `batch job ${jobId} is being run by process ${pid}`);
  let opened: OpenedBatchModel | null = null;
  try {
    const { input, output } = checkBatchFolders(job0.source!, job0.output!);
    store.updateBatchJob(jobId, { status: 'running', error: null });
    try {
      opened = await openBatchModel(store, cfg.model, { engine: opts.engine, onFallback: opts.onFallback });
    } catch (err) {
      store.updateBatchJob(jobId, { status: 'failed', error: message(err) });
      throw err;
    }
    const { engine, classes } = opened;
    const all = store.listBatchJobItems(jobId);
    const maskOf = new Map<number, string>();
    maskPaths(all.map((i) => i.sourcePath)).forEach((m, k) => maskOf.set(all[k]!.id, m));
    const pending = all.filter((i) => i.status === 'pending');
    const counts = store.batchJobProgress(jobId);
    const total = all.length;
    const t0 = performance.now();
    let sessionDone = 0;
    const progress = (current: string | null): void => {
      const elapsed = (performance.now() - t0) / 1000;
      const rate = sessionDone > 0 && elapsed > 0 ? sessionDone / elapsed : null;
      opts.onProgress?.({ jobId, total, ...counts, current, imagesPerSecond: rate, etaSeconds: rate ? counts.pending / rate : null, elapsedSeconds: elapsed });
    };
    const finish = (rel: string, id: number, status: BatchItemStatus, result: BatchItemResult | null, error: string | null): void => {
      store.updateBatchJobItem(id, { status, result: result && toJsonObject(result), error });
      counts.pending--;
      counts[status]++;
      sessionDone++;
      opts.onItem?.(rel, status, error ?? result?.mask ?? '');
      progress(rel);
    };
    progress(null);
    let stopped = false;
    for (let i = 0; i < pending.length; i += engine.batchSize) {
      if (opts.shouldStop?.()) {
        stopped = true;
        break;
      }
      const chunk = pending.slice(i, i + engine.batchSize);
      const decoded: { item: (typeof chunk)[number]; img: RgbImage; ms: number }[] = [];
      for (const item of chunk) {
        const ts = performance.now();
        const path = join(input, ...item.sourcePath.split('/'));
        try {
          decoded.push({ item, img: await decodeImageRgb(readFileSync(path), path), ms: performance.now() - ts });
        } catch (err) {
          finish(item.sourcePath, item.id, 'failed', null, message(err));
        }
      }
      if (decoded.length === 0) continue;
      const tm = performance.now();
      let preds;
      try {
        preds = await predictImages(engine, decoded.map((d) => d.img));
      } catch (err) {
        // A model failure on one batch (e.g. an image too large for memory) fails those images only.
        for (const d of decoded) finish(d.item.sourcePath, d.item.id, 'failed', null, `${d.item.sourcePath}: segmentation failed (${message(err)})`);
        continue;
      }
      const modelShare = (performance.now() - tm) / decoded.length;
      for (let j = 0; j < decoded.length; j++) {
        const { item, img, ms } = decoded[j]!;
        const pred = preds[j]!;
        const ts = performance.now();
        try {
          const maskRel = maskOf.get(item.id)!;
          writeFileAtomic(join(output, ...maskRel.split('/')), encodeMaskPng(pred.map, img.width, img.height));
          let overlayRel: string | null = null;
          if (cfg.overlay) {
            overlayRel = `${cfg.overlayDir}/${maskRel}`;
            writeFileAtomic(join(output, ...overlayRel.split('/')), await encodeOverlayPng(img, pred.map, classes));
          }
          const stats = maskClassStats(pred.map, img.width, img.height, classes.length).filter((s) => s.pixels > 0);
          const defectPixels = stats.reduce((a, s) => a + s.pixels, 0);
          const result: BatchItemResult = {
            mask: maskRel,
            overlay: overlayRel,
            width: img.width,
            height: img.height,
            classes: stats,
            defectPixels,
            defectPercent: (100 * defectPixels) / (img.width * img.height),
            components: stats.reduce((a, s) => a + s.components, 0),
            meanConfidence: Number.isFinite(pred.meanConfidence) ? pred.meanConfidence : null,
            confidenceOver: pred.confidenceOver,
            ms: ms + modelShare + (performance.now() - ts),
          };
          finish(item.sourcePath, item.id, 'done', result, null);
        } catch (err) {
          finish(item.sourcePath, item.id, 'failed', null, `${item.sourcePath}: ${message(err)}`);
        }
      }
      // Let the event loop breathe between batches (serve answers requests while a job runs).
      await new Promise((r) => setImmediate(r));
    }
    const job = store.updateBatchJob(jobId, { status: stopped ? 'cancelled' : 'completed' });
    const report = buildBatchReport(job, store.listBatchJobItems(jobId), classes);
    const reportFiles = cfg.report ? writeBatchReport(report, cfg.report) : null;
    return { job, progress: store.batchJobProgress(jobId), report, reportFiles, engine: engine.engine };
  } catch (err) {
    const cur = store.getBatchJob(jobId);
    if (cur && cur.status === 'running') store.updateBatchJob(jobId, { status: 'failed', error: message(err) });
    throw err;
  } finally {
    opened?.engine.dispose();
    release();
  }
}

/** The job's report from its rows (e.g. for a job whose model can no longer be opened). */
export function batchJobReport(store: ProjectStore, jobId: number, classes: readonly ReportClass[]): BatchReport {
  const job = store.getBatchJob(jobId);
  if (!job) throw new BatchUsageError(`no batch job with id ${jobId}`);
  return buildBatchReport(job, store.listBatchJobItems(jobId), classes);
}

