// Tiled inference with tensors: the per-tile post-processing shared by the tfjs model and ONNX
// Runtime (logits → probabilities over the tile's original-image region, exactly as the
// whole-image path post-processes: bilinear up to S, crop the padding, bilinear to the region),
// and the tfjs driver. The geometry and blending are tiling.ts's.
import { tf } from '../tensor/tf.js';
import type { SegmenterDescription, TrainableSegmenter } from '../model/segmenterTypes.js';
import type { RgbImage } from '../model/sam/transforms.js';
import { contentSize, logitsOverImage } from '../metrics/evaluateLogits.js';
import { inputBatch } from './dataPipeline.js';
import { cropRgb, TileBlender, type TileRect, type TilingSpec } from './tiling.js';

/**
 * logits: (B, h, w, K+1) NHWC for B padded S×S tile inputs; crops: the B tiles' pixel sizes;
 * regions: the B original-image region sizes. Returns per tile (rh×rw×(K+1)) softmax probabilities.
 */
export function tileProbabilities(logits: tf.Tensor4D, inputSize: number, crops: readonly { width: number; height: number }[], regions: readonly { width: number; height: number }[]): Float32Array[] {
  const B = logits.shape[0];
  if (crops.length !== B || regions.length !== B) throw new Error(`tileProbabilities: ${crops.length} tiles for a batch of ${B}`);
  return crops.map((crop, b) => {
    const probs = tf.tidy(() => tf.softmax(logitsOverImage(logits, b, inputSize, contentSize(crop, inputSize), regions[b]!), -1));
    const out = probs.dataSync() as Float32Array;
    probs.dispose();
    return out;
  });
}

/** The crops and original-region sizes of a group of tiles. */
export function tileInputs(blender: TileBlender, image: RgbImage, tiles: readonly TileRect[]): { crops: RgbImage[]; regions: { width: number; height: number }[] } {
  const crops = tiles.map((t) => cropRgb(image, t));
  const regions = tiles.map((t) => {
    const r = blender.region(t);
    return { width: r.x1 - r.x0, height: r.y1 - r.y0 };
  });
  return { crops, regions };
}

export interface TiledPrediction {
  /** Class index per pixel, row-major H0×W0. */
  map: Uint8Array;
  meanConfidence: number;
  confidenceOver: 'defect' | 'all';
}

/**
 * Class map at the original size (width×height) of an image already at its tiling resolution
 * (`tilingImage`), through the tfjs model, `batchSize` tiles per forward pass.
 */
export function segmentTiledTf(model: TrainableSegmenter, tilingImage: RgbImage, original: { width: number; height: number }, spec: TilingSpec, batchSize = 4): TiledPrediction {
  const d = model.describe();
  if (spec.tile !== d.inputSize) throw new Error(`tiling: tile ${spec.tile} differs from the model's input size ${d.inputSize}`);
  const blender = new TileBlender(original.width, original.height, tilingImage.width, tilingImage.height, d.numClasses, spec);
  for (const tiles of blender.batches(Math.max(1, batchSize))) {
    const { crops, regions } = tileInputs(blender, tilingImage, tiles);
    const x = inputBatch(crops.map((c) => ({ resized: c })), d.inputSize, d.pixelMean, d.pixelStd);
    try {
      const logits = tf.tidy(() => model.forward(x, { training: false }));
      try {
        for (const p of tileProbabilities(logits, d.inputSize, crops, regions)) blender.add(p);
      } finally {
        logits.dispose();
      }
    } finally {
      x.dispose();
    }
  }
  const map = blender.finish();
  return { map, ...blender.confidence() };
}

/**
 * Tiled segmentation through any async logits source: `tileLogits` maps a group of tile crops to
 * logits (B, h, w, K+1) NHWC (the caller's tensor; disposed here). Shared by step engines' forward
 * passes and the ONNX Runtime segmenter.
 */
export async function segmentTiledBy(tileLogits: (crops: RgbImage[]) => Promise<tf.Tensor4D>, inputSize: number, numClasses: number, tilingImage: RgbImage, original: { width: number; height: number }, spec: TilingSpec, batchSize = 4): Promise<TiledPrediction> {
  if (spec.tile !== inputSize) throw new Error(`tiling: tile ${spec.tile} differs from the model's input size ${inputSize}`);
  const blender = new TileBlender(original.width, original.height, tilingImage.width, tilingImage.height, numClasses, spec);
  for (const tiles of blender.batches(Math.max(1, batchSize))) {
    const { crops, regions } = tileInputs(blender, tilingImage, tiles);
    const logits = await tileLogits(crops);
    try {
      for (const p of tileProbabilities(logits, inputSize, crops, regions)) blender.add(p);
    } finally {
      logits.dispose();
    }
  }
  const map = blender.finish();
  return { map, ...blender.confidence() };
}

/**
 * The same tiled segmentation through a host forward pass (a step engine's: tfjs or ONNX Runtime)
 * mapping normalised (B,S,S,3) tile inputs to logits (B,S/4,S/4,K+1) NHWC.
 */
export function segmentTiledWith(forward: (images: Float32Array) => Promise<Float32Array>, desc: SegmenterDescription, tilingImage: RgbImage, original: { width: number; height: number }, spec: TilingSpec, batchSize = 4): Promise<TiledPrediction> {
  const g = desc.logitsSize;
  const tileLogits = async (crops: RgbImage[]): Promise<tf.Tensor4D> => {
    const x = inputBatch(crops.map((c) => ({ resized: c })), desc.inputSize, desc.pixelMean, desc.pixelStd);
    const images = x.dataSync() as Float32Array;
    x.dispose();
    return tf.tensor4d(await forward(images), [crops.length, g, g, desc.numClasses]);
  };
  return segmentTiledBy(tileLogits, desc.inputSize, desc.numClasses, tilingImage, original, spec, batchSize);
}
