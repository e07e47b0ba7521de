// Batch job records: one row per job (a folder segmentation) and one per input file, with each
// item's status and result. The job's config and item results are free JSON here; their typed
// readers live with the producer (app/batch/batchSegmentation.ts).
import { json, lifecycleStamps, now, parseJson, StoreError, type StoreContext } from './storeContext.js';
import type { BatchItemStatus, BatchJobItemRecord, BatchJobRecord, JsonObject, RunStatus } from './storeTypes.js';

// Rows come straight from SQLite; the converters name every column they read.
type Row = Record<string, any>;

const toBatchJob = (r: Row): BatchJobRecord => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  checkpointId: r.checkpoint_id,
  source: r.source,
  output: r.output,
  config: parseJson(r.config),
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const toBatchItem = (r: Row): BatchJobItemRecord => ({
  id: r.id,
  jobId: r.job_id,
  sourcePath: r.source_path,
  imageId: r.image_id,
  status: r.status,
  result: r.result == null ? null : (JSON.parse(r.result) as JsonObject),
  error: r.error,
  updatedAt: r.updated_at,
});

export function createBatchJob(s: StoreContext, j: { kind: string; checkpointId?: number | null; source?: string | null; output?: string | null; config?: JsonObject; items?: string[] }): BatchJobRecord {
  return s.transaction(() => {
    const t = now();
    const id = Number(
      s.sql('INSERT INTO batch_jobs (kind, status, checkpoint_id, source, output, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(j.kind, 'queued', j.checkpointId ?? null, j.source ?? null, j.output ?? null, json(j.config), t).lastInsertRowid,
    );
    const ins = s.sql('INSERT INTO batch_job_items (job_id, source_path, updated_at) VALUES (?, ?, ?)');
    for (const p of j.items ?? []) ins.run(id, p, t);
    return getBatchJob(s, id)!;
  });
}

export function getBatchJob(s: StoreContext, id: number): BatchJobRecord | null {
  const r = s.sql('SELECT * FROM batch_jobs WHERE id = ?').get(id) as Row | undefined;
  return r ? toBatchJob(r) : null;
}

export function listBatchJobs(s: StoreContext): BatchJobRecord[] {
  return (s.sql('SELECT * FROM batch_jobs ORDER BY id').all() as Row[]).map(toBatchJob);
}

export function updateBatchJob(s: StoreContext, id: number, u: { status?: RunStatus; error?: string | null }): BatchJobRecord {
  const cur = getBatchJob(s, id);
  if (!cur) throw new StoreError(`no batch job with id ${id}`);
  const status = u.status ?? cur.status;
  const { startedAt, finishedAt } = lifecycleStamps(cur, status);
  s.sql('UPDATE batch_jobs SET status = ?, error = ?, started_at = ?, finished_at = ? WHERE id = ?').run(status, u.error === undefined ? cur.error : u.error, startedAt, finishedAt, id);
  return getBatchJob(s, id)!;
}

export function addBatchJobItems(s: StoreContext, jobId: number, sourcePaths: string[]): number {
  const ins = s.sql('INSERT INTO batch_job_items (job_id, source_path, updated_at) VALUES (?, ?, ?)');
  const t = now();
  s.transaction(() => sourcePaths.forEach((p) => ins.run(jobId, p, t)));
  return sourcePaths.length;
}

export function listBatchJobItems(s: StoreContext, jobId: number, opts: { status?: BatchItemStatus; limit?: number; offset?: number } = {}): BatchJobItemRecord[] {
  const rows = (
    opts.status === undefined
      ? s.sql('SELECT * FROM batch_job_items WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?').all(jobId, opts.limit ?? -1, opts.offset ?? 0)
      : s.sql('SELECT * FROM batch_job_items WHERE job_id = ? AND status = ? ORDER BY id LIMIT ? OFFSET ?').all(jobId, opts.status, opts.limit ?? -1, opts.offset ?? 0)
  ) as Row[];
  return rows.map(toBatchItem);
}

export function updateBatchJobItem(s: StoreContext, itemId: number, u: { status: BatchItemStatus; imageId?: number | null; result?: JsonObject | null; error?: string | null }): void {
  const r = s
    .sql('UPDATE batch_job_items SET status = ?, image_id = COALESCE(?, image_id), result = ?, error = ?, updated_at = ? WHERE id = ?')
    .run(u.status, u.imageId ?? null, u.result == null ? null : JSON.stringify(u.result), u.error ?? null, now(), itemId);
  if (r.changes === 0) throw new StoreError(`no batch job item with id ${itemId}`);
}

export function batchJobProgress(s: StoreContext, jobId: number): Record<BatchItemStatus, number> {
  const out: Record<BatchItemStatus, number> = { pending: 0, done: 0, failed: 0, skipped: 0 };
  for (const r of s.sql('SELECT status, COUNT(*) AS n FROM batch_job_items WHERE job_id = ? GROUP BY status').all(jobId) as { status: BatchItemStatus; n: number }[]) out[r.status] = r.n;
  return out;
}
