// The models' one entry to tensor ops: every file under app/model reaches TensorFlow.js through
// this module (tf itself, and the differentiable building blocks). Kept in one place so that
// custom-gradient versions (e.g. for the wasm backend, where several gradient kernels are missing
// and batched matMul gradients are slow) are swapped in here without touching the models.
// Convolutions with stride == kernel are exact reshape/transpose + 2-D matMul (no conv kernels).
import { tf } from '../tensor/tf.js';
import type { Conv, ConvTranspose, Linear, Norm } from './sam/weights.js';
import * as grad from '../tensor/gradOps.js';

export { tf };
/** Raw-tensor forms of the differentiable ops, for models whose weights are not Linear/Conv records. */
export { bmm, bmmNT, conv2d, matMul, gelu, gatherRows } from '../tensor/gradOps.js';

/** y = x·W + b over the last axis; W is [in, out]. Any leading shape. */
export function linear<T extends tf.Tensor>(x: T, p: Linear): T {
  // The engine's custom-gradient linear: 2-D matMuls only, fast and complete on wasm.
  return grad.linear(x, p.weight, p.bias) as unknown as T;
}

/** LayerNorm over the last axis (biased variance, as PyTorch), with a Norm record's gamma/beta. */
export function layerNorm<T extends tf.Tensor>(x: T, p: Norm, eps: number): T {
  return grad.layerNorm(x, p.weight, p.bias, eps);
}

/** SAM's LayerNorm2d on an NHWC tensor: normalise over channels at every pixel (eps 1e-6). */
export function layerNorm2d(x: tf.Tensor4D, p: Norm, eps = 1e-6): tf.Tensor4D {
  return layerNorm(x, p, eps);
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)) (the tensor layer's one definition). */
export const geluErf = grad.gelu;

export function relu<T extends tf.Tensor>(x: T): T {
  return tf.relu(x);
}

/** Batched q·kᵀ: [B, Nq, d] × [B, Nk, d] → [B, Nq, Nk]. */
export function scores(q: tf.Tensor3D, k: tf.Tensor3D): tf.Tensor3D {
  return grad.bmmNT(q, k);
}

/** Batched p·v: [B, Nq, Nk] × [B, Nk, d] → [B, Nq, d]. */
export function weightedSum(p: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  return grad.bmm(p, v);
}

export function softmaxLastAxis<T extends tf.Tensor>(x: T): T {
  return tf.softmax(x, -1);
}

/** softmax(q·kᵀ·scale + bias)·v over [B, N, d] batches; `bias` broadcast to [B, Nq, Nk]. */
export function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, scale: number, bias?: tf.Tensor3D): tf.Tensor3D {
  let a = scores(tf.mul(q, scale), k);
  if (bias) a = tf.add(a, bias);
  return weightedSum(softmaxLastAxis(a), v);
}

/**
 * Conv2d with stride == kernel (no padding) on NHWC, as reshape/transpose + one 2-D matMul.
 * weight [k, k, in, out]; H and W must be multiples of k.
 */
export function patchConv(x: tf.Tensor4D, p: Conv): tf.Tensor4D {
  const [kh, kw, cin, cout] = p.weight.shape;
  const [b, h, w, c] = x.shape;
  if (c !== cin || h % kh !== 0 || w % kw !== 0) throw new Error(`patchConv: input ${x.shape} does not fit kernel ${p.weight.shape}`);
  const ho = h / kh;
  const wo = w / kw;
  // (B,H,W,C) = (B·Ho, kh, Wo, kw·C) → (B·Ho, Wo, kh, kw·C) → rows of (kh, kw, C) patches.
  const patches = x.reshape([b * ho, kh, wo, kw * c]).transpose([0, 2, 1, 3]).reshape([b * ho * wo, kh * kw * c]) as tf.Tensor2D;
  let y = grad.matMul(patches, p.weight.reshape([kh * kw * cin, cout]) as tf.Tensor2D);
  if (p.bias) y = tf.add(y, p.bias);
  return y.reshape([b, ho, wo, cout]);
}

/** 1×1 conv on NHWC (weight [1, 1, in, out]). */
export function pointwiseConv(x: tf.Tensor4D, p: Conv): tf.Tensor4D {
  const [, , cin, cout] = p.weight.shape;
  return linear(x, { weight: p.weight.reshape([cin, cout]) as tf.Tensor2D, bias: p.bias });
}

/**
 * ConvTranspose2d with stride == kernel (no overlap) on NHWC: every output pixel comes from one
 * tap, so it is one 2-D matMul then a depth-to-space rearrangement. weight [k, k, out, in].
 */
export function patchConvTranspose(x: tf.Tensor4D, p: ConvTranspose): tf.Tensor4D {
  const [kh, kw, cout, cin] = p.weight.shape;
  const [b, h, w, c] = x.shape;
  if (c !== cin) throw new Error(`patchConvTranspose: input channels ${c} do not match weight ${p.weight.shape}`);
  const wMat = p.weight.transpose([3, 0, 1, 2]).reshape([cin, kh * kw * cout]) as tf.Tensor2D;
  const y = grad.matMul(x.reshape([b * h * w, cin]) as tf.Tensor2D, wMat);
  // (B·H, W, kh, kw·out) → (B·H, kh, W, kw·out) = (B, H·kh, W·kw, out)
  const out = y.reshape([b * h, w, kh, kw * cout]).transpose([0, 2, 1, 3]).reshape([b, h * kh, w * kw, cout]) as tf.Tensor4D;
  return tf.add(out, p.bias);
}

/** General conv2d (stride 1, 'same' padding) for kernels that overlap, e.g. the neck's 3×3. */
export function conv2dSame(x: tf.Tensor4D, p: Conv): tf.Tensor4D {
  // Conv2DBackpropFilter is missing on wasm; the engine's conv2d brings its own weight gradient.
  const y = grad.conv2d(x, p.weight);
  return p.bias ? tf.add(y, p.bias) : y;
}

/**
 * PyTorch Conv2d(stride, padding, groups) on NHWC for the kernels that need more than conv2dSame:
 * strided convolutions and depth-wise ones (groups = channels; weight [kh, kw, C, 1]).
 */
export function conv2dStrided(x: tf.Tensor4D, p: Conv, stride: number, pad: number, groups: 1 | 'depthwise'): tf.Tensor4D {
  // Through the tensor layer's ops, whose gradients also run on wasm (no depth-wise backprop or
  // Conv2DBackpropFilter kernels there), so a trainable TinyViT encoder or neck trains everywhere.
  const y = groups === 'depthwise' ? grad.depthwiseConv2d(x, p.weight, stride, pad) : grad.conv2dStrided(x, p.weight, stride, pad);
  return p.bias ? tf.add(y, p.bias) : y;
}

/** Bilinear resize matching PyTorch F.interpolate(mode='bilinear', align_corners=False). */
export function resizeBilinearTorch<T extends tf.Tensor3D | tf.Tensor4D>(x: T, size: [number, number]): T {
  return tf.image.resizeBilinear(x, size, false, true);
}
