// Rows of the Batch page: one per segment-folder job (its folders, model, options and item
// counts) and one per item (file, status, defect share, classes present, confidence).
import type { ProjectStore } from '../store/projectStore.js';
import type { BatchItemStatus, RunStatus } from '../store/storeTypes.js';
import { readBatchItemResult, readBatchJobConfigOrNull } from './batchJobRecord.js';

export interface BatchJobRow {
  id: number;
  status: RunStatus;
  live: boolean;
  interrupted: boolean;
  input: string | null;
  output: string | null;
  model: string;
  overlay: boolean;
  recursive: boolean;
  report: string | null;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  pending: number;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface BatchItemRow {
  file: string;
  status: BatchItemStatus;
  defectPercent: number | null;
  classes: string[];
  meanConfidence: number | null;
  error: string | null;
}

/** `live`: the job runs now (here or in another process). */
export function batchJobRow(s: ProjectStore, jobId: number, live: boolean): BatchJobRow {
  const j = s.getBatchJob(jobId)!;
  const c = readBatchJobConfigOrNull(j);
  const pr = s.batchJobProgress(jobId);
  const m = c?.model;
  const modelLabel = !m ? '?' : m.kind === 'run' ? `run ${m.runId}${s.getRun(m.runId) ? ` · ${s.getRun(m.runId)!.name}` : ''}` : m.path;
  return {
    id: j.id,
    status: j.status,
    live,
    interrupted: !live && (j.status === 'running' || j.status === 'queued'),
    input: j.source,
    output: j.output,
    model: modelLabel,
    overlay: c?.overlay ?? false,
    recursive: c?.recursive ?? false,
    report: c?.report ?? null,
    total: pr.pending + pr.done + pr.failed + pr.skipped,
    ...pr,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
    error: j.error,
  };
}

/** One page of a job's items, with the job's item total. */
export function batchItemRows(s: ProjectStore, jobId: number, page: { limit: number; offset: number }): { total: number; items: BatchItemRow[] } {
  const names = new Map(s.listClasses().map((c) => [c.index, c.name]));
  const total = s.listBatchJobItems(jobId).length;
  const items = s.listBatchJobItems(jobId, page).map((it) => {
    const r = readBatchItemResult(it);
    return { file: it.sourcePath, status: it.status, defectPercent: r?.defectPercent ?? null, classes: r ? r.classes.map((c) => names.get(c.index) ?? `class ${c.index}`) : [], meanConfidence: r?.meanConfidence ?? null, error: it.error };
  });
  return { total, items };
}
