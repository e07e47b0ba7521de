// Class imbalance: per-class CE weights from the training masks' pixel frequencies, and the loss
// options a run's config asks for. Median-frequency balancing (Eigen & Fergus): w_c = median(f) /
// f_c over the classes present, clipped to [CLIP_MIN, CLIP_MAX] so a class of a few pixels cannot
// dominate the gradient; a class absent from the training masks gets weight 1.
// A tiled run measures the frequencies on the crops the sampler draws, not on the whole images:
// defect-centred crops already raise the defect share several-fold, and weighting against the
// whole-image frequencies on top of that double-counts the imbalance (the NEU×4 bench's tiled
// arm, 50 % defect crops with background weighted 0.1, predicted defect on 86 % of the pixels).
import type { StepLossOptions } from './stepEngine.js';
import type { TrainConfig } from './trainConfig.js';
import { chooseCrops, cropIndexOf, type LabelledImage } from './cropSampler.js';
import { cropMap } from './tiling.js';

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

/** Crops per training image drawn to measure a tiled run's class frequencies. */
export const FREQUENCY_CROPS_PER_IMAGE = 8;

/**
 * The labels of the crops a tiled run trains on, as the sampler draws them (a fixed seed, so a
 * resume recomputes the same weights): FREQUENCY_CROPS_PER_IMAGE rounds over the training set.
 */
export function sampledCropLabels(train: readonly LabelledImage[], tile: number, defectShare: number): Uint8Array[] {
  const index = cropIndexOf(train);
  const out: Uint8Array[] = [];
  for (let round = 0; round < FREQUENCY_CROPS_PER_IMAGE; round++) {
    for (const c of chooseCrops(index, train, train, { tile, defectShare }, 0xc1a55 + round)) {
      const img = train[c.sample]!;
      out.push(cropMap(img.resizedLabel, img.resized.width, c.rect));
    }
  }
  return out;
}

const cache = new WeakMap<readonly LabelledImage[], Map<string, number[]>>();

/**
 * CE class weights for a training set (cached per set, class count and crop settings): from the
 * whole images' labels, or with `crops` from the labels of the crops the sampler draws.
 */
export function trainingClassWeights(train: readonly LabelledImage[], numClasses: number, crops: { tile: number; defectShare: number } | null = null): number[] {
  let m = cache.get(train);
  if (!m) cache.set(train, (m = new Map()));
  const key = `${numClasses}/${crops ? `${crops.tile}/${crops.defectShare}` : 'whole'}`;
  let w = m.get(key);
  if (!w) {
    const labels = crops ? sampledCropLabels(train, crops.tile, crops.defectShare) : train.map((s) => s.resizedLabel);
    m.set(key, (w = classWeightsFromFrequencies(classFrequencies(labels, numClasses))));
  }
  return w;
}

/** The loss a run trains with, whichever step engine computes it: weights, focal γ, Dice over present classes. */
export function lossOptionsFor(config: TrainConfig, train: readonly LabelledImage[], numClasses: number): StepLossOptions {
  const crops = config.tileSize > 0 ? { tile: config.tileSize, defectShare: config.defectCropShare } : null;
  return {
    ceWeight: config.ceWeight,
    diceWeight: config.diceWeight,
    lossOnUpsampledLogits: config.lossOnUpsampledLogits,
    ...(config.classWeighting === 'frequency' ? { classWeights: trainingClassWeights(train, numClasses, crops) } : {}),
    ...(config.focalGamma > 0 ? { focalGamma: config.focalGamma } : {}),
    ...(config.dicePresentOnly ? { dicePresentOnly: true } : {}),
  };
}
