// The project's active model: the training run whose best checkpoint "Predict" and pre-annotation
// use. Kept as a project setting (store v4), checked against the runs when read and set.
import type { ProjectStore } from '../store/projectStore.js';
import { checkpointDir, hasCheckpoint } from '../engine/runCheckpoint.js';

export const ACTIVE_MODEL_KEY = 'activeModel';

export function activeRunId(store: ProjectStore): number | null {
  const v = store.getSetting(ACTIVE_MODEL_KEY) as { runId?: unknown } | null;
  const id = typeof v?.runId === 'number' ? v.runId : null;
  // A run deleted since (or a project copied without its runs) has no active model.
  return id !== null && store.getRun(id) ? id : null;
}

/** Sets the active model (null clears it). The run must have a checkpoint to predict with. */
export function setActiveRun(store: ProjectStore, runId: number | null): void {
  if (runId === null) return store.setSetting(ACTIVE_MODEL_KEY, null);
  const run = store.getRun(runId);
  if (!run) throw new Error(`no training run with id ${runId}`);
  if (!hasCheckpoint(checkpointDir(store.dir, runId, 'best')) && !hasCheckpoint(checkpointDir(store.dir, runId, 'last'))) {
    throw new Error(`run ${runId} (${run.name}) has no checkpoint yet; it can become the active model once an epoch has finished`);
  }
  store.setSetting(ACTIVE_MODEL_KEY, { runId, setAt: new Date().toISOString() });
}

/** The active model's run id and name (both null when there is none). */
export function activeModelInfo(store: ProjectStore): { runId: number | null; name: string | null } {
  const id = activeRunId(store);
  return { runId: id, name: id === null ? null : (store.getRun(id)?.name ?? null) };
}

/** The project has no active model to predict with; the message says what to do. */
export class NoActiveModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoActiveModelError';
  }
}

/** The active run's id, or a NoActiveModelError that says how to get one. */
export function requireActiveRun(s: ProjectStore): number {
  const runId = activeRunId(s);
  if (runId !== null) return runId;
  const trained = s.listRuns().some((r) => hasCheckpoint(checkpointDir(s.dir, r.id, 'best')) || hasCheckpoint(checkpointDir(s.dir, r.id, 'last')));
  throw new NoActiveModelError(trained ? 'no active model: choose one in Fine-tune → Runs ("Set active")' : 'this project has no fine-tuned model yet: train one in Fine-tune, then Predict fills a pre-annotation from it');
}
