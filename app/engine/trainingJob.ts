// One training run end to end, with its I/O: opens the project, records which mask versions the
// run uses, builds the model, loads the data, runs the loop with checkpoint/store hooks and
// records the outcome. Runs wherever it is called (the worker calls it; so can tests and bench).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore } from '../store/projectStore.js';
import { initBackend } from '../tensor/backend.js';
import { chooseRunMasks, loadRunData, type RunData, type UsedMask } from './dataPipeline.js';
import { tilingOf } from './tiling.js';
import { trainingClassWeights } from './classBalance.js';
import { checkpointDir, hasCheckpoint, readCheckpoint, readCheckpointMeta, runDir, writeCheckpoint, type CheckpointKind } from './runCheckpoint.js';
import { validateTrainConfig, type TrainConfig } from './trainConfig.js';
import type { MetricSummary, TrainEvent } from './trainEvents.js';
import { train, type TrainerState, type TrainOutcome } from './trainer.js';
import { buildSegmenter, type BuiltSegmenter } from './modelFactory.js';
import { fromHost } from './trainer.js';

export interface JobHooks {
  emit(e: TrainEvent): void;
  isCancelled(): boolean;
  pause(): Promise<void>;
}

export interface JobResult {
  runId: number;
  status: 'completed' | 'cancelled' | 'failed';
  reason?: TrainOutcome['reason'];
  best: MetricSummary | null;
  last: MetricSummary | null;
  bestEpoch: number | null;
  epochsDone: number;
  step: number;
  error?: string;
}

/** Creates a queued run (the config is validated first); its id is known before training starts. */
export function createRun(store: ProjectStore, config: TrainConfig, name?: string): number {
  validateTrainConfig(config);
  const label = name ?? `${config.model.base ?? config.model.preset} S=${config.inputSize} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  return store.createRun({ name: label, config: config as unknown as Record<string, unknown>, status: 'queued' }).id;
}

/** A lock file keeps two processes from training the same run; a dead owner's lock is taken over. */
function acquireLock(dir: string, runId: number): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    let alive = false;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (alive) throw new Error(`run ${runId} is being trained by process ${pid}`);
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function inferValSource(store: ProjectStore, used: UsedMask[], recorded: unknown): RunData['valSource'] {
  if (recorded === 'val' || recorded === 'held-out' || recorded === 'train') return recorded;
  if (!used.some((u) => u.split === 'val')) return 'train';
  const firstVal = used.find((u) => u.split === 'val')!;
  const image = store.getImage(store.getMaskVersion(firstVal.maskVersionId)?.imageId ?? -1);
  return image?.split === 'val' ? 'val' : 'held-out';
}

/**
 * Trains run `runId` of the project in `projectDir`. resume=false starts a queued run; resume=true
 * continues a run from its `last` checkpoint (or from the start, with the same mask versions, if
 * it was killed before the first checkpoint).
 */
export async function runTrainingJob(projectDir: string, runId: number, resume: boolean, hooks: JobHooks): Promise<JobResult> {
  const store = ProjectStore.open(projectDir);
  let release: (() => void) | null = null;
  let built: BuiltSegmenter | null = null;
  try {
    const run = store.getRun(runId);
    if (!run) throw new Error(`no training run with id ${runId} in ${store.dir}`);
    if (!resume && run.status !== 'queued') throw new Error(`run ${runId} is ${run.status}; use --resume ${runId} to continue it`);
    if (resume && run.status === 'completed') throw new Error(`run ${runId} already completed; nothing to resume`);
    const config = validateTrainConfig(run.config as unknown as TrainConfig);
    const dir = runDir(store.dir, runId);
    release = acquireLock(dir, runId);
    const backend = await initBackend();

    let used = store.runMaskVersions(runId);
    let valSource: RunData['valSource'];
    if (used.length === 0) {
      if (resume) hooks.emit({ type: 'log', runId, message: `run ${runId} recorded no data yet; choosing its mask versions now` });
      const chosen = chooseRunMasks(store, { seed: config.seed, valFraction: config.valFraction });
      store.setRunMaskVersions(runId, chosen.used);
      used = chosen.used;
      valSource = chosen.valSource;
    } else valSource = inferValSource(store, used, run.metrics.valSource);
    store.updateRun(runId, { status: 'running', error: null, metrics: { ...run.metrics, valSource } });

    const numClasses = store.classCount() + 1;
    built = await buildSegmenter(config, numClasses);
    const data = await loadRunData(store, used, valSource, config.inputSize, tilingOf(config));
    if (config.classWeighting === 'frequency') {
      // The weights follow from the recorded masks, so a resume recomputes the same ones; the run reports them.
      const classWeights = trainingClassWeights(data.train, numClasses);
      store.updateRun(runId, { metrics: { ...store.getRun(runId)!.metrics, classWeights } });
      hooks.emit({ type: 'log', runId, message: `class weights (CE, median-frequency, clipped): ${classWeights.join(', ')}` });
    }

    let resumeState: Parameters<typeof train>[0]['resume'] = null;
    const lastDir = checkpointDir(store.dir, runId, 'last');
    if (resume && hasCheckpoint(lastDir)) {
      const ck = readCheckpoint(lastDir);
      if (ck.meta.numClasses !== numClasses) throw new Error(`${lastDir}: made for ${ck.meta.numClasses} classes, the project now has ${numClasses}`);
      if ((ck.meta.base?.sha256 ?? null) !== (built.base?.sha256 ?? null)) throw new Error(`${lastDir}: made on base model ${ck.meta.base?.name ?? '(none)'} with hash ${ck.meta.base?.sha256 ?? '-'}, but the library now has ${built.base?.sha256 ?? 'none'}`);
      const tensors = new Map([...ck.model].map(([k, h]) => [k, fromHost(h)]));
      try {
        built.model.importTrained(tensors);
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
      const bestDir = checkpointDir(store.dir, runId, 'best');
      const best = hasCheckpoint(bestDir) ? (readCheckpointMeta(bestDir).metrics as unknown as MetricSummary | null) : null;
      resumeState = { position: ck.meta.position, optimizer: { meta: ck.meta.optimizer, tensors: ck.optimizer }, best, last: ck.meta.metrics as unknown as MetricSummary | null };
    } else if (resume) {
      hooks.emit({ type: 'log', runId, message: `run ${runId} has no checkpoint yet; starting it from the beginning` });
    }

    const saveCheckpoint = (kind: CheckpointKind, state: TrainerState): void => {
      const d = checkpointDir(store.dir, runId, kind);
      writeCheckpoint(
        d,
        { kind, runId, config, base: built!.base, numClasses, position: state.position, metrics: state.metrics as unknown as Record<string, unknown> | null, optimizer: state.optimizer.meta },
        state.model,
        kind === 'last' ? state.optimizer.tensors : new Map(),
      );
      hooks.emit({ type: 'checkpoint', runId, kind, epochsDone: state.position.epochsDone, step: state.position.step, path: d });
    };

    const t0 = performance.now();
    const outcome = await train({
      runId,
      model: built.model,
      config,
      data,
      backend: backend.name,
      resume: resumeState,
      hooks: {
        emit: hooks.emit,
        isCancelled: hooks.isCancelled,
        pause: hooks.pause,
        saveCheckpoint,
        recordEpoch: (epoch, metrics) => store.addRunEpoch(runId, epoch, metrics),
      },
    });
    const bestDir = checkpointDir(store.dir, runId, 'best');
    const bestMeta = hasCheckpoint(bestDir) ? readCheckpointMeta(bestDir) : null;
    const best = outcome.best ?? (bestMeta?.metrics as unknown as MetricSummary | null) ?? null;
    const result: JobResult = {
      runId,
      status: outcome.status,
      reason: outcome.reason,
      best,
      last: outcome.last,
      bestEpoch: outcome.position.bestEpoch,
      epochsDone: outcome.position.epochsDone,
      step: outcome.position.step,
    };
    store.updateRun(runId, {
      status: outcome.status,
      metrics: { valSource, reason: outcome.reason, bestEpoch: result.bestEpoch, epochsDone: result.epochsDone, steps: result.step, best, last: outcome.last, ...(config.classWeighting === 'frequency' ? { classWeights: trainingClassWeights(data.train, numClasses) } : {}) },
    });
    if (outcome.status === 'completed') {
      for (const kind of ['best', 'last'] as const) {
        const d = checkpointDir(store.dir, runId, kind);
        if (hasCheckpoint(d)) {
          const m = readCheckpointMeta(d);
          store.addCheckpoint({ runId, epoch: m.position.epochsDone, path: d, sha256: m.dataSha256, metrics: { kind, ...(m.metrics ?? {}) } });
        }
      }
    }
    hooks.emit({ type: 'finished', runId, status: outcome.status, reason: outcome.reason, epochsDone: result.epochsDone, step: result.step, bestEpoch: result.bestEpoch, best, last: outcome.last, seconds: (performance.now() - t0) / 1000 });
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      if (store.getRun(runId)) store.updateRun(runId, { status: 'failed', error: message });
    } catch {
      // The failure itself is what gets reported.
    }
    hooks.emit({ type: 'failed', runId, error: message });
    return { runId, status: 'failed', best: null, last: null, bestEpoch: null, epochsDone: 0, step: 0, error: message };
  } finally {
    built?.model.dispose();
    release?.();
    store.close();
  }
}
