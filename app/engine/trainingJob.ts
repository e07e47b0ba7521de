// One training run end to end, with its I/O: opens the project, records which mask versions the
// run uses, builds the model, loads the data, runs the loop with checkpoint/store hooks and
// records the outcome. Runs wherever it is called (the worker calls it; so can tests and bench).
import { join } from 'node:path';
import { ProjectStore } from '../store/projectStore.js';
import { acquireRunLock } from '../store/runLock.js';
import { initBackend } from '../tensor/backend.js';
import { chooseRunMasks, loadRunData, type RunData, type UsedMask } from './dataPipeline.js';
import { tilingOf } from './tiling.js';
import { lossOptionsFor } from './classBalance.js';
import { checkpointDir, hasCheckpoint, readCheckpoint, readCheckpointMeta, runDir, writeCheckpoint, type CheckpointKind } from './runCheckpoint.js';
import { validateTrainConfig, type TrainConfig } from './trainConfig.js';
import type { MetricSummary, TrainEvent } from './trainEvents.js';
import { train, type TrainerState, type TrainOutcome } from './trainer.js';
import { buildSegmenter, type BuiltSegmenter } from './modelFactory.js';
import { readRunConfig, toJsonObject } from './runRecord.js';
import { fromHost } from './trainer.js';
import { createTfjsStepEngine, type StepEngine, type StepLossOptions } from './stepEngine.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';

export interface JobHooks {
  emit(e: TrainEvent): void;
  isCancelled(): boolean;
  pause(): Promise<void>;
}

/** The engine a run trains with and what the run records about it (run metrics `trainedWith`). */
export interface PreparedEngine {
  engine: StepEngine;
  trainedWith: { engine: string; executionProvider: string } & Record<string, unknown>;
}

export interface JobOptions {
  /**
   * Builds the step engine for the run's model (default: tfjs). Called after the model is built
   * and before any step; may refuse (memory) by throwing — the run then fails with that message.
   */
  /** ctx.loss: the run's loss (class weights from its training masks included). */
  prepareEngine?: (model: TrainableSegmenter, config: TrainConfig, ctx: { projectDir: string; emit: (e: TrainEvent) => void; runId: number; loss: StepLossOptions }) => Promise<PreparedEngine>;
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
  return store.createRun({ name: label, config: toJsonObject(config), status: 'queued' }).id;
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
export async function runTrainingJob(projectDir: string, runId: number, resume: boolean, hooks: JobHooks, opts: JobOptions = {}): Promise<JobResult> {
  const store = ProjectStore.open(projectDir);
  let release: (() => void) | null = null;
  let built: BuiltSegmenter | null = null;
  let prepared: PreparedEngine | null = null;
  try {
    const run = store.getRun(runId);
    if (!run) throw new Error(`no training run with id ${runId} in ${store.dir}`);
    if (!resume && run.status !== 'queued') throw new Error(`run ${runId} is ${run.status}; use --resume ${runId} to continue it`);
    if (resume && run.status === 'completed') throw new Error(`run ${runId} already completed; nothing to resume`);
    const config = readRunConfig(run);
    const dir = runDir(store.dir, runId);
    release = acquireRunLock(join(dir, 'lock'), (pid) => `run ${runId} is being trained by process ${pid}`);
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
    // The data first: the class weights of the loss follow from the training masks, and both
    // engines must see the same crops, labels and loss.
    const data = await loadRunData(store, used, valSource, config.inputSize, tilingOf(config));
    const loss = lossOptionsFor(config, data.train, numClasses);
    if (loss.classWeights) {
      // The weights follow from the recorded masks, so a resume recomputes the same ones; the run reports them.
      store.updateRun(runId, { metrics: { ...store.getRun(runId)!.metrics, classWeights: loss.classWeights } });
      hooks.emit({ type: 'log', runId, message: `class weights (CE, median-frequency${config.tileSize > 0 ? ' over the training crops' : ''}, clipped): ${loss.classWeights.join(', ')}` });
    }
    // The tfjs memory guard (the wasm heap) applies only when tfjs runs the steps.
    built = await buildSegmenter(config, numClasses, { tfjsForward: opts.prepareEngine === undefined });
    prepared = opts.prepareEngine
      ? await opts.prepareEngine(built.model, config, { projectDir: store.dir, emit: hooks.emit, runId, loss })
      : { engine: createTfjsStepEngine(built.model, loss), trainedWith: { engine: 'tfjs', executionProvider: `tfjs-${backend.tfBackend}` } };
    if (prepared.engine.name === 'tfjs' && opts.prepareEngine) built.guardTfjsForward();
    store.updateRun(runId, { metrics: { ...store.getRun(runId)!.metrics, trainedWith: prepared.trainedWith } });

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
      backend: prepared.engine.name === 'ort' ? `onnxruntime-${prepared.engine.executionProvider}` : backend.name,
      engine: prepared.engine,
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
      metrics: { valSource, trainedWith: prepared.trainedWith, reason: outcome.reason, bestEpoch: result.bestEpoch, epochsDone: result.epochsDone, steps: result.step, best, last: outcome.last, ...(loss.classWeights ? { classWeights: loss.classWeights } : {}) },
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
    await prepared?.engine.dispose();
    built?.model.dispose();
    release?.();
    store.close();
  }
}
