// The training loop. Pure of I/O: the store, checkpoint files and event transport come in as
// hooks, so the same loop runs in the worker, in tests and in the benchmark.
//
// Reproducibility: the epoch's image order comes from (seed, epoch) and each micro-batch's
// augmentation from (seed, epoch, batch), so continuing at (epoch, batch) after a resume draws
// exactly what an uninterrupted run draws; the weights and the optimiser moments are restored
// bit-exactly from the checkpoint.
import { tf } from '../tensor/tf.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { TrainConfig } from './trainConfig.js';
import type { RunData, Sample } from './dataPipeline.js';
import { inputBatch, labelBatch, mixSeed, seededShuffle, trainBatchViews } from './dataPipeline.js';
import type { HostTensor, TrainPosition } from './runCheckpoint.js';
import type { MetricSummary, TrainEvent } from './trainEvents.js';
import { evaluateSamplesWith, summarise } from './evaluate.js';
import { AdamW, GradientAccumulator, type AdamWState, type NamedGrads } from './optimizer.js';
import { lrAt, type LrSchedule } from './schedule.js';
import { createTfjsStepEngine, readParams, type StepEngine } from './stepEngine.js';

export interface TrainerHooks {
  emit(e: TrainEvent): void;
  /** Persists a checkpoint of the current weights/optimiser state (atomic; see runCheckpoint). */
  saveCheckpoint(kind: 'last' | 'best', state: TrainerState): void;
  /** Stores one epoch's metrics (per run and epoch). */
  recordEpoch(epoch: number, metrics: Record<string, unknown>): void;
  /** True once the user asked to cancel; the loop saves `last` and stops at the next step. */
  isCancelled(): boolean;
  /** Lets the host process messages (cancel) between steps. */
  pause(): Promise<void>;
}

/** Everything a checkpoint holds besides the config. */
export interface TrainerState {
  position: TrainPosition;
  metrics: MetricSummary | null;
  model: Map<string, HostTensor>;
  optimizer: { meta: Record<string, unknown>; tensors: Map<string, HostTensor> };
}

export interface TrainerOptions {
  runId: number;
  model: TrainableSegmenter;
  config: TrainConfig;
  data: RunData;
  hooks: TrainerHooks;
  /** Continue from this state (weights already imported into the model by the caller or not). */
  resume?: { position: TrainPosition; optimizer: TrainerState['optimizer']; best: MetricSummary | null; last: MetricSummary | null } | null;
  backend?: string;
  /**
   * Computes forward + loss + backward of each micro-batch and the validation forward passes
   * (default: tfjs on the model's variables). The caller owns it; the trainer never disposes it.
   */
  engine?: StepEngine;
}

export interface TrainOutcome {
  status: 'completed' | 'cancelled';
  reason: 'epochs' | 'early-stopping' | 'cancelled';
  position: TrainPosition;
  best: MetricSummary | null;
  last: MetricSummary | null;
}

export function stepsPerEpoch(nTrain: number, batchSize: number, accumulation: number): { micro: number; steps: number } {
  const micro = Math.ceil(nTrain / batchSize);
  return { micro, steps: Math.ceil(micro / accumulation) };
}

/** Image order of an epoch (a fresh seeded permutation per epoch). */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return seededShuffle(
    Array.from({ length: n }, (_, i) => i),
    mixSeed(seed, 0x0de7, epoch),
  );
}

export function toHost(t: tf.Tensor): HostTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`cannot checkpoint a ${t.dtype} tensor`);
  return { shape: [...t.shape], dtype: t.dtype, data: t.dataSync() as Float32Array | Int32Array };
}

export function fromHost(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

function hostMap(tensors: Map<string, tf.Tensor>, dispose: boolean): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [k, t] of tensors) {
    out.set(k, toHost(t));
    if (dispose) t.dispose();
  }
  return out;
}

export function initialPosition(totalSteps: number): TrainPosition {
  return { epochsDone: 0, batchInEpoch: 0, step: 0, totalSteps, bestMetric: null, bestEpoch: null, epochsWithoutImprovement: 0, epochLossSum: 0, epochLossCount: 0 };
}

/** Runs the loop to completion, early stop or cancel. Throws on failure (the caller records it). */
export async function train(opts: TrainerOptions): Promise<TrainOutcome> {
  const { model, config, data, hooks, runId } = opts;
  const desc = model.describe();
  const S = desc.inputSize;
  if (S !== config.inputSize) throw new Error(`model input size ${S} differs from the config's inputSize ${config.inputSize}`);
  const grid = config.lossOnUpsampledLogits ? S : desc.logitsSize;
  const nTrain = data.train.length;
  const { micro, steps } = stepsPerEpoch(nTrain, config.batchSize, config.accumulationSteps);
  const totalSteps = steps * config.epochs;
  const vars = model.trainableVariables();
  const engine = opts.engine ?? createTfjsStepEngine(model, { ceWeight: config.ceWeight, diceWeight: config.diceWeight, lossOnUpsampledLogits: config.lossOnUpsampledLogits });
  const params = Object.fromEntries(vars);
  const optimizer = new AdamW(params, { beta1: config.beta1, beta2: config.beta2, eps: config.epsilon, weightDecay: config.weightDecay });
  const accumulator = new GradientAccumulator();
  const schedule: LrSchedule = { baseLr: config.learningRate, totalSteps, warmupFraction: config.warmupFraction, power: config.polyPower };
  const pos: TrainPosition = opts.resume ? { ...opts.resume.position } : initialPosition(totalSteps);
  let lastSummary: MetricSummary | null = opts.resume?.last ?? null;
  let bestSummary: MetricSummary | null = opts.resume?.best ?? null;
  try {
    if (opts.resume) {
      if (opts.resume.position.totalSteps !== totalSteps) throw new Error(`the checkpoint was made for ${opts.resume.position.totalSteps} steps but this run has ${totalSteps}; the data or config changed`);
      optimizer.setState(optimizerStateFromHost(opts.resume.optimizer));
    }
    return await loop();
  } finally {
    accumulator.dispose();
    optimizer.dispose();
  }

  function snapshot(metrics: MetricSummary | null): TrainerState {
    return { position: { ...pos }, metrics, model: hostMap(model.exportTrained(), true), optimizer: optimizerStateToHost(optimizer.getState(), vars) };
  }

  async function loop(): Promise<TrainOutcome> {
  hooks.emit({
    type: 'started',
    runId,
    epochs: config.epochs,
    stepsPerEpoch: steps,
    totalSteps,
    trainImages: nTrain,
    valImages: data.val.length,
    valSource: data.valSource,
    resumedAt: opts.resume ? { epochsDone: pos.epochsDone, step: pos.step } : null,
    trainableParams: desc.trainableParams,
    totalParams: desc.totalParams,
    backend: opts.backend ?? tf.getBackend(),
  });

  const t0 = performance.now();
  let imagesSeen = 0;
  let accumLoss = 0;

  const applyAccumulated = (): number => {
    const lr = lrAt(pos.step, schedule);
    const n = accumulator.count;
    const grads = accumulator.take('mean');
    try {
      optimizer.applyGradients(grads, lr);
    } finally {
      for (const g of Object.values(grads)) g.dispose();
    }
    const loss = accumLoss / n;
    accumLoss = 0;
    pos.step++;
    return loss;
  };

  for (let epoch = pos.epochsDone; epoch < config.epochs; epoch++) {
    const epochStart = performance.now();
    const order = epochOrder(nTrain, config.seed, epoch);
    for (let b = pos.batchInEpoch; b < micro; b++) {
      const batchSamples: Sample[] = order.slice(b * config.batchSize, (b + 1) * config.batchSize).map((i) => data.train[i]!);
      const augmented = trainBatchViews(data, batchSamples, config, mixSeed(config.seed, epoch, b));
      const x = inputBatch(augmented, S, desc.pixelMean, desc.pixelStd);
      const y = labelBatch(augmented, S, grid);
      const images = x.dataSync() as Float32Array;
      const labels = y.dataSync() as Int32Array;
      x.dispose();
      y.dispose();
      const result = await engine.step(readParams(model), images, labels);
      const lossValue = result.loss;
      if (!Number.isFinite(lossValue)) throw new Error(`the loss became ${lossValue} at epoch ${epoch + 1}, batch ${b + 1}; lower the learning rate`);
      // Host gradients become tensors of the parameters' shapes: AdamW and the checkpoints stay
      // the same whichever engine computed them.
      const named: NamedGrads = {};
      for (const [name, g] of result.grads) {
        const v = vars.get(name);
        if (!v) throw new Error(`the ${engine.name} step engine returned a gradient for '${name}', which the model does not train`);
        named[name] = tf.tensor(g, v.shape, 'float32');
      }
      accumulator.add(named);
      accumLoss += lossValue;
      pos.epochLossSum += lossValue;
      pos.epochLossCount++;
      imagesSeen += batchSamples.length;
      pos.batchInEpoch = b + 1;
      if (accumulator.count === config.accumulationSteps || b === micro - 1) {
        const stepLoss = applyAccumulated();
        const elapsed = (performance.now() - t0) / 1000;
        const rate = imagesSeen / Math.max(elapsed, 1e-9);
        const remainingImages = (totalSteps - pos.step) * config.batchSize * config.accumulationSteps;
        hooks.emit({
          type: 'progress',
          runId,
          epoch: epoch + 1,
          epochs: config.epochs,
          step: pos.step,
          totalSteps,
          loss: stepLoss,
          learningRate: lrAt(pos.step - 1, schedule),
          imagesPerSecond: rate,
          etaSeconds: remainingImages / Math.max(rate, 1e-9),
        });
        const cancelled = hooks.isCancelled();
        if (cancelled || (config.checkpointEverySteps > 0 && pos.step % config.checkpointEverySteps === 0 && b < micro - 1)) {
          hooks.saveCheckpoint('last', snapshot(lastSummary));
        }
        if (cancelled) return { status: 'cancelled', reason: 'cancelled', position: pos, best: bestSummary, last: lastSummary };
        await hooks.pause();
        if (hooks.isCancelled()) {
          hooks.saveCheckpoint('last', snapshot(lastSummary));
          return { status: 'cancelled', reason: 'cancelled', position: pos, best: bestSummary, last: lastSummary };
        }
      }
    }
    // Validation at the original resolution, then bookkeeping and checkpoints.
    const evalResult = await evaluateSamplesWith((images) => engine.forward(readParams(model), images), desc, data.val, { batchSize: config.batchSize });
    const val = summarise(evalResult);
    lastSummary = val;
    const trainLoss = pos.epochLossSum / Math.max(1, pos.epochLossCount);
    const score = val.mIoU ?? -Infinity;
    const isBest = pos.bestMetric === null || score > pos.bestMetric;
    pos.epochsDone = epoch + 1;
    pos.batchInEpoch = 0;
    pos.epochLossSum = 0;
    pos.epochLossCount = 0;
    if (isBest) {
      pos.bestMetric = score;
      pos.bestEpoch = epoch + 1;
      pos.epochsWithoutImprovement = 0;
      bestSummary = val;
    } else pos.epochsWithoutImprovement++;
    const lr = lrAt(Math.max(0, pos.step - 1), schedule);
    hooks.recordEpoch(epoch + 1, { trainLoss, learningRate: lr, step: pos.step, val, isBest, seconds: (performance.now() - epochStart) / 1000 });
    // `best` before `last`: a kill in between leaves a last checkpoint that re-runs this epoch.
    const state = snapshot(val);
    if (isBest) hooks.saveCheckpoint('best', state);
    hooks.saveCheckpoint('last', state);
    hooks.emit({ type: 'epoch', runId, epoch: epoch + 1, epochs: config.epochs, trainLoss, val, isBest, epochsWithoutImprovement: pos.epochsWithoutImprovement, seconds: (performance.now() - epochStart) / 1000 });
    if (config.patience > 0 && pos.epochsWithoutImprovement >= config.patience && epoch + 1 < config.epochs) {
      return { status: 'completed', reason: 'early-stopping', position: pos, best: bestSummary, last: lastSummary };
    }
    if (hooks.isCancelled()) return { status: 'cancelled', reason: 'cancelled', position: pos, best: bestSummary, last: lastSummary };
    await hooks.pause();
  }
  return { status: 'completed', reason: 'epochs', position: pos, best: bestSummary, last: lastSummary };
  }
}

/** AdamW moments as checkpoint tensors ('m/<name>', 'v/<name>') plus its step count. */
export function optimizerStateToHost(state: AdamWState, vars: Map<string, tf.Variable>): TrainerState['optimizer'] {
  const tensors = new Map<string, HostTensor>();
  for (const [name, v] of vars) {
    tensors.set(`m/${name}`, { shape: [...v.shape], dtype: 'float32', data: state.m[name]! });
    tensors.set(`v/${name}`, { shape: [...v.shape], dtype: 'float32', data: state.v[name]! });
  }
  return { meta: { kind: 'adamw', step: state.step }, tensors };
}

export function optimizerStateFromHost(o: TrainerState['optimizer']): AdamWState {
  if (o.meta.kind !== 'adamw' || typeof o.meta.step !== 'number') throw new Error('the checkpoint holds no AdamW state');
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [key, h] of o.tensors) {
    const slash = key.indexOf('/');
    const which = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (which === 'm') m[name] = h.data as Float32Array;
    else if (which === 'v') v[name] = h.data as Float32Array;
  }
  return { step: o.meta.step, m, v };
}
