// Batch segmentation of a folder: a job in the project store (batch_jobs + one item per file),
// processed in model-sized batches, each image's result written to its item row as soon as its
// mask is on disk. A killed or cancelled job resumes where it stopped (finished images are
// skipped); damaged or unsupported files are recorded and skipped, never fatal. The output folder
// can never be the input folder, lie inside it, or contain it.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { acquireRunLock } from '../store/runLock.js';
import { UsageError } from '../store/storeContext.js';
import type { BatchItemStatus, BatchJobRecord } from '../store/storeTypes.js';
import { walkFiles } from '../dataset/folderImport.js';
import { decodeImageRgb, encodeMaskPng } from '../images/imageIO.js';
import type { RgbImage } from '../model/sam/transforms.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';
import type { InferenceEngine } from '../onnx/samOnnxLibrary.js';
import { maskClassStats } from './maskStats.js';
import { BATCH_JOB_KIND, batchJobLockFile, readBatchJobConfig, readBatchJobConfigOrNull, type BatchJobConfig, type BatchModelSource } from './batchJobRecord.js';
import { toJsonObject } from '../engine/runRecord.js';
import { predictImages } from './batchPredict.js';
import { encodeOverlayPng } from './overlay.js';
import { buildBatchReport, writeBatchReport, type BatchItemResult, type BatchReport, type ReportClass, type ReportFiles } from './batchReport.js';

/** Files the job segments (the store's decoders read all of them; BMP through our own decoder). */
export const BATCH_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp'];

export { BATCH_JOB_KIND, batchJobLockFile, type BatchJobConfig, type BatchModelSource } from './batchJobRecord.js';

export interface BatchJobOptions {
  input: string;
  output: string;
  model: BatchModelSource;
  overlay?: boolean;
  recursive?: boolean;
  /** Report path (`x.csv`, `x.json` or a stem); null: no report files. */
  report?: string | null;
}

export class BatchUsageError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'BatchUsageError';
  }
}

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

const realOrResolved = (p: string): string => {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
};

const inside = (child: string, parent: string): boolean => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** Resolved folders, refusing an output that is, lies inside, or contains the input. */
export function checkBatchFolders(input: string, output: string): { input: string; output: string } {
  const inAbs = realOrResolved(input);
  if (!existsSync(inAbs) || !statSync(inAbs).isDirectory()) throw new BatchUsageError(`${resolve(input)}: no such folder`);
  const outAbs = realOrResolved(output);
  if (existsSync(outAbs) && !statSync(outAbs).isDirectory()) throw new BatchUsageError(`${outAbs}: exists and is not a folder`);
  if (outAbs === inAbs) throw new BatchUsageError(`the output folder must differ from the input folder (${inAbs})`);
  if (inside(outAbs, inAbs)) throw new BatchUsageError(`the output folder ${outAbs} lies inside the input folder ${inAbs}; choose a folder outside it`);
  if (inside(inAbs, outAbs)) throw new BatchUsageError(`the input folder ${inAbs} lies inside the output folder ${outAbs}; choose another output folder`);
  return { input: inAbs, output: outAbs };
}

export interface ScannedInput {
  rel: string;
  supported: boolean;
}

/** Files of the input folder ('/'-separated relative paths, sorted); hidden files are ignored. */
export function scanBatchInput(input: string, recursive: boolean): ScannedInput[] {
  const rels = recursive
    ? walkFiles(input).map((f) => f.rel)
    : readdirSync(input, { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.') && (e.isFile() || (e.isSymbolicLink() && statSync(join(input, e.name), { throwIfNoEntry: false })?.isFile())))
        .map((e) => e.name)
        .sort();
  return rels.map((rel) => ({ rel, supported: BATCH_IMAGE_EXTENSIONS.includes(extname(rel).toLowerCase()) }));
}

/** Mask paths (relative) for the items in id order: `a/b.jpg` → `a/b.png`; a later clash keeps the full name (`a/b.jpg.png`). */
export function maskPaths(rels: readonly string[]): string[] {
  const taken = new Set<string>();
  return rels.map((rel) => {
    let out = rel.slice(0, rel.length - extname(rel).length) + '.png';
    if (taken.has(out)) out = rel + '.png';
    taken.add(out);
    return out;
  });
}

function modelKey(m: BatchModelSource): string {
  return m.kind === 'run' ? `run:${m.runId}:${m.checkpoint ?? 'auto'}` : `model:${realOrResolved(m.path)}`;
}

/** The unfinished job of the same folders, model and options, if any (it is resumed, not restarted). */
export function findResumableJob(store: ProjectStore, input: string, output: string, cfg: Pick<BatchJobConfig, 'model' | 'recursive' | 'overlay'>): BatchJobRecord | null {
  const jobs = store.listBatchJobs().filter((j) => j.kind === BATCH_JOB_KIND && j.status !== 'completed' && j.source === input && j.output === output);
  for (const j of jobs.reverse()) {
    const c = readBatchJobConfigOrNull(j);
    if (c && c.model.key === cfg.model.key && c.recursive === cfg.recursive && c.overlay === cfg.overlay) return j;
  }
  return null;
}

/**
 * Creates the job for `opts`, or reopens the unfinished job with the same folders, model and
 * options (adding files that appeared since). Unsupported files become 'skipped' items.
 */
export function prepareBatchJob(store: ProjectStore, opts: BatchJobOptions): { job: BatchJobRecord; resumed: boolean; added: number } {
  const { input, output } = checkBatchFolders(opts.input, opts.output);
  const recursive = opts.recursive ?? false;
  const overlay = opts.overlay ?? false;
  const model = { ...opts.model, key: modelKey(opts.model) } as BatchJobConfig['model'];
  if (model.kind === 'model') model.path = realOrResolved(model.path);
  else if (!store.getRun(model.runId)) throw new BatchUsageError(`no training run with id ${model.runId} in ${store.dir}`);
  const files = scanBatchInput(input, recursive);
  if (files.length === 0) throw new BatchUsageError(`${input}: no files to segment${recursive ? '' : ' (sub-folders are read with --recursive)'}`);
  const existing = findResumableJob(store, input, output, { model, recursive, overlay });
  if (existing) {
    const known = new Set(store.listBatchJobItems(existing.id).map((i) => i.sourcePath));
    const fresh = files.filter((f) => !known.has(f.rel));
    addItems(store, existing.id, fresh);
    return { job: existing, resumed: true, added: fresh.length };
  }
  const topLevel = new Set(files.map((f) => f.rel.split('/')[0]!));
  let overlayDir = 'overlays';
  for (let n = 2; topLevel.has(overlayDir); n++) overlayDir = `overlays-${n}`;
  const config: BatchJobConfig = { model, recursive, overlay, overlayDir, report: opts.report ? resolve(opts.report) : null };
  const job = store.transaction(() => {
    const j = store.createBatchJob({ kind: BATCH_JOB_KIND, source: input, output, config: toJsonObject(config) });
    addItems(store, j.id, files);
    return j;
  });
  return { job, resumed: false, added: files.length };
}

function addItems(store: ProjectStore, jobId: number, files: readonly ScannedInput[]): void {
  if (files.length === 0) return;
  store.transaction(() => {
    store.addBatchJobItems(jobId, files.map((f) => f.rel));
    const unsupported = new Set(files.filter((f) => !f.supported).map((f) => f.rel));
    if (unsupported.size === 0) return;
    for (const it of store.listBatchJobItems(jobId, { status: 'pending' })) {
      if (unsupported.has(it.sourcePath)) store.updateBatchJobItem(it.id, { status: 'skipped', error: `${it.sourcePath}: unsupported file type '${extname(it.sourcePath) || '(none)'}' (expected ${BATCH_IMAGE_EXTENSIONS.join(' ')})` });
    }
  });
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

