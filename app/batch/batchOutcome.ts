// How a batch job ended, in words, the same everywhere a job is shown: the Batch page's badge,
// the completion notice of the UI and the CLI's last line. A job that finished with failed images
// is neither "completed" (green) nor "failed" (red) but "completed with N failures".
import type { BatchItemStatus, RunStatus } from '../store/storeTypes.js';

export type BatchOutcome = 'queued' | 'running' | 'interrupted' | 'completed' | 'completed-with-failures' | 'failed' | 'cancelled';

/** `live`: runs now; `interrupted`: left running or queued by a process that is gone. */
export function batchOutcome(j: { status: RunStatus; live: boolean; interrupted: boolean; failed: number }): BatchOutcome {
  if (j.live) return 'running';
  if (j.interrupted) return 'interrupted';
  if (j.status === 'completed') return j.failed > 0 ? 'completed-with-failures' : 'completed';
  return j.status;
}

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The badge text: the outcome, with the number of failures where there are some. */
export function batchOutcomeLabel(outcome: BatchOutcome, failed: number): string {
  return outcome === 'completed-with-failures' ? `completed with ${count(failed, 'failure')}` : outcome;
}

/** What a job that just ended reports (the worker's answer, or the error it ended with). */
export type BatchJobEnd =
  | { jobId: number; ended: 'ran'; status: RunStatus; output: string | null; progress: Record<BatchItemStatus, number> }
  | { jobId: number; ended: 'threw'; error: string };

/** The notice shown when a job ends: its outcome and what to do next, in one sentence. */
export function batchJobEndMessage(end: BatchJobEnd): { outcome: BatchOutcome; message: string } {
  if (end.ended === 'threw') return { outcome: 'failed', message: `Batch job ${end.jobId} failed: ${end.error}` };
  const { done, failed, skipped, pending } = end.progress;
  const total = done + failed + skipped + pending;
  const outcome = batchOutcome({ status: end.status, live: false, interrupted: false, failed });
  const into = end.output ? ` into ${end.output}` : '';
  const skippedNote = skipped ? `; ${count(skipped, 'file')} skipped (not images)` : '';
  switch (outcome) {
    case 'completed':
      return { outcome, message: `Batch job ${end.jobId} completed: ${count(done, 'image')} segmented${into}${skippedNote}` };
    case 'completed-with-failures':
      return { outcome, message: `Batch job ${end.jobId} ${batchOutcomeLabel(outcome, failed)}: ${done} of ${count(done + failed, 'image')} segmented${into}${skippedNote}; the failed ${failed === 1 ? 'file is' : 'files are'} listed first under Files` };
    case 'cancelled':
      return { outcome, message: `Batch job ${end.jobId} cancelled after ${done + failed + skipped} of ${count(total, 'file')}; Resume continues it` };
    default:
      return { outcome, message: `Batch job ${end.jobId} ended ${outcome}` };
  }
}
