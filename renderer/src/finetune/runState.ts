// What a training run is doing and what the user can do with it, derived from the run record alone
// (status, live, interrupted, epochs), so that the Fine-tune page and the Runs table can never
// disagree: a finished status wins over a stale "live" flag or a last progress event.
import type { RunRow } from '../../../app/api/fineTuneTypes.js';

export type RunStateKind = 'training' | 'starting' | 'interrupted' | 'completed' | 'cancelled' | 'failed';

export interface RunState {
  kind: RunStateKind;
  label: string;
  canCancel: boolean;
  canResume: boolean;
  /** What happened and what to do next, in words. */
  explanation: string;
}

type RunFacts = Pick<RunRow, 'status' | 'live' | 'interrupted' | 'epochs' | 'epochsDone' | 'error'>;

export function runState(row: RunFacts): RunState {
  const left = `${row.epochsDone} of ${row.epochs} epochs`;
  if (row.status === 'completed') return { kind: 'completed', label: 'completed', canCancel: false, canResume: false, explanation: `Completed ${row.epochs} epochs` };
  if (row.status === 'cancelled') {
    return {
      kind: 'cancelled',
      label: 'cancelled',
      canCancel: false,
      canResume: row.epochsDone < row.epochs,
      explanation: `Cancelled after ${left}${row.error ? ` (${row.error})` : ' (stopped with Cancel)'}. ${row.epochsDone > 0 ? 'Resume continues from the last checkpoint; the model so far can already be set active.' : 'No epoch had finished, so there is no model yet: Resume starts it again.'}`,
    };
  }
  if (row.status === 'failed') {
    return { kind: 'failed', label: 'failed', canCancel: false, canResume: true, explanation: `Failed after ${left}: ${row.error ?? 'unknown error'}. Fix the cause, then Resume continues from the last checkpoint.` };
  }
  if (row.interrupted) {
    return { kind: 'interrupted', label: 'interrupted', canCancel: false, canResume: true, explanation: `Interrupted after ${left} — resume continues from the last checkpoint` };
  }
  if (row.status === 'queued') return { kind: 'starting', label: 'starting', canCancel: row.live, canResume: false, explanation: 'Starting…' };
  return { kind: 'training', label: 'training', canCancel: row.live, canResume: false, explanation: `Training · epoch ${row.epochsDone} of ${row.epochs} done` };
}

/** Whether a run has a model to predict with (a finished epoch wrote a checkpoint). */
export function hasModel(row: Pick<RunRow, 'status' | 'epochsDone'>): boolean {
  return row.status === 'completed' || row.epochsDone > 0;
}
