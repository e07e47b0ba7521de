// SAM's mask decoder (reference `modeling/mask_decoder.py`): output tokens + prompt tokens through
// the two-way transformer, upscaling by two stride-2 transposed convs, hypernetwork MLPs, IoU head.
import { bmmNT, geluErf, layerNorm2d, linear, patchConvTranspose, relu, tf } from '../nn.js';
import { twoWayTransformerForward } from './twoWayTransformer.js';
import type { Linear, MaskDecoderWeights } from './weights.js';

/** MLP with ReLU between layers (none after the last). */
export function mlpForward<T extends tf.Tensor>(x: T, layers: Linear[]): T {
  return tf.tidy(() => {
    let h = x;
    layers.forEach((l, i) => {
      h = linear(h, l);
      if (i < layers.length - 1) h = relu(h);
    });
    return h;
  });
}

export interface MaskDecoderInput {
  /** (1 or B, g, g, C) */
  imageEmbeddings: tf.Tensor4D;
  /** (1, g, g, C) */
  imagePe: tf.Tensor4D;
  /** (B, Ns, C) */
  sparse: tf.Tensor3D;
  /** (B, g, g, C) */
  dense: tf.Tensor4D;
  multimask: boolean;
}

export type MaskDecoderOutput = {
  /** Low-res mask logits (B, M, 4g, 4g); M = numMultimaskOutputs or 1. */
  masks: tf.Tensor4D;
  /** (B, M) */
  iou: tf.Tensor2D;
};

/** All mask tokens' masks and IoU predictions, before the multimask selection. */
export function predictMasks(input: Omit<MaskDecoderInput, 'multimask'>, p: MaskDecoderWeights, numHeads: number): MaskDecoderOutput {
  return tf.tidy(() => {
    const b = input.sparse.shape[0];
    const numMask = p.maskTokens.shape[0];
    const c = p.iouToken.shape[1];
    const output = tf.concat([p.iouToken, p.maskTokens], 0).expandDims(0);
    const tokens = tf.concat([tf.tile(output, [b, 1, 1]), input.sparse], 1) as tf.Tensor3D;
    const rep = (t: tf.Tensor4D) => (t.shape[0] === b ? t : (tf.tile(t, [b, 1, 1, 1]) as tf.Tensor4D));
    const src = tf.add(rep(input.imageEmbeddings), input.dense) as tf.Tensor4D;
    const [, h, w] = src.shape;
    const [hs, keys] = twoWayTransformerForward(src, rep(input.imagePe), tokens, p.transformer, numHeads);
    const iouTokenOut = tf.slice(hs, [0, 0, 0], [b, 1, c]).reshape([b, c]) as tf.Tensor2D;
    const up = p.outputUpscaling;
    let x = keys.reshape([b, h, w, c]) as tf.Tensor4D;
    x = geluErf(layerNorm2d(patchConvTranspose(x, up.conv1), up.ln));
    x = geluErf(patchConvTranspose(x, up.conv2));
    const [, uh, uw, uc] = x.shape;
    const hyper = tf.stack(
      p.outputHypernetworksMlps.map((mlp, i) => mlpForward(tf.slice(hs, [0, 1 + i, 0], [b, 1, c]).reshape([b, c]), mlp)),
      1,
    ) as tf.Tensor3D;
    const masks = bmmNT(hyper, x.reshape([b, uh * uw, uc]) as tf.Tensor3D).reshape([b, numMask, uh, uw]) as tf.Tensor4D;
    const iou = mlpForward(iouTokenOut, p.iouPredictionHead);
    return { masks, iou };
  });
}

/** Mask decoder forward with the reference multimask selection (tokens 1.. or token 0). */
export function maskDecoderForward(input: MaskDecoderInput, p: MaskDecoderWeights, numHeads: number): MaskDecoderOutput {
  return tf.tidy(() => {
    const all = predictMasks(input, p, numHeads);
    const [b, m, h, w] = all.masks.shape;
    const [start, count] = input.multimask ? [1, m - 1] : [0, 1];
    return {
      masks: tf.slice(all.masks, [0, start, 0, 0], [b, count, h, w]),
      iou: tf.slice(all.iou, [0, start], [b, count]),
    };
  });
}
