// Renaming and deleting training runs. A run is deleted for good (records and its runs/<id> folder
// with checkpoints, exports and evaluation caches) rather than to a trash: a run is derived data —
// the masks and config it came from stay — and its checkpoints are what fills the disk, so a trash
// would not free what the user deletes runs for. The UI asks before deleting. A run that trains
// (here or in another process) or that a running batch job segments with cannot be deleted; the
// active model is deleted only when the caller says so, which clears the active model.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { UsageError } from '../store/storeContext.js';
import { runDir } from '../engine/runCheckpoint.js';
import { activeRunId, setActiveRun } from './activeModel.js';

export interface RunDeleteChecks {
  /** Whether the run trains now (here or in another process). */
  training(runId: number): boolean;
  /** Ids of the batch jobs running now with one of the run's checkpoints. */
  batchJobsUsing(runId: number): number[];
}

export interface RunDeleteResult {
  runId: number;
  /** The run was the active model; the project has none now. */
  clearedActive: boolean;
}

export function renameRun(store: ProjectStore, runId: number, name: string): { runId: number; name: string } {
  return { runId, name: store.renameRun(runId, name).name };
}

export function deleteRun(store: ProjectStore, runId: number, checks: RunDeleteChecks, opts: { clearActive?: boolean } = {}): RunDeleteResult {
  const run = store.getRun(runId);
  if (!run) throw new UsageError(`no training run with id ${runId}`);
  const label = `run ${runId} (${run.name})`;
  if (checks.training(runId)) throw new UsageError(`${label} is training; cancel it before deleting it`);
  const jobs = checks.batchJobsUsing(runId);
  if (jobs.length) throw new UsageError(`${label} is segmenting in batch job${jobs.length > 1 ? 's' : ''} ${jobs.join(', ')}; cancel or wait for ${jobs.length > 1 ? 'them' : 'it'} before deleting the run`);
  const active = activeRunId(store) === runId;
  if (active && !opts.clearActive) throw new UsageError(`${label} is the active model; confirm deleting it (the project will have no active model until you choose one)`);
  // The folder moves aside first (one rename), so a failure leaves either the whole run or no run.
  const dir = runDir(store.dir, runId);
  const aside = join(dirname(dir), `.deleted-${runId}-${Date.now()}`);
  const moved = existsSync(dir);
  if (moved) renameSync(dir, aside);
  try {
    store.transaction(() => {
      if (active) setActiveRun(store, null);
      store.deleteRunRecords(runId);
    });
  } catch (err) {
    if (moved) renameSync(aside, dir);
    throw err;
  }
  if (moved) rmSync(aside, { recursive: true, force: true });
  return { runId, clearedActive: active };
}
