// Neural-network layers written as ONNX nodes on an OnnxGraphBuilder. Weights arrive in the TF.js
// layouts of `SamWeights` (linear [in,out]; conv [kh,kw,in,out]; transposed conv [kh,kw,out,in]) and
// are converted here to ONNX's (conv [out,in,kh,kw]; ConvTranspose [in,out,kh,kw]).
import type { tf } from '../tensor/tf.js';
import { OnnxGraphBuilder } from './onnxGraphBuilder.js';
import { getRelPos } from '../model/sam/relPos.js';

export interface LinearW {
  weight: tf.Tensor;
  bias?: tf.Tensor;
}
export interface NormW {
  weight: tf.Tensor;
  bias: tf.Tensor;
}

/** A copy of a tensor's values (the builder keeps references until it serialises). */
export function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

/** Row-major permutation of an N-D array: out.shape[i] = shape[perm[i]]. */
export function permuteArray(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const n = shape.length;
  const inStrides = new Array<number>(n);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const step = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(n).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    for (let d = n - 1; d >= 0; d--) {
      idx[d]!++;
      src += step[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= step[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

export class OnnxLayers {
  private readonly constants = new Map<string, string>();

  constructor(readonly b: OnnxGraphBuilder) {}

  /** A float scalar constant, shared by every use. */
  scalar(v: number): string {
    const key = `f:${v}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.b.weight('c', new Float32Array([v]), []);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared by every use. */
  ints(v: number[]): string {
    const key = `i:${v.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.b.int64('i', v);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A scalar int64 constant (Gather index). */
  index(v: number): string {
    const key = `s:${v}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.b.int64('idx', [v], []);
      this.constants.set(key, name);
    }
    return name;
  }

  add(a: string, c: string): string {
    return this.b.op('Add', [a, c]);
  }
  mul(a: string, c: string): string {
    return this.b.op('Mul', [a, c]);
  }
  sub(a: string, c: string): string {
    return this.b.op('Sub', [a, c]);
  }
  matMul(a: string, c: string): string {
    return this.b.op('MatMul', [a, c]);
  }
  /** `0` in a shape copies that input dimension, `-1` is inferred (ONNX Reshape). */
  reshape(x: string, shape: number[]): string {
    return this.b.op('Reshape', [x, this.ints(shape)]);
  }
  transpose(x: string, perm: number[]): string {
    return this.b.op('Transpose', [x], { perm });
  }
  /** Slice along `axes` with [starts, ends). */
  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    return this.b.op('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes)]);
  }
  /** Select one index along an axis (the axis is dropped). */
  gather(x: string, i: number, axis: number): string {
    return this.b.op('Gather', [x, this.index(i)], { axis });
  }
  concat(xs: string[], axis: number): string {
    return xs.length === 1 ? xs[0]! : this.b.op('Concat', xs, { axis });
  }
  unsqueeze(x: string, axes: number[]): string {
    return this.b.op('Unsqueeze', [x, this.ints(axes)]);
  }

  /** A float32 weight from a tensor, optionally reshaped/permuted. */
  tensor(prefix: string, t: tf.Tensor, perm?: number[]): string {
    const data = values(t);
    if (!perm) return this.b.weight(prefix, data, t.shape);
    return this.b.weight(prefix, permuteArray(data, t.shape, perm), perm.map((p) => t.shape[p]!));
  }

  /** A float32 weight from a tensor, viewed with other dims of the same size. */
  tensorAs(prefix: string, t: tf.Tensor, dims: number[]): string {
    return this.b.weight(prefix, values(t), dims);
  }

  /** Decomposed rel-pos table [L, hd] gathered for a side → [side, hd, side] (ready for q·Rᵀ batched over rows). */
  relPosTable(side: number, rel: tf.Tensor2D, prefix: string): string {
    const gathered = getRelPos(side, side, rel);
    try {
      const hd = rel.shape[1];
      return this.b.weight(prefix, permuteArray(values(gathered), [side, side, hd], [0, 2, 1]), [side, hd, side]);
    } finally {
      gathered.dispose();
    }
  }

  /**
   * Columns `idxs` of a [rows, cols] table → [rows, idxs.length] (TinyViT's attention-bias
   * lookup). A frozen table is gathered once into a constant; training graphs override this for
   * a trainable one.
   */
  tableColumns(prefix: string, table: tf.Tensor2D, idxs: Int32Array): string {
    const [rows, cols] = table.shape;
    const all = values(table);
    const picked = new Float32Array(rows * idxs.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < idxs.length; j++) picked[r * idxs.length + j] = all[r * cols + idxs[j]!]!;
    return this.b.weight(prefix, picked, [rows, idxs.length]);
  }

  /**
   * Told where each encoder block starts and ends (its input / output value); a no-op here.
   * Training graphs use it to recompute blocks in the backward pass.
   */
  encoderBlockBoundary(_blockIndex: number, _phase: 'start' | 'end', _value: string): void {}

  /** x·W + b over the last axis; W [in, out]. */
  linear(x: string, p: LinearW, prefix = 'linear', weightData?: Float32Array): string {
    const w = weightData ? this.b.weight(`${prefix}_w`, weightData, p.weight.shape) : this.tensor(`${prefix}_w`, p.weight);
    const y = this.matMul(x, w);
    return p.bias ? this.add(y, this.tensor(`${prefix}_b`, p.bias)) : y;
  }

  /** LayerNorm over the last axis. */
  layerNorm(x: string, p: NormW, eps: number, prefix = 'ln'): string {
    return this.b.op('LayerNormalization', [x, this.tensor(`${prefix}_g`, p.weight), this.tensor(`${prefix}_b`, p.bias)], { axis: -1, epsilon: eps });
  }

  /** LayerNorm over the channels of an NCHW tensor (SAM's LayerNorm2d). */
  layerNorm2dNchw(x: string, p: NormW, eps: number, prefix = 'ln2d'): string {
    return this.transpose(this.layerNorm(this.transpose(x, [0, 2, 3, 1]), p, eps, prefix), [0, 3, 1, 2]);
  }

  /** Exact GELU 0.5·x·(1 + erf(x/√2)) (ONNX Runtime fuses the pattern). */
  gelu(x: string): string {
    const erf = this.b.op('Erf', [this.mul(x, this.scalar(Math.SQRT1_2))]);
    return this.mul(this.mul(x, this.scalar(0.5)), this.add(erf, this.scalar(1)));
  }

  relu(x: string): string {
    return this.b.op('Relu', [x]);
  }

  /**
   * Conv2d on NCHW from a TF.js-layout weight [kh, kw, in, out], or with `depthwise` a
   * tf.depthwiseConv2d weight [kh, kw, C, 1] (ONNX group = C).
   */
  conv(x: string, p: { weight: tf.Tensor; bias?: tf.Tensor }, opts: { stride?: number; pad?: number; prefix?: string; depthwise?: boolean } = {}): string {
    const [kh, kw, cin] = p.weight.shape as [number, number, number, number];
    const w = this.tensor(`${opts.prefix ?? 'conv'}_w`, p.weight, opts.depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]);
    const inputs = p.bias ? [x, w, this.tensor(`${opts.prefix ?? 'conv'}_b`, p.bias)] : [x, w];
    const pad = opts.pad ?? 0;
    const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [opts.stride ?? 1, opts.stride ?? 1], pads: [pad, pad, pad, pad] };
    if (opts.depthwise) attrs.group = cin;
    return this.b.op('Conv', inputs, attrs);
  }

  /** ConvTranspose2d on NCHW from a TF.js-layout weight [kh, kw, out, in]. */
  convTranspose(x: string, p: { weight: tf.Tensor; bias: tf.Tensor }, stride: number, prefix = 'convT'): string {
    const [kh, kw] = p.weight.shape as [number, number, number, number];
    const w = this.tensor(`${prefix}_w`, p.weight, [3, 2, 0, 1]);
    return this.b.op('ConvTranspose', [x, w, this.tensor(`${prefix}_b`, p.bias)], { kernel_shape: [kh, kw], strides: [stride, stride] });
  }

  /** MLP with ReLU between layers (none after the last), as SAM's decoder MLPs. */
  mlp(x: string, layers: LinearW[], prefix = 'mlp'): string {
    let h = x;
    layers.forEach((l, i) => {
      h = this.linear(h, l, `${prefix}${i}`);
      if (i < layers.length - 1) h = this.relu(h);
    });
    return h;
  }
}
