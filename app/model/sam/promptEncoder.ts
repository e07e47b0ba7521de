// SAM's prompt encoder (reference `modeling/prompt_encoder.py`): random-Fourier positional
// encoding, point/box sparse embeddings, mask (dense) embedding. NHWC for dense outputs.
import { geluErf, layerNorm2d, patchConv, pointwiseConv, tf } from '../nn.js';
import type { PromptEncoderWeights } from './weights.js';

/** Random-Fourier PE of coordinates in [0,1]: [..., 2] → [..., C]. */
export function peEncoding(coords: tf.Tensor, gaussian: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const shape = coords.shape;
    const c = tf.matMul(tf.sub(tf.mul(coords.reshape([-1, 2]), 2), 1) as tf.Tensor2D, gaussian);
    const a = tf.mul(c, 2 * Math.PI);
    return tf.concat([tf.sin(a), tf.cos(a)], -1).reshape([...shape.slice(0, -1), gaussian.shape[1] * 2]);
  });
}

/** Dense PE of a g×g grid (pixel centres, channels from [x, y]): (1, g, g, C). */
export function densePE(gaussian: tf.Tensor2D, g: number): tf.Tensor4D {
  const grid = new Float32Array(g * g * 2);
  for (let y = 0; y < g; y++) {
    for (let x = 0; x < g; x++) {
      grid[(y * g + x) * 2] = (x + 0.5) / g;
      grid[(y * g + x) * 2 + 1] = (y + 0.5) / g;
    }
  }
  return tf.tidy(() => peEncoding(tf.tensor3d(grid, [g, g, 2]), gaussian).expandDims(0) as tf.Tensor4D);
}

export interface PromptInput {
  /** Points in the S×S input frame, (B, N, 2) as nested arrays [x, y]. */
  points?: number[][][];
  /** Labels (B, N): 1 foreground, 0 background, −1 padding/not-a-point. */
  labels?: number[][];
  /** Boxes in the input frame, (B, 4) x0 y0 x1 y1. */
  boxes?: number[][];
  /** Low-res mask logits (B, 4g, 4g, 1) NHWC. */
  masks?: tf.Tensor4D;
}

export type PromptEmbeddings = {
  /** (B, Ns, C) */
  sparse: tf.Tensor3D;
  /** (B, g, g, C) */
  dense: tf.Tensor4D;
};

/** Sparse embeddings of points: PE(coords + 0.5) with label-dependent learned vectors. */
function embedPoints(points: number[][][], labels: number[][], pad: boolean, w: PromptEncoderWeights, s: number): tf.Tensor3D {
  const b = points.length;
  const n = points[0].length + (pad ? 1 : 0);
  const coords = new Float32Array(b * n * 2);
  // Per point: [keep PE, + not_a_point, + negative, + positive]
  const mix = new Float32Array(b * n * 3);
  const keep = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    if (points[i].length !== points[0].length || labels[i].length !== points[i].length) throw new Error('prompt encoder: every batch item needs the same number of points and labels');
    for (let j = 0; j < n; j++) {
      const isPad = pad && j === n - 1;
      const [x, y] = isPad ? [0, 0] : points[i][j];
      const label = isPad ? -1 : labels[i][j];
      const o = i * n + j;
      coords[o * 2] = (x + 0.5) / s;
      coords[o * 2 + 1] = (y + 0.5) / s;
      if (label === -1) mix[o * 3] = 1;
      else if (label === 0) mix[o * 3 + 1] = 1;
      else if (label === 1) mix[o * 3 + 2] = 1;
      else throw new Error(`prompt encoder: point label ${label} is not −1, 0 or 1`);
      keep[o] = label === -1 ? 0 : 1;
    }
  }
  return tf.tidy(() => {
    const pe = peEncoding(tf.tensor3d(coords, [b, n, 2]), w.peGaussian) as tf.Tensor3D;
    const table = tf.concat([w.notAPointEmbed, w.pointEmbeddings[0], w.pointEmbeddings[1]], 0) as tf.Tensor2D;
    const learned = tf.matMul(tf.tensor2d(mix, [b * n, 3]), table).reshape([b, n, -1]);
    return tf.add(tf.mul(pe, tf.tensor3d(keep, [b, n, 1])), learned) as tf.Tensor3D;
  });
}

/** Sparse embeddings of boxes: two corners, + point_embeddings[2] / [3]. */
function embedBoxes(boxes: number[][], w: PromptEncoderWeights, s: number): tf.Tensor3D {
  const b = boxes.length;
  const coords = new Float32Array(b * 4);
  boxes.forEach((box, i) => {
    if (box.length !== 4) throw new Error('prompt encoder: a box needs 4 numbers x0 y0 x1 y1');
    for (let k = 0; k < 4; k++) coords[i * 4 + k] = (box[k] + 0.5) / s;
  });
  return tf.tidy(() => {
    const pe = peEncoding(tf.tensor3d(coords, [b, 2, 2]), w.peGaussian) as tf.Tensor3D;
    const corners = tf.concat([w.pointEmbeddings[2], w.pointEmbeddings[3]], 0).expandDims(0);
    return tf.add(pe, corners) as tf.Tensor3D;
  });
}

/** Mask downscaling: (B, 4g, 4g, 1) → (B, g, g, C). */
export function embedMask(masks: tf.Tensor4D, w: PromptEncoderWeights): tf.Tensor4D {
  const m = w.maskDownscaling;
  return tf.tidy(() => {
    let x = geluErf(layerNorm2d(patchConv(masks, m.conv1), m.ln1));
    x = geluErf(layerNorm2d(patchConv(x, m.conv2), m.ln2));
    return pointwiseConv(x, m.conv3);
  });
}

/**
 * Prompt encoder forward. `s` is the encoder input side (points/boxes are in that frame) and `g`
 * the embedding grid side.
 */
export function promptEncoderForward(input: PromptInput, w: PromptEncoderWeights, s: number, g: number): PromptEmbeddings {
  const b = input.points?.length ?? input.boxes?.length ?? input.masks?.shape[0] ?? 1;
  const c = w.notAPointEmbed.shape[1];
  return tf.tidy(() => {
    const parts: tf.Tensor3D[] = [];
    if (input.points) {
      if (!input.labels) throw new Error('prompt encoder: points need labels');
      parts.push(embedPoints(input.points, input.labels, !input.boxes, w, s));
    }
    if (input.boxes) parts.push(embedBoxes(input.boxes, w, s));
    const sparse = parts.length === 0 ? tf.zeros([b, 0, c]) as tf.Tensor3D : parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor3D);
    let dense: tf.Tensor4D;
    if (input.masks) {
      if (input.masks.shape[1] !== 4 * g || input.masks.shape[2] !== 4 * g) throw new Error(`prompt encoder: mask input must be ${4 * g}×${4 * g}, got ${input.masks.shape[1]}×${input.masks.shape[2]}`);
      dense = embedMask(input.masks, w);
    } else {
      // Broadcasting add instead of tf.tile, which is slow on wasm.
      dense = tf.add(tf.zeros([b, g, g, c]), w.noMaskEmbed.reshape([1, 1, 1, c])) as tf.Tensor4D;
    }
    return { sparse, dense };
  });
}
