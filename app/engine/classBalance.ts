// Class imbalance: per-class CE weights from the training masks' pixel frequencies, and the loss
// options a run's config asks for. Median-frequency balancing (Eigen & Fergus): w_c = median(f) /
// f_c over the classes present, clipped to [CLIP_MIN, CLIP_MAX] so a class of a few pixels cannot
// dominate the gradient; a class absent from the training masks gets weight 1.
import type { StepLossOptions } from './stepEngine.js';
import type { TrainConfig } from './trainConfig.js';

export const CLASS_WEIGHT_CLIP: readonly [number, number] = [0.1, 10];

/** Pixel frequency per class (K+1 values) over class-index labels. */
export function classFrequencies(labels: readonly Uint8Array[], numClasses: number): number[] {
  const counts = new Float64Array(numClasses);
  let total = 0;
  for (const l of labels) {
    for (const v of l) {
      if (v >= numClasses) throw new Error(`class weights: label value ${v} but only ${numClasses} classes`);
      counts[v]!++;
    }
    total += l.length;
  }
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
}

/** Median-frequency weights, clipped; rounded to 4 digits so the run's report reads what was used. */
export function classWeightsFromFrequencies(freq: readonly number[]): number[] {
  const present = freq.filter((f) => f > 0).sort((a, b) => a - b);
  if (present.length === 0) return freq.map(() => 1);
  const mid = present.length / 2;
  const median = present.length % 2 ? present[Math.floor(mid)]! : (present[mid - 1]! + present[mid]!) / 2;
  const [lo, hi] = CLASS_WEIGHT_CLIP;
  return freq.map((f) => (f > 0 ? Math.round(Math.min(hi, Math.max(lo, median / f)) * 1e4) / 1e4 : 1));
}

const cache = new WeakMap<readonly { resizedLabel: Uint8Array }[], Map<number, number[]>>();

/** CE class weights for a training set (cached per set and class count). */
export function trainingClassWeights(train: readonly { resizedLabel: Uint8Array }[], numClasses: number): number[] {
  let m = cache.get(train);
  if (!m) cache.set(train, (m = new Map()));
  let w = m.get(numClasses);
  if (!w) m.set(numClasses, (w = classWeightsFromFrequencies(classFrequencies(train.map((s) => s.resizedLabel), numClasses))));
  return w;
}

/** The loss a run trains with, whichever step engine computes it: weights, focal γ, Dice over present classes. */
export function lossOptionsFor(config: TrainConfig, train: readonly { resizedLabel: Uint8Array }[], numClasses: number): StepLossOptions {
  return {
    ceWeight: config.ceWeight,
    diceWeight: config.diceWeight,
    lossOnUpsampledLogits: config.lossOnUpsampledLogits,
    ...(config.classWeighting === 'frequency' ? { classWeights: trainingClassWeights(train, numClasses) } : {}),
    ...(config.focalGamma > 0 ? { focalGamma: config.focalGamma } : {}),
    ...(config.dicePresentOnly ? { dicePresentOnly: true } : {}),
  };
}
