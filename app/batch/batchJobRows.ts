// Rows of the Batch page: one per segment-folder job (its folders, model, options, item counts
// and outcome in words) and one per item (file, status, defect share, classes present,
// confidence), the failed and skipped files first so problems are seen without scrolling.
import type { ProjectStore } from '../store/projectStore.js';
import type { BatchItemStatus, RunStatus } from '../store/storeTypes.js';
import { readBatchItemResult, readBatchJobConfigOrNull } from './batchJobRecord.js';
import { batchOutcome, batchOutcomeLabel, type BatchOutcome } from './batchOutcome.js';

export interface BatchJobRow {
  id: number;
  status: RunStatus;
  /** What the page shows: the status, or running / interrupted, or completed-with-failures. */
  outcome: BatchOutcome;
  /** The outcome in words ("completed with 2 failures"). */
  outcomeLabel: string;
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
  const interrupted = !live && (j.status === 'running' || j.status === 'queued');
  const outcome = batchOutcome({ status: j.status, live, interrupted, failed: pr.failed });
  return {
    id: j.id,
    status: j.status,
    outcome,
    outcomeLabel: batchOutcomeLabel(outcome, pr.failed),
    live,
    interrupted,
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

const PROBLEMS_FIRST: Record<BatchItemStatus, number> = { failed: 0, skipped: 1, pending: 2, done: 2 };

/** One page of a job's items (failed, then skipped, then the rest in folder order), with the job's item total. */
export function batchItemRows(s: ProjectStore, jobId: number, page: { limit: number; offset: number }): { total: number; items: BatchItemRow[] } {
  const names = new Map(s.listClasses().map((c) => [c.index, c.name]));
  const all = s.listBatchJobItems(jobId);
  // Array.prototype.sort is stable: within a group the folder (id) order is kept.
  const ordered = [...all].sort((a, b) => PROBLEMS_FIRST[a.status] - PROBLEMS_FIRST[b.status]);
  const items = ordered.slice(page.offset, page.offset + page.limit).map((it) => {
    const r = readBatchItemResult(it);
    return { file: it.sourcePath, status: it.status, defectPercent: r?.defectPercent ?? null, classes: r ? r.classes.map((c) => names.get(c.index) ?? `class ${c.index}`) : [], meanConfidence: r?.meanConfidence ?? null, error: it.error };
  });
  return { total: all.length, items };
}
