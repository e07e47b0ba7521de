// Typed readers of what a training run keeps in SQLite: training_runs.config (the resolved
// TrainConfig), training_runs.metrics (the run summary) and run_epochs.metrics (what the trainer's
// recordEpoch hook wrote). The store keeps free JSON; the shape is checked here, once, where it is
// read back, so no caller casts. Written by trainingJob.ts and trainer.ts, the producers.
import { resolveTrainConfig, type TrainConfig } from './trainConfig.js';
import type { MetricSummary } from './trainEvents.js';
import type { JsonObject, RunEpochRecord, TrainingRunRecord } from '../store/storeTypes.js';

export type ValSource = 'val' | 'held-out' | 'train';

/** training_runs.metrics: written when a run starts (valSource) and when it ends (the rest). */
export interface RunMetrics {
  valSource: ValSource | null;
  best: MetricSummary | null;
  last: MetricSummary | null;
  bestEpoch: number | null;
  epochsDone: number | null;
  /** Evaluations by split ('test', 'val', 'train'), added by `pasam eval` and the Results page. */
  eval: JsonObject;
}

/** run_epochs.metrics: one epoch as the trainer records it. */
export interface EpochMetrics {
  trainLoss: number | null;
  val: MetricSummary | null;
  seconds: number | null;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const scoreList = (v: unknown): (number | null)[] | null => (Array.isArray(v) ? v.map(numberOrNull) : null);

/** A run's config as stored at creation, validated (a damaged one is an error naming the run and key). */
export function readRunConfig(run: TrainingRunRecord): TrainConfig {
  try {
    return resolveTrainConfig(run.config);
  } catch (err) {
    throw new Error(`training run ${run.id}: stored config is not valid (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** readRunConfig, or null for a config that does not validate (listings show such runs, not fail). */
export function readRunConfigOrNull(run: TrainingRunRecord): TrainConfig | null {
  try {
    return resolveTrainConfig(run.config);
  } catch {
    return null;
  }
}

/** A metric summary read back from JSON, or null when the value is not one. */
export function readMetricSummary(v: unknown): MetricSummary | null {
  if (!isObject(v)) return null;
  const iou = scoreList(v.iou);
  const dice = scoreList(v.dice);
  if (!iou || !dice) return null;
  return {
    mIoU: numberOrNull(v.mIoU),
    mDice: numberOrNull(v.mDice),
    mIoUDefects: numberOrNull(v.mIoUDefects),
    mDiceDefects: numberOrNull(v.mDiceDefects),
    pixelAccuracy: numberOrNull(v.pixelAccuracy),
    iou,
    dice,
  };
}

export function readRunMetrics(run: Pick<TrainingRunRecord, 'metrics'>): RunMetrics {
  const m = run.metrics;
  const vs = m.valSource;
  return {
    valSource: vs === 'val' || vs === 'held-out' || vs === 'train' ? vs : null,
    best: readMetricSummary(m.best),
    last: readMetricSummary(m.last),
    bestEpoch: numberOrNull(m.bestEpoch),
    epochsDone: numberOrNull(m.epochsDone),
    eval: isObject(m.eval) ? m.eval : {},
  };
}

export function readEpochMetrics(e: Pick<RunEpochRecord, 'metrics'>): EpochMetrics {
  return { trainLoss: numberOrNull(e.metrics.trainLoss), val: readMetricSummary(e.metrics.val), seconds: numberOrNull(e.metrics.seconds) };
}

/** A typed record as the store's free JSON (configs and results are plain data objects). */
export function toJsonObject(v: object): JsonObject {
  return Object.fromEntries(Object.entries(v));
}
