// Class maps at the original resolution plus the model's confidence, for batch segmentation.
// The class map is computed exactly as the engine's classMapsFromLogits (bilinear to S×S, crop the
// padding, bilinear to H0×W0, argmax) so masks equal `SegmentationEngine.segment`'s; the
// confidence is the max softmax probability per pixel of those same upsampled logits.
import { tf } from '../tensor/tf.js';
import type { RgbImage } from '../model/sam/transforms.js';
import { preprocessImage } from '../model/sam/transforms.js';
import { contentSize, type ImageSize } from '../metrics/evaluateLogits.js';
import { OrtSegmenter, TfjsSegmenter, type SegmentationEngine } from '../onnx/ortSegmenter.js';

export interface ImagePrediction {
  /** Class index per pixel, row-major H0×W0. */
  map: Uint8Array;
  /**
   * Mean max-softmax probability over the pixels predicted as a defect (class > 0); over all
   * pixels when the image has no defect pixel (then it says how sure the model is of "clean").
   */
  meanConfidence: number;
  confidenceOver: 'defect' | 'all';
}

/** logits: (B, h, w, K+1) NHWC for B padded S×S inputs. */
export function predictionsFromLogits(logits: tf.Tensor4D, inputSize: number, originals: readonly ImageSize[]): ImagePrediction[] {
  const [B, h, w, C] = logits.shape;
  if (originals.length !== B) throw new Error(`predictionsFromLogits: ${originals.length} image sizes for a batch of ${B}`);
  if (C > 256) throw new Error(`predictionsFromLogits: ${C} classes do not fit a byte map`);
  return originals.map((orig, b) => {
    const [labels, sums] = tf.tidy(() => {
      const c = contentSize(orig, inputSize);
      const one = B === 1 ? logits : tf.slice(logits, [b, 0, 0, 0], [1, h, w, C]);
      const up = tf.image.resizeBilinear(one, [inputSize, inputSize], false, true);
      const crop = tf.slice(up, [0, 0, 0, 0], [1, c.height, c.width, C]);
      const full = tf.image.resizeBilinear(crop, [orig.height, orig.width], false, true);
      const label = tf.argMax(full, -1);
      const conf = tf.max(tf.softmax(full, -1), -1);
      const defect = tf.cast(tf.greater(label, 0), 'float32');
      // [Σ conf over defect pixels, Σ defect pixels, Σ conf over all pixels]
      return [label, tf.stack([tf.sum(tf.mul(conf, defect)), tf.sum(defect), tf.sum(conf)])];
    });
    try {
      const map = Uint8Array.from(labels.dataSync());
      const [confDefect, nDefect, confAll] = Array.from(sums.dataSync());
      const n = orig.width * orig.height;
      return nDefect! > 0
        ? { map, meanConfidence: confDefect! / nDefect!, confidenceOver: 'defect' as const }
        : { map, meanConfidence: confAll! / n, confidenceOver: 'all' as const };
    } finally {
      labels.dispose();
      sums.dispose();
    }
  });
}

/** Runs the engine's model on a batch of images (ONNX Runtime or tfjs) and returns maps + confidence. */
export async function predictImages(engine: SegmentationEngine, images: readonly RgbImage[]): Promise<ImagePrediction[]> {
  const sizes = images.map((img) => ({ width: img.width, height: img.height }));
  if ((engine instanceof OrtSegmenter || engine instanceof TfjsSegmenter) && engine.tiling) {
    // Tiled: one image at a time (its tiles are the batch), memory bounded by the blender's band.
    const out: ImagePrediction[] = [];
    for (const img of images) out.push(await engine.predictTiled(img));
    return out;
  }
  if (engine instanceof OrtSegmenter) {
    const out = await engine.logits(images);
    const [b, k, h, w] = out.dims as [number, number, number, number];
    const nhwc = tf.tidy(() => tf.tensor4d(out.data as Float32Array, [b, k, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
    try {
      return predictionsFromLogits(nhwc, engine.inputSize, sizes);
    } finally {
      nhwc.dispose();
    }
  }
  if (engine instanceof TfjsSegmenter) {
    const d = engine.model.describe();
    const parts = images.map((img) => preprocessImage(img, d.inputSize, d.pixelMean, d.pixelStd).input);
    const x = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor4D);
    if (parts.length > 1) tf.dispose(parts);
    try {
      const logits = tf.tidy(() => engine.model.forward(x, { training: false }));
      try {
        return predictionsFromLogits(logits, d.inputSize, sizes);
      } finally {
        logits.dispose();
      }
    } finally {
      x.dispose();
    }
  }
  // Another engine without logits: its maps, and no confidence to report.
  const maps = await engine.segment(images);
  return maps.map((map) => ({ map, meanConfidence: Number.NaN, confidenceOver: 'all' as const }));
}
