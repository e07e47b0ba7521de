// Decomposed relative position terms (MViTv2 style) of SAM's encoder attention, built without
// tf.gather or einsum (both lack gradients on some backends): the index table is a constant
// one-hot matrix and the lookup a matMul.
import { bmmNT, matMul, resizeBilinearTorch, tf } from '../nn.js';

/** Linear resize of a [L, C] table along L (PyTorch F.interpolate 'linear', align_corners=False). */
export function resizeRelPosTable(rel: tf.Tensor2D, length: number): tf.Tensor2D {
  const [l0, c] = rel.shape;
  if (l0 === length) return rel.clone();
  return tf.tidy(() => resizeBilinearTorch(rel.reshape([1, l0, 1, c]) as tf.Tensor4D, [length, 1]).reshape([length, c]) as tf.Tensor2D);
}

/** The one-hot [q·k, 2·max(q,k)−1] table selecting rel[(qi·sq − kj·sk) + (k−1)·sk] (reference get_rel_pos). */
export function relPosOneHot(qSize: number, kSize: number): tf.Tensor2D {
  const maxRelDist = 2 * Math.max(qSize, kSize) - 1;
  const qScale = Math.max(kSize / qSize, 1);
  const kScale = Math.max(qSize / kSize, 1);
  const table = new Float32Array(qSize * kSize * maxRelDist);
  for (let i = 0; i < qSize; i++) {
    for (let j = 0; j < kSize; j++) {
      const idx = Math.trunc(i * qScale - j * kScale + (kSize - 1) * kScale);
      table[(i * kSize + j) * maxRelDist + idx] = 1;
    }
  }
  return tf.tensor2d(table, [qSize * kSize, maxRelDist]);
}

/** rel_pos [L, C] → gathered relative embeddings [q, k, C] (resized first if L ≠ 2·max(q,k)−1). */
export function getRelPos(qSize: number, kSize: number, rel: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const maxRelDist = 2 * Math.max(qSize, kSize) - 1;
    const table = rel.shape[0] === maxRelDist ? rel : resizeRelPosTable(rel, maxRelDist);
    return matMul(relPosOneHot(qSize, kSize), table).reshape([qSize, kSize, rel.shape[1]]) as tf.Tensor3D;
  });
}

/**
 * The additive attention bias [B, qh·qw, kh·kw] from unscaled queries q [B, qh, qw, C]:
 * bias[b, (y,x), (ky,kx)] = q[b,y,x]·Rh[y,ky] + q[b,y,x]·Rw[x,kx].
 */
export function relPosBias(q: tf.Tensor4D, rh: tf.Tensor3D, rw: tf.Tensor3D): tf.Tensor3D {
  const [b, qh, qw, c] = q.shape;
  const kh = rh.shape[1];
  const kw = rw.shape[1];
  // rel_h: batch over y: (qh, B·qw, C) × (qh, C, kh)
  const qByH = q.transpose([1, 0, 2, 3]).reshape([qh, b * qw, c]) as tf.Tensor3D;
  const relH = bmmNT(qByH, rh).reshape([qh, b, qw, kh]).transpose([1, 0, 2, 3]);
  // rel_w: batch over x: (qw, B·qh, C) × (qw, C, kw)
  const qByW = q.transpose([2, 0, 1, 3]).reshape([qw, b * qh, c]) as tf.Tensor3D;
  const relW = bmmNT(qByW, rw).reshape([qw, b, qh, kw]).transpose([1, 2, 0, 3]);
  const bias = tf.add(relH.reshape([b, qh * qw, kh, 1]), relW.reshape([b, qh * qw, 1, kw]));
  return bias.reshape([b, qh * qw, kh * kw]) as tf.Tensor3D;
}
