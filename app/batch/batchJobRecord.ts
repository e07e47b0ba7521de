// Typed readers of what a batch job keeps in SQLite: batch_jobs.config (written by
// prepareBatchJob) and batch_job_items.result (one finished image). The store keeps free JSON;
// the shape is checked here, once, where it is read back, so no caller casts.
import { join } from 'node:path';
import type { BatchJobItemRecord, BatchJobRecord, JsonObject } from '../store/storeTypes.js';
import type { BatchItemResult } from './batchReport.js';
import type { ClassStats } from './maskStats.js';

export const BATCH_JOB_KIND = 'segment-folder';

/** The lock file of a running batch job (see store/runLock.ts). */
export function batchJobLockFile(projectDir: string, jobId: number): string {
  return join(projectDir, 'batch', `job-${jobId}.lock`);
}

export type BatchModelSource = { kind: 'run'; runId: number; checkpoint?: 'best' | 'last' | 'auto' } | { kind: 'model'; path: string };

/** What a job keeps in batch_jobs.config. */
export interface BatchJobConfig {
  model: BatchModelSource & { key: string };
  recursive: boolean;
  overlay: boolean;
  /** Folder (relative to the output) holding the overlays. */
  overlayDir: string;
  report: string | null;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readModel(v: unknown): BatchJobConfig['model'] | null {
  if (!isObject(v) || typeof v.key !== 'string') return null;
  if (v.kind === 'run' && isNumber(v.runId)) {
    const checkpoint = v.checkpoint === 'best' || v.checkpoint === 'last' || v.checkpoint === 'auto' ? v.checkpoint : undefined;
    return { kind: 'run', runId: v.runId, ...(checkpoint ? { checkpoint } : {}), key: v.key };
  }
  if (v.kind === 'model' && typeof v.path === 'string') return { kind: 'model', path: v.path, key: v.key };
  return null;
}

/** A job's config, or an error naming the job when the row does not hold one. */
export function readBatchJobConfig(job: Pick<BatchJobRecord, 'id' | 'config'>): BatchJobConfig {
  const c = job.config;
  const model = readModel(c.model);
  if (!model || typeof c.recursive !== 'boolean' || typeof c.overlay !== 'boolean' || typeof c.overlayDir !== 'string' || (c.report !== null && typeof c.report !== 'string')) {
    throw new Error(`batch job ${job.id}: stored config is not a segment-folder job config`);
  }
  return { model, recursive: c.recursive, overlay: c.overlay, overlayDir: c.overlayDir, report: c.report };
}

/** readBatchJobConfig, or null for a row that does not hold one (listings show such jobs, not fail). */
export function readBatchJobConfigOrNull(job: Pick<BatchJobRecord, 'id' | 'config'>): BatchJobConfig | null {
  try {
    return readBatchJobConfig(job);
  } catch {
    return null;
  }
}

function readClassStats(v: unknown): ClassStats[] | null {
  if (!Array.isArray(v)) return null;
  const out: ClassStats[] = [];
  for (const c of v) {
    if (!isObject(c) || !isNumber(c.index) || !isNumber(c.pixels) || !isNumber(c.components)) return null;
    out.push({ index: c.index, pixels: c.pixels, components: c.components });
  }
  return out;
}

/** The result of a finished item, or null when the item has none (pending, failed, skipped) or it is malformed. */
export function readBatchItemResult(item: Pick<BatchJobItemRecord, 'status' | 'result'>): BatchItemResult | null {
  const r = item.status === 'done' ? item.result : null;
  if (!r) return null;
  const classes = readClassStats(r.classes);
  const { mask, width, height, defectPixels, defectPercent, components, ms } = r;
  if (!classes || typeof mask !== 'string' || !isNumber(width) || !isNumber(height) || !isNumber(defectPixels) || !isNumber(defectPercent) || !isNumber(components) || !isNumber(ms)) return null;
  return {
    mask,
    overlay: typeof r.overlay === 'string' ? r.overlay : null,
    width,
    height,
    classes,
    defectPixels,
    defectPercent,
    components,
    meanConfidence: isNumber(r.meanConfidence) ? r.meanConfidence : null,
    confidenceOver: r.confidenceOver === 'defect' ? 'defect' : 'all',
    ms,
  };
}
