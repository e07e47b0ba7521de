// Evaluation at the original image resolution: logits are upsampled bilinearly to S×S, the
// padding is cropped, the rest is resized to the original size and only then argmax'd — never on
// the decoder's coarse grid, where a 2-pixel scratch vanishes. One dataset-level confusion matrix
// (per-class IoU/Dice, mIoU/mDice with and without background, pixel accuracy), plus per-image
// IoU for the comparison view.
import { tf } from '../tensor/tf.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { Sample } from './dataPipeline.js';
import { inputBatch } from './dataPipeline.js';
import type { MetricSummary } from './trainEvents.js';
import { classMapsFromLogits } from '../metrics/evaluateLogits.js';
import { ConfusionMatrix, computeMetrics, type SegmentationMetrics } from '../metrics/segmentationMetrics.js';
import { segmentTiledTf } from './tiledInference.js';

export interface ImageEvaluation {
  imageId: number;
  maskVersionId: number;
  name: string;
  /** Per-class IoU of this image (null where the class is absent from truth and prediction). */
  iou: (number | null)[];
  /** Mean over the classes present in truth or prediction (incl. background). */
  mIoU: number | null;
  pixelAccuracy: number | null;
}

export interface EvaluationResult {
  numClasses: number;
  images: number;
  /** confusion[t][p] = pixels of true class t predicted as p. */
  confusion: number[][];
  metrics: SegmentationMetrics;
  perImage: ImageEvaluation[];
}

/**
 * Predicted class maps at the original resolution for a batch of samples; a sample with a tiling
 * is segmented tile by tile (its `resized` is then the image at its tiling resolution).
 */
export function predictClassMaps(model: TrainableSegmenter, samples: readonly Pick<Sample, 'resized' | 'width' | 'height' | 'tiling'>[]): Uint8Array[] {
  if (samples.some((s) => s.tiling)) return samples.map((s) => (s.tiling ? segmentTiledTf(model, s.resized, s, s.tiling).map : predictClassMaps(model, [s])[0]!));
  const desc = model.describe();
  const x = inputBatch(samples, desc.inputSize, desc.pixelMean, desc.pixelStd);
  try {
    const logits = tf.tidy(() => model.forward(x, { training: false }));
    try {
      return classMapsFromLogits(logits, desc.inputSize, samples);
    } finally {
      logits.dispose();
    }
  } finally {
    x.dispose();
  }
}

/** Runs the model over samples (with labels) and accumulates the metrics. */
export function evaluateSamples(model: TrainableSegmenter, samples: readonly Sample[], opts: { batchSize?: number; classNames?: readonly string[]; onProgress?: (done: number, total: number) => void } = {}): EvaluationResult {
  const k1 = model.describe().numClasses;
  const batch = Math.max(1, opts.batchSize ?? 4);
  const total = new ConfusionMatrix(k1);
  const perImage: ImageEvaluation[] = [];
  for (let i = 0; i < samples.length; i += batch) {
    const chunk = samples.slice(i, i + batch);
    const preds = predictClassMaps(model, chunk);
    chunk.forEach((s, j) => {
      const one = new ConfusionMatrix(k1);
      one.add(preds[j]!, s.label, s.name);
      total.merge(one);
      const m = computeMetrics(one);
      perImage.push({ imageId: s.imageId, maskVersionId: s.maskVersionId, name: s.name, iou: m.perClass.map((c) => c.iou), mIoU: m.mIoU, pixelAccuracy: m.pixelAccuracy });
    });
    opts.onProgress?.(Math.min(samples.length, i + batch), samples.length);
  }
  const names = opts.classNames && opts.classNames.length === k1 ? opts.classNames : undefined;
  return { numClasses: k1, images: samples.length, confusion: total.toJSON().counts, metrics: computeMetrics(total, names), perImage };
}

export function summarise(r: EvaluationResult): MetricSummary {
  const m = r.metrics;
  return {
    mIoU: m.mIoU,
    mDice: m.mDice,
    mIoUDefects: m.mIoUDefects,
    mDiceDefects: m.mDiceDefects,
    pixelAccuracy: m.pixelAccuracy,
    iou: m.perClass.map((c) => c.iou),
    dice: m.perClass.map((c) => c.dice),
  };
}
