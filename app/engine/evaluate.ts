// Evaluation at the original image resolution: logits are upsampled bilinearly to S×S, the
// padding is cropped, the rest is resized to the original size and only then argmax'd — never on
// the decoder's coarse grid, where a 2-pixel scratch vanishes. One dataset-level confusion matrix
// (per-class IoU/Dice, mIoU/mDice with and without background, pixel accuracy), plus per-image
// IoU for the comparison view.
import { tf } from '../tensor/tf.js';
import type { SegmenterDescription, TrainableSegmenter } from '../model/segmenterTypes.js';
import type { Sample } from './dataPipeline.js';
import { inputBatch } from './dataPipeline.js';
import type { MetricSummary } from './trainEvents.js';
import { classMapsFromLogits } from '../metrics/evaluateLogits.js';
import { ConfusionMatrix, computeMetrics, scoreImage, type SegmentationMetrics } from '../metrics/segmentationMetrics.js';
import { segmentTiledTf, segmentTiledWith } from './tiledInference.js';

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

export interface EvaluateOptions {
  batchSize?: number;
  classNames?: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

/** Accumulates the dataset confusion matrix and per-image rows, one predicted chunk at a time. */
class EvaluationAccumulator {
  private readonly total: ConfusionMatrix;
  private readonly perImage: ImageEvaluation[] = [];
  constructor(private readonly k1: number) {
    this.total = new ConfusionMatrix(k1);
  }
  add(chunk: readonly Sample[], preds: readonly Uint8Array[]): void {
    chunk.forEach((s, j) => {
      const { matrix, metrics: m } = scoreImage(preds[j]!, s.label, this.k1, { what: s.name });
      this.total.merge(matrix);
      this.perImage.push({ imageId: s.imageId, maskVersionId: s.maskVersionId, name: s.name, iou: m.perClass.map((c) => c.iou), mIoU: m.mIoU, pixelAccuracy: m.pixelAccuracy });
    });
  }
  result(images: number, classNames?: readonly string[]): EvaluationResult {
    const names = classNames && classNames.length === this.k1 ? classNames : undefined;
    return { numClasses: this.k1, images, confusion: this.total.toJSON().counts, metrics: computeMetrics(this.total, names), perImage: this.perImage };
  }
}

/** Runs the model over samples (with labels) and accumulates the metrics. */
export function evaluateSamples(model: TrainableSegmenter, samples: readonly Sample[], opts: EvaluateOptions = {}): EvaluationResult {
  const acc = new EvaluationAccumulator(model.describe().numClasses);
  const batch = Math.max(1, opts.batchSize ?? 4);
  for (let i = 0; i < samples.length; i += batch) {
    const chunk = samples.slice(i, i + batch);
    acc.add(chunk, predictClassMaps(model, chunk));
    opts.onProgress?.(Math.min(samples.length, i + batch), samples.length);
  }
  return acc.result(samples.length, opts.classNames);
}

/**
 * The same evaluation through any forward pass that maps normalised (B,S,S,3) images to class
 * logits (B,S/4,S/4,K+1) NHWC on the host (a training step engine's forward: tfjs or ONNX Runtime).
 */
export async function evaluateSamplesWith(forward: (images: Float32Array) => Promise<Float32Array>, desc: SegmenterDescription, samples: readonly Sample[], opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const acc = new EvaluationAccumulator(desc.numClasses);
  const batch = Math.max(1, opts.batchSize ?? 4);
  for (let i = 0; i < samples.length; i += batch) {
    const chunk = samples.slice(i, i + batch);
    if (chunk.some((s) => s.tiling)) {
      // Tiled samples: tile by tile through the same forward, blended as predictClassMaps does.
      const preds: Uint8Array[] = [];
      for (const s of chunk) preds.push(s.tiling ? (await segmentTiledWith(forward, desc, s.resized, s, s.tiling, batch)).map : (await predictWith(forward, desc, [s]))[0]!);
      acc.add(chunk, preds);
      opts.onProgress?.(Math.min(samples.length, i + batch), samples.length);
      continue;
    }
    acc.add(chunk, await predictWith(forward, desc, chunk));
    opts.onProgress?.(Math.min(samples.length, i + batch), samples.length);
  }
  return acc.result(samples.length, opts.classNames);
}

/** Whole-image class maps of a chunk through a host forward pass. */
async function predictWith(forward: (images: Float32Array) => Promise<Float32Array>, desc: SegmenterDescription, chunk: readonly Sample[]): Promise<Uint8Array[]> {
  const g = desc.logitsSize;
  const x = inputBatch(chunk, desc.inputSize, desc.pixelMean, desc.pixelStd);
  const images = x.dataSync() as Float32Array;
  x.dispose();
  const logits = tf.tensor4d(await forward(images), [chunk.length, g, g, desc.numClasses]);
  try {
    return classMapsFromLogits(logits, desc.inputSize, chunk);
  } finally {
    logits.dispose();
  }
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
