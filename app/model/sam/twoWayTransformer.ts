// SAM's two-way transformer (reference `modeling/transformer.py`): tokens attend to the image and
// the image attends back to the tokens.
import { attention, layerNorm, linear, relu, tf } from '../nn.js';
import type { AttentionWeights, MaskDecoderWeights, TwoWayLayerWeights } from './weights.js';

/** torch.nn.LayerNorm default eps, used by every norm of the two-way transformer. */
const LN_EPS = 1e-5;

/** Multi-head attention with projections to an internal dim (downsampled for cross-attention). */
export function decoderAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, p: AttentionWeights, numHeads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, nq] = q.shape;
    const nk = k.shape[1];
    const internal = p.qProj.weight.shape[1];
    const hd = internal / numHeads;
    const heads = (t: tf.Tensor3D, n: number) => t.reshape([b, n, numHeads, hd]).transpose([0, 2, 1, 3]).reshape([b * numHeads, n, hd]) as tf.Tensor3D;
    const out = attention(heads(linear(q, p.qProj), nq), heads(linear(k, p.kProj), nk), heads(linear(v, p.vProj), nk), 1 / Math.sqrt(hd));
    return linear(out.reshape([b, numHeads, nq, hd]).transpose([0, 2, 1, 3]).reshape([b, nq, internal]) as tf.Tensor3D, p.outProj);
  });
}

function twoWayLayer(queries: tf.Tensor3D, keys: tf.Tensor3D, queryPe: tf.Tensor3D, keyPe: tf.Tensor3D, p: TwoWayLayerWeights, numHeads: number, skipFirstLayerPe: boolean): [tf.Tensor3D, tf.Tensor3D] {
  if (skipFirstLayerPe) {
    queries = decoderAttention(queries, queries, queries, p.selfAttn, numHeads);
  } else {
    const q = tf.add(queries, queryPe) as tf.Tensor3D;
    queries = tf.add(queries, decoderAttention(q, q, queries, p.selfAttn, numHeads));
  }
  queries = layerNorm(queries, p.norm1, LN_EPS);
  let q = tf.add(queries, queryPe) as tf.Tensor3D;
  const k = tf.add(keys, keyPe) as tf.Tensor3D;
  queries = layerNorm(tf.add(queries, decoderAttention(q, k, keys, p.crossAttnTokenToImage, numHeads)), p.norm2, LN_EPS);
  queries = layerNorm(tf.add(queries, linear(relu(linear(queries, p.mlp.lin1)), p.mlp.lin2)), p.norm3, LN_EPS);
  q = tf.add(queries, queryPe);
  keys = layerNorm(tf.add(keys, decoderAttention(k, q, queries, p.crossAttnImageToToken, numHeads)), p.norm4, LN_EPS);
  return [queries, keys];
}

/**
 * image (B, h, w, C), imagePe (B, h, w, C), tokens (B, T, C) → [queries (B, T, C), keys (B, h·w, C)].
 */
export function twoWayTransformerForward(image: tf.Tensor4D, imagePe: tf.Tensor4D, tokens: tf.Tensor3D, p: MaskDecoderWeights['transformer'], numHeads: number): [tf.Tensor3D, tf.Tensor3D] {
  return tf.tidy(() => {
    const [b, h, w, c] = image.shape;
    let keys = image.reshape([b, h * w, c]) as tf.Tensor3D;
    const keyPe = imagePe.reshape([b, h * w, c]) as tf.Tensor3D;
    let queries = tokens;
    p.layers.forEach((layer, i) => {
      [queries, keys] = twoWayLayer(queries, keys, tokens, keyPe, layer, numHeads, i === 0);
    });
    const q = tf.add(queries, tokens) as tf.Tensor3D;
    const k = tf.add(keys, keyPe) as tf.Tensor3D;
    queries = layerNorm(tf.add(queries, decoderAttention(q, k, keys, p.finalAttnTokenToImage, numHeads)), p.normFinalAttn, LN_EPS);
    return [queries, keys];
  });
}
