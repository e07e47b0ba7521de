// Turns the decoder's low-resolution class logits into class maps at each image's ORIGINAL
// resolution, exactly as SAM's postprocess_masks does for mask logits: bilinear (half-pixel
// centres) up to the padded S×S input, crop the padding (SAM resizes the longest side to S and
// pads bottom/right), bilinear to H0×W0, then argmax. Scoring on the coarse grid would erase thin
// defects such as 2-pixel scratches, so metrics are always computed on these maps.
import { tf } from '../tensor/tf.js';
import type { ConfusionMatrix } from './segmentationMetrics.js';

export interface ImageSize {
  height: number;
  width: number;
}

/** The region (top-left) an H0×W0 image occupies in the S×S input: round(H0·S/max) × round(W0·S/max). */
export function contentSize(original: ImageSize, inputSize: number): ImageSize {
  const { height, width } = original;
  if (!(height > 0 && width > 0)) throw new Error(`contentSize: bad image size ${width}×${height}`);
  const scale = inputSize / Math.max(height, width);
  // SAM ResizeLongestSide: int(x·scale + 0.5).
  return { height: Math.floor(height * scale + 0.5), width: Math.floor(width * scale + 0.5) };
}

/**
 * Batch item b's logits over the image it was made from (call inside tf.tidy): bilinear
 * (half-pixel) up to S×S, crop to the `content` region (top-left), bilinear to `target`.
 */
export function logitsOverImage(logits: tf.Tensor4D, b: number, inputSize: number, content: ImageSize, target: ImageSize): tf.Tensor4D {
  const [B, h, w, C] = logits.shape;
  const one = B === 1 ? logits : tf.slice(logits, [b, 0, 0, 0], [1, h, w, C]);
  const up = tf.image.resizeBilinear(one, [inputSize, inputSize], false, true);
  const crop = tf.slice(up, [0, 0, 0, 0], [1, content.height, content.width, C]);
  return target.height === content.height && target.width === content.width ? crop : tf.image.resizeBilinear(crop, [target.height, target.width], false, true);
}

/**
 * logits: (B, h, w, K+1) for B padded S×S inputs (S = inputSize); originals: B image sizes.
 * Returns B class maps (row-major H0×W0, class indices) at the original resolutions.
 */
export function classMapsFromLogits(logits: tf.Tensor4D, inputSize: number, originals: readonly ImageSize[]): Uint8Array[] {
  const [B, , , C] = logits.shape;
  if (originals.length !== B) throw new Error(`classMapsFromLogits: ${originals.length} image sizes for a batch of ${B}`);
  if (C > 256) throw new Error(`classMapsFromLogits: ${C} classes do not fit a byte map`);
  return originals.map((orig, b) => {
    const classes = tf.tidy(() => tf.argMax(logitsOverImage(logits, b, inputSize, contentSize(orig, inputSize), orig), -1));
    // Read outside tf.tidy: returning a typed array from it walks every element.
    const map = Uint8Array.from(classes.dataSync());
    classes.dispose();
    return map;
  });
}

export interface GroundTruth extends ImageSize {
  /** H0×W0 class indices. */
  mask: ArrayLike<number>;
  /** Names the image in errors. */
  name?: string;
}

/** Scores one batch: class maps at original resolution accumulated into cm. Returns the maps. */
export function accumulateLogits(cm: ConfusionMatrix, logits: tf.Tensor4D, inputSize: number, truths: readonly GroundTruth[]): Uint8Array[] {
  const maps = classMapsFromLogits(logits, inputSize, truths);
  maps.forEach((m, i) => cm.add(m, truths[i].mask, truths[i].name ?? `image ${i}`));
  return maps;
}
