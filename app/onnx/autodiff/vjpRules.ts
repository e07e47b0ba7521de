// Vector–Jacobian products of the ONNX ops PA-SAM's training graph uses, written in standard ONNX
// ops (opset 17). One rule per op: given the forward node, the gradients of its outputs and which
// inputs need one, each rule emits nodes for those input gradients only (a frozen weight costs no
// weight-gradient product). Shapes are static; comments give them with x = first input.
// A gradient may be a "slot": the gradient of a slice of a larger value (Gather of one index,
// Slice along one axis), which the accumulator joins with Concat instead of padding each part.
import type { IrNode, Shape } from './trackedGraph.js';
import { numel } from './trackedGraph.js';
import type { AttrValue } from '../onnxGraphBuilder.js';

export type Grad = string | { slot: true; axis: number; start: number; value: string };

export interface VjpContext {
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>): string;
  shape(name: string): Shape;
  ints(values: number[]): string;
  scalar(v: number): string;
  /** Sums `g` (shape of the broadcast result) down to `target` (an input's shape). */
  unbroadcast(g: string, target: Shape): string;
  /** Build-time int64 values of an input (axes, pads, starts). */
  intsOf(name: string): number[];
}

export type VjpRule = (c: VjpContext, n: IrNode, dy: (string | undefined)[], need: boolean[]) => (Grad | undefined)[];

/** Swap the last two axes of a rank-r value. */
function swapLast(r: number): number[] {
  const p = Array.from({ length: r }, (_, i) => i);
  [p[r - 2], p[r - 1]] = [p[r - 1]!, p[r - 2]!];
  return p;
}

const reshapeTo = (c: VjpContext, g: string, s: Shape) => c.op('Reshape', [g, c.ints(s)]);
const norm = (a: number, r: number) => (a < 0 ? a + r : a);

/** y = A·B: dA = dy·Bᵀ, dB = Aᵀ·dy (batch axes summed where broadcast). */
const matMul: VjpRule = (c, n, [dy], need) => {
  const [a, b] = n.inputs as [string, string];
  const sa = c.shape(a);
  const sb = c.shape(b);
  const out: (Grad | undefined)[] = [undefined, undefined];
  if (sb.length === 2 && sa.length >= 2) {
    // Weight-like right operand (K,N): fold A's batch axes into rows → 2-D products.
    const k = sb[0]!;
    const nn = sb[1]!;
    if (need[0]) out[0] = c.unbroadcast(c.op('MatMul', [dy!, c.op('Transpose', [b], { perm: [1, 0] })]), sa);
    if (need[1]) out[1] = c.op('Gemm', [reshapeTo(c, a, [-1, k]), reshapeTo(c, dy!, [-1, nn])], { transA: 1 });
    return out;
  }
  if (need[0]) out[0] = c.unbroadcast(c.op('MatMul', [dy!, c.op('Transpose', [b], { perm: swapLast(sb.length) })]), sa);
  if (need[1]) out[1] = c.unbroadcast(c.op('MatMul', [c.op('Transpose', [a], { perm: swapLast(sa.length) }), dy!]), sb);
  return out;
};

/** y = op(A)·op(B) with optional transposes, 2-D, no bias (the backward graph's own weight products). */
const gemm: VjpRule = (c, n, [dy], need) => {
  const [a, b] = n.inputs as [string, string];
  const tA = Boolean(n.attrs.transA);
  const tB = Boolean(n.attrs.transB);
  if ((n.attrs.alpha ?? 1) !== 1 || (n.attrs.beta ?? 1) !== 1 || n.inputs.length > 2) throw new Error('autodiff: Gemm with alpha/beta ≠ 1');
  const out: (Grad | undefined)[] = [undefined, undefined];
  // dA = dy·op(B)ᵀ (then transposed back if A was), dB likewise.
  if (need[0]) out[0] = tA ? c.op('Gemm', [b, dy!], { transA: tB ? 1 : 0, transB: 1 }) : c.op('Gemm', [dy!, b], { transB: tB ? 0 : 1 });
  if (need[1]) out[1] = tB ? c.op('Gemm', [dy!, a], { transA: 1, transB: tA ? 1 : 0 }) : c.op('Gemm', [a, dy!], { transA: tA ? 0 : 1 });
  return out;
};

const add: VjpRule = (c, n, [dy], need) => n.inputs.map((x, i) => (need[i] ? c.unbroadcast(dy!, c.shape(x)) : undefined));

const sub: VjpRule = (c, n, [dy], need) => [
  need[0] ? c.unbroadcast(dy!, c.shape(n.inputs[0]!)) : undefined,
  need[1] ? c.unbroadcast(c.op('Neg', [dy!]), c.shape(n.inputs[1]!)) : undefined,
];

const mul: VjpRule = (c, n, [dy], need) => [
  need[0] ? c.unbroadcast(c.op('Mul', [dy!, n.inputs[1]!]), c.shape(n.inputs[0]!)) : undefined,
  need[1] ? c.unbroadcast(c.op('Mul', [dy!, n.inputs[0]!]), c.shape(n.inputs[1]!)) : undefined,
];

/** y = a/b: da = dy/b, db = −dy·y/b. */
const div: VjpRule = (c, n, [dy], need) => [
  need[0] ? c.unbroadcast(c.op('Div', [dy!, n.inputs[1]!]), c.shape(n.inputs[0]!)) : undefined,
  need[1] ? c.unbroadcast(c.op('Neg', [c.op('Div', [c.op('Mul', [dy!, n.outputs[0]!]), n.inputs[1]!])]), c.shape(n.inputs[1]!)) : undefined,
];

const neg: VjpRule = (c, _n, [dy], need) => [need[0] ? c.op('Neg', [dy!]) : undefined];

/** Reshape / Unsqueeze / Squeeze / Identity: dy back to x's shape. */
const reshape: VjpRule = (c, n, [dy], need) => [need[0] ? reshapeTo(c, dy!, c.shape(n.inputs[0]!)) : undefined];

const transpose: VjpRule = (c, n, [dy], need) => {
  const perm = n.attrs.perm as number[];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [need[0] ? c.op('Transpose', [dy!], { perm: inv }) : undefined];
};

/** y = softmax(x): dx = y·(dy − Σ dy·y). */
const softmax: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return [undefined];
  const y = n.outputs[0]!;
  const axis = (n.attrs.axis as number | undefined) ?? -1;
  const s = c.op('ReduceSum', [c.op('Mul', [dy!, y]), c.ints([axis])], { keepdims: 1 });
  return [c.op('Mul', [y, c.op('Sub', [dy!, s])])];
};

/** y = log softmax(x): dx = dy − exp(y)·Σ dy. */
const logSoftmax: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return [undefined];
  const axis = (n.attrs.axis as number | undefined) ?? -1;
  const s = c.op('ReduceSum', [dy!, c.ints([axis])], { keepdims: 1 });
  return [c.op('Sub', [dy!, c.op('Mul', [c.op('Exp', [n.outputs[0]!]), s])])];
};

/**
 * LayerNorm over the last axis, x (…, D), γ β (D); mean, invstd (…, 1) are the node's own extra
 * outputs. x̂ = (x − mean)·invstd; dγ = Σ dy·x̂, dβ = Σ dy; g = dy·γ,
 * dx = invstd·(g − mean_D(g) − x̂·mean_D(g·x̂)).
 */
const layerNorm: VjpRule = (c, n, [dy], need) => {
  const [x, gamma] = n.inputs as [string, string];
  const [, mean, invstd] = n.outputs as [string, string, string];
  const axis = norm((n.attrs.axis as number | undefined) ?? -1, c.shape(x).length);
  if (axis !== c.shape(x).length - 1) throw new Error('autodiff: LayerNormalization only over the last axis');
  const d = c.shape(x)[axis]!;
  const xhat = c.op('Mul', [c.op('Sub', [x, mean]), invstd]);
  const flat = (v: string) => reshapeTo(c, v, [-1, d]);
  const out: (Grad | undefined)[] = [undefined, undefined, undefined];
  if (need[1]) out[1] = c.op('ReduceSum', [flat(c.op('Mul', [dy!, xhat])), c.ints([0])], { keepdims: 0 });
  if (need[2]) out[2] = c.op('ReduceSum', [flat(dy!), c.ints([0])], { keepdims: 0 });
  if (need[0]) {
    const g = c.op('Mul', [dy!, gamma]);
    const mg = c.op('ReduceMean', [g], { axes: [-1], keepdims: 1 });
    const mgx = c.op('ReduceMean', [c.op('Mul', [g, xhat])], { axes: [-1], keepdims: 1 });
    out[0] = c.op('Mul', [invstd, c.op('Sub', [c.op('Sub', [g, mg]), c.op('Mul', [xhat, mgx])])]);
  }
  return out;
};

/** erf'(x) = 2/√π·exp(−x²). */
const erf: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return [undefined];
  const x = n.inputs[0]!;
  const e = c.op('Exp', [c.op('Neg', [c.op('Mul', [x, x])])]);
  return [c.op('Mul', [dy!, c.op('Mul', [e, c.scalar(2 / Math.sqrt(Math.PI))])])];
};

/** Forward nodes differentiated as one: the gradient of their output → [value, gradient] pairs. */
export type CompositeVjp = (c: VjpContext, dy: string) => [string, string][];

/**
 * GELU y = x·p, p = Φ(x) = (1 + erf(u))/2, u = x/√2 (u and p from the forward pass):
 * dx = dy·(p + x·exp(−u²)/√(2π)) — six element-wise passes where the op-by-op rules take ten.
 */
export function geluVjp(x: string, u: string, p: string): CompositeVjp {
  return (c, dy) => {
    const t = c.op('Div', [x, c.op('Exp', [c.op('Mul', [u, u])])]);
    return [[x, c.op('Mul', [dy, c.op('Add', [p, c.op('Mul', [t, c.scalar(1 / Math.sqrt(2 * Math.PI))])])])]];
  };
}

const relu: VjpRule = (c, n, [dy], need) => [need[0] ? c.op('Where', [c.op('Greater', [n.outputs[0]!, c.scalar(0)]), dy!, c.scalar(0)]) : undefined];
const exp: VjpRule = (c, n, [dy], need) => [need[0] ? c.op('Mul', [dy!, n.outputs[0]!]) : undefined];
const log: VjpRule = (c, n, [dy], need) => [need[0] ? c.op('Div', [dy!, n.inputs[0]!]) : undefined];
const sqrt: VjpRule = (c, n, [dy], need) => [need[0] ? c.op('Div', [c.op('Mul', [dy!, c.scalar(0.5)]), n.outputs[0]!]) : undefined];
const reciprocal: VjpRule = (c, n, [dy], need) => [need[0] ? c.op('Neg', [c.op('Mul', [dy!, c.op('Mul', [n.outputs[0]!, n.outputs[0]!])])]) : undefined];

/** y = x^p (p a constant): dx = p·x^(p−1)·dy. */
const pow: VjpRule = (c, n, [dy], need) => {
  if (need[1]) throw new Error('autodiff: Pow with a trainable exponent is not supported');
  if (!need[0]) return [undefined, undefined];
  const p = n.inputs[1]!;
  const d = c.op('Mul', [p, c.op('Pow', [n.inputs[0]!, c.op('Sub', [p, c.scalar(1)])])]);
  return [c.unbroadcast(c.op('Mul', [dy!, d]), c.shape(n.inputs[0]!)), undefined];
};

interface ConvGeometry {
  k: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

function geometry(n: IrNode, w: Shape): ConvGeometry {
  const k = (n.attrs.kernel_shape as number[] | undefined) ?? w.slice(2);
  const geo = {
    k,
    strides: (n.attrs.strides as number[] | undefined) ?? k.map(() => 1),
    pads: (n.attrs.pads as number[] | undefined) ?? [...k.map(() => 0), ...k.map(() => 0)],
    dilations: (n.attrs.dilations as number[] | undefined) ?? k.map(() => 1),
    group: (n.attrs.group as number | undefined) ?? 1,
  };
  return geo;
}

/**
 * Cross-correlation of a (N,Ca,Ha,Wa) with b (N,Cb,Hb,Wb) over N and space with b's taps strided by
 * `stride`, starting at −pad: out[ca,cb,i,j] = Σ a[n,ca,i·dil + y·stride − pad, …]·b[n,cb,y,x]
 * → (Ca, Cb, kh, kw). The weight gradient of Conv (a = x, b = dy) and of ConvTranspose (a = dy, b = x).
 */
function correlateForWeight(c: VjpContext, a: string, b: string, stride: number[], pads: number[], dil: number[], k: number[]): string {
  const at = c.op('Transpose', [a], { perm: [1, 0, 2, 3] }); // (Ca, N, Ha, Wa)
  const bt = c.op('Transpose', [b], { perm: [1, 0, 2, 3] }); // (Cb, N, Hb, Wb) as weights
  if (dil.some((d) => d !== 1)) throw new Error('autodiff: dilated Conv weight gradients are not supported (MSPCA fuses dilations into one kernel)');
  const sa = c.shape(a);
  const sb = c.shape(b);
  const outH = sa[2]! + pads[0]! + pads[2]! - stride[0]! * (sb[2]! - 1);
  const outW = sa[3]! + pads[1]! + pads[3]! - stride[1]! * (sb[3]! - 1);
  let r = c.op('Conv', [at, bt], { kernel_shape: [sb[2]!, sb[3]!], dilations: stride, pads }); // (Ca, Cb, outH, outW)
  if (outH !== k[0] || outW !== k[1]) r = c.op('Slice', [r, c.ints([0, 0]), c.ints(k), c.ints([2, 3])]);
  return r;
}

/**
 * The weight gradient of a depth-wise Conv (group = C = M, one filter per channel; TinyViT's local
 * and MBConv convs): each (image, channel) pair correlated with its own dy as one grouped Conv over
 * N·C groups, then summed over the images → (C, 1, kh, kw).
 */
function depthwiseWeightGrad(c: VjpContext, x: string, dy: string, geo: ConvGeometry): string {
  if (geo.dilations.some((d) => d !== 1)) throw new Error('autodiff: dilated depth-wise Conv weight gradients are not supported');
  const [nb, ch, h, w] = c.shape(x) as [number, number, number, number];
  const [, , ho, wo] = c.shape(dy) as [number, number, number, number];
  const xs = c.op('Reshape', [x, c.ints([1, nb * ch, h, w])]);
  const taps = c.op('Reshape', [dy, c.ints([nb * ch, 1, ho, wo])]);
  const outH = h + geo.pads[0]! + geo.pads[2]! - geo.strides[0]! * (ho - 1);
  const outW = w + geo.pads[1]! + geo.pads[3]! - geo.strides[1]! * (wo - 1);
  let r = c.op('Conv', [xs, taps], { kernel_shape: [ho, wo], dilations: geo.strides, pads: geo.pads, group: nb * ch }); // (1, N·C, outH, outW)
  if (outH !== geo.k[0] || outW !== geo.k[1]) r = c.op('Slice', [r, c.ints([0, 0]), c.ints(geo.k), c.ints([2, 3])]);
  const perImage = c.op('Reshape', [r, c.ints([nb, ch, geo.k[0]!, geo.k[1]!])]);
  return c.op('Reshape', [c.op('ReduceSum', [perImage, c.ints([0])], { keepdims: 0 }), c.ints([ch, 1, geo.k[0]!, geo.k[1]!])]);
}

/** Conv x (N,C,H,W), w (M,C/group,kh,kw), b (M) → y (N,M,Ho,Wo). */
const conv: VjpRule = (c, n, [dy], need) => {
  const [x, w, bias] = n.inputs as [string, string, string | undefined];
  const sw = c.shape(w);
  const sx = c.shape(x);
  const geo = geometry(n, sw);
  const out: (Grad | undefined)[] = [undefined, undefined, undefined];
  if (need[0]) {
    // dx = ConvTranspose(dy, w) with the forward geometry (and groups: ConvTranspose reads the
    // same (M, C/group, kh, kw) weight as (C_in', C_out'/group, …)); output_padding recovers the
    // rows a strided conv dropped.
    const full = geo.k.map((kk, i) => (c.shape(dy!)[2 + i]! - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + 2]! + geo.dilations[i]! * (kk - 1) + 1);
    const outputPadding = full.map((f, i) => sx[2 + i]! - f);
    out[0] = c.op('ConvTranspose', [dy!, w], { kernel_shape: geo.k, strides: geo.strides, pads: geo.pads, dilations: geo.dilations, output_padding: outputPadding, ...(geo.group !== 1 ? { group: geo.group } : {}) });
  }
  if (need[1]) {
    if (geo.group === 1) {
      // (C, M, kh, kw) → (M, C, kh, kw)
      out[1] = c.op('Transpose', [correlateForWeight(c, x, dy!, geo.strides, geo.pads, geo.dilations, geo.k)], { perm: [1, 0, 2, 3] });
    } else if (geo.group === sx[1] && sw[0] === sx[1] && sw[1] === 1) {
      out[1] = depthwiseWeightGrad(c, x, dy!, geo);
    } else throw new Error(`autodiff: the weight gradient of a grouped Conv is supported for depth-wise convs only (group ${geo.group}, weight ${sw.join('×')})`);
  }
  if (bias && need[2]) out[2] = c.op('ReduceSum', [dy!, c.ints([0, 2, 3])], { keepdims: 0 });
  return out;
};

/** ConvTranspose x (N,C,H,W), w (C,M,kh,kw), b (M) → y (N,M,Ho,Wo). */
const convTranspose: VjpRule = (c, n, [dy], need) => {
  const [x, w, bias] = n.inputs as [string, string, string | undefined];
  const geo = geometry(n, c.shape(w));
  if (geo.group !== 1) throw new Error('autodiff: grouped ConvTranspose is not supported');
  if (n.attrs.output_padding && (n.attrs.output_padding as number[]).some((p) => p !== 0)) throw new Error('autodiff: ConvTranspose with output_padding');
  const out: (Grad | undefined)[] = [undefined, undefined, undefined];
  if (need[0]) out[0] = c.op('Conv', [dy!, w], { kernel_shape: geo.k, strides: geo.strides, pads: geo.pads, dilations: geo.dilations });
  // dw[c,m,i,j] = Σ x[n,c,y,x]·dy[n,m,y·s + i − p, …] → correlate dy over x's taps: (M, C, kh, kw) → (C, M, kh, kw)
  if (need[1]) out[1] = c.op('Transpose', [correlateForWeight(c, dy!, x, geo.strides, geo.pads, geo.dilations, geo.k)], { perm: [1, 0, 2, 3] });
  if (bias && need[2]) out[2] = c.op('ReduceSum', [dy!, c.ints([0, 2, 3])], { keepdims: 0 });
  return out;
};

/** Gather of one index along an axis (the axis dropped): a slot of x. */
const gather: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return [undefined, undefined];
  const x = n.inputs[0]!;
  const idx = c.intsOf(n.inputs[1]!);
  const sx = c.shape(x);
  const axis = norm((n.attrs.axis as number | undefined) ?? 0, sx.length);
  if (c.shape(n.inputs[1]!).length !== 0) throw new Error('autodiff: Gather is differentiated for scalar indices only');
  const i = idx[0]! < 0 ? idx[0]! + sx[axis]! : idx[0]!;
  return [{ slot: true, axis, start: i, value: c.op('Unsqueeze', [dy!, c.ints([axis])]) }, undefined];
};

/** Slice (steps 1): one axis → a slot, several → dy zero-padded back to x. */
const slice: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return [undefined];
  const x = n.inputs[0]!;
  const sx = c.shape(x);
  const sy = c.shape(n.outputs[0]!);
  const starts = c.intsOf(n.inputs[1]!);
  const axes = (n.inputs[3] ? c.intsOf(n.inputs[3]) : starts.map((_, i) => i)).map((a) => norm(a, sx.length));
  const begin = sx.map(() => 0);
  axes.forEach((a, i) => {
    const s = starts[i]!;
    begin[a] = Math.max(0, Math.min(sx[a]!, s < 0 ? s + sx[a]! : s));
  });
  const changed = sx.map((_, a) => a).filter((a) => sy[a] !== sx[a]);
  if (changed.length === 1) return [{ slot: true, axis: changed[0]!, start: begin[changed[0]!]!, value: dy! }];
  const pads = [...begin, ...sx.map((d, a) => d - begin[a]! - sy[a]!)];
  return [c.op('Pad', [dy!, c.ints(pads)], { mode: 'constant' })];
};

/** Concat: each input's gradient is its slice of dy. */
const concat: VjpRule = (c, n, [dy], need) => {
  const r = c.shape(n.outputs[0]!).length;
  const axis = norm(n.attrs.axis as number, r);
  let offset = 0;
  return n.inputs.map((x, i) => {
    const len = c.shape(x)[axis]!;
    const g = need[i] ? c.op('Slice', [dy!, c.ints([offset]), c.ints([offset + len]), c.ints([axis])]) : undefined;
    offset += len;
    return g;
  });
};

/** Pad (constant): the gradient is the un-padded window of dy. */
const pad: VjpRule = (c, n, [dy], need) => {
  if (!need[0]) return n.inputs.map(() => undefined);
  if ((n.attrs.mode ?? 'constant') !== 'constant') throw new Error('autodiff: only constant Pad is supported');
  const sx = c.shape(n.inputs[0]!);
  const p = c.intsOf(n.inputs[1]!);
  if (p.some((v) => v < 0)) throw new Error('autodiff: negative pads');
  const axes = sx.map((_, a) => a).filter((a) => p[a] !== 0 || p[a + sx.length] !== 0);
  if (axes.length === 0) return [dy!, ...n.inputs.slice(1).map(() => undefined)];
  const g = c.op('Slice', [dy!, c.ints(axes.map((a) => p[a]!)), c.ints(axes.map((a) => p[a]! + sx[a]!)), c.ints(axes)]);
  return [g, ...n.inputs.slice(1).map(() => undefined)];
};

const expand: VjpRule = (c, n, [dy], need) => [need[0] ? c.unbroadcast(dy!, c.shape(n.inputs[0]!)) : undefined, undefined];

/** ReduceSum / ReduceMean: dy (reshaped to keepdims) expanded back over the reduced axes (÷ count for the mean). */
function reduce(mean: boolean): VjpRule {
  return (c, n, [dy], need) => {
    if (!need[0]) return n.inputs.map(() => undefined);
    const sx = c.shape(n.inputs[0]!);
    const sy = c.shape(n.outputs[0]!);
    const kept = c.shape(n.outputs[0]!).length === sx.length ? sy : (() => {
      const axesRaw = mean ? (n.attrs.axes as number[] | undefined) : n.inputs[1] ? c.intsOf(n.inputs[1]) : undefined;
      const axes = (axesRaw ?? sx.map((_, i) => i)).map((a) => norm(a, sx.length));
      return sx.map((d, i) => (axes.includes(i) ? 1 : d));
    })();
    let g = sy.length === kept.length ? dy! : reshapeTo(c, dy!, kept);
    if (mean) g = c.op('Mul', [g, c.scalar(numel(kept) / numel(sx))]);
    return [c.op('Expand', [g, c.ints(sx)]), ...n.inputs.slice(1).map(() => undefined)];
  };
}

/** Ops with no gradient (comparisons, casts, shape arithmetic); their inputs never need one. */
const none: VjpRule = (_c, n) => n.inputs.map(() => undefined);

export const VJP_RULES: Record<string, VjpRule> = {
  MatMul: matMul,
  Gemm: gemm,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Neg: neg,
  Reshape: reshape,
  Unsqueeze: reshape,
  Squeeze: reshape,
  Identity: reshape,
  Transpose: transpose,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  LayerNormalization: layerNorm,
  Erf: erf,
  Relu: relu,
  Exp: exp,
  Log: log,
  Sqrt: sqrt,
  Reciprocal: reciprocal,
  Pow: pow,
  Conv: conv,
  ConvTranspose: convTranspose,
  Gather: gather,
  Slice: slice,
  Concat: concat,
  Pad: pad,
  Expand: expand,
  ReduceSum: reduce(false),
  ReduceMean: reduce(true),
  Equal: none,
  Greater: none,
  Cast: none,
  Shape: none,
  ConstantOfShape: none,
  ArgMax: none,
};

/** Ops whose outputs never carry a gradient. */
export const NON_DIFFERENTIABLE = new Set(['Equal', 'Greater', 'Less', 'Cast', 'Shape', 'ConstantOfShape', 'ArgMax', 'Not']);
