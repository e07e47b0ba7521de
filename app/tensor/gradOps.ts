// Differentiable ops whose forward AND backward passes use only fast, existing kernels on the
// wasm backend (and work unchanged on cpu / tfjs-node). Measured on tfjs-backend-wasm 4.22:
// - 2-D matMul with transposeA is ~30× and with transposeB ~7× slower than with none, and batched
//   matMul (batch > 1) runs a slow generic loop; tfjs's own matMul gradients use both. Every
//   matMul here is therefore a plain 2-D, non-transposed one with explicit `tf.transpose`s.
// - Conv2DBackpropFilter is missing on wasm and dilated conv gradients exist nowhere, so conv2d's
//   weight gradient is an im2col matMul and its input gradient a conv with the flipped kernel.
// - tfjs's resizeBilinear gradient ignores halfPixelCenters on every backend (wrong values), so
//   resizeBilinear's gradient is an exact product with per-axis interpolation matrices.
// Layouts: activations channels-last (NHWC / (..., features)); linear weights (in, out);
// conv weights (k, k, cin, cout) (tfjs HWIO); transposed-conv weights (2, 2, cout, cin).
import { tf } from './tf.js';
import { installWasmKernelFixes } from './wasmKernelFixes.js';

type SaveFn = (tensors: tf.Tensor[]) => void;
type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** Typed wrapper around tf.customGrad for a fixed number of tensor inputs. */
function custom<T extends tf.Tensor[]>(f: (...args: [...T, SaveFn]) => { value: tf.Tensor; gradFunc: Grad }): (...args: T) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: T) => tf.Tensor;
}

/** One thunk per input; tfjs's backprop calls only those of inputs on the path to the sources. */
type LazyGrads = (dy: tf.Tensor, saved: tf.Tensor[]) => (() => tf.Tensor)[];

interface EngineWithKernelFunc {
  runKernelFunc?: (params: {
    forwardFunc: (backend: unknown, save: SaveFn) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }) => tf.Tensor;
}

/**
 * Like tf.customGrad, but each input's gradient is a thunk evaluated only when that input needs
 * a gradient — as tfjs's built-in kernels do. So a frozen weight (a plain tensor or a variable
 * outside the differentiated list) costs no weight-gradient matMul, and the first layer's input
 * no dx. Uses the engine's runKernelFunc (what tf.customGrad itself calls; tfjs is pinned at
 * 4.22); falls back to tf.customGrad, evaluating every gradient, if that is ever missing.
 */
function lazyGradOp(inputs: tf.Tensor[], forward: (save: SaveFn) => tf.Tensor, grads: LazyGrads): tf.Tensor {
  const engine = tf.engine() as unknown as EngineWithKernelFunc;
  if (typeof engine.runKernelFunc === 'function') {
    return engine.runKernelFunc({
      forwardFunc: (_backend, save) => forward(save),
      backwardsFunc: (dy, saved) => Object.fromEntries(grads(dy, saved).map((g, i) => [String(i), g])),
      inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
    });
  }
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as SaveFn;
    return { value: forward(save), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grads(dy, saved).map((g) => g()) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (...xs: tf.Tensor[]) => tf.Tensor)(...inputs);
}

let fixesChecked = false;
function onWasm(): boolean {
  const wasm = tf.getBackend() === 'wasm';
  if (wasm && !fixesChecked) {
    fixesChecked = true;
    installWasmKernelFixes();
  }
  return wasm;
}

function t2(x: tf.Tensor): tf.Tensor2D {
  return tf.transpose(x as tf.Tensor2D) as tf.Tensor2D;
}

// ---------------------------------------------------------------- matrix products

/** a (M,K) · b (K,N) → (M,N); gradients via explicit transposes. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  onWasm();
  return lazyGradOp(
    [a, b],
    (save) => {
      save([a, b]);
      return tf.matMul(a, b);
    },
    (dy, [sa, sb]) => [() => tf.matMul(dy as tf.Tensor2D, t2(sb)), () => tf.matMul(t2(sa), dy as tf.Tensor2D)],
  ) as tf.Tensor2D;
}

/**
 * y = x·w + b over the last axis. x: (..., in), w: (in, out) (= PyTorch `weight.T`), b: (out).
 * One 2-D matMul forward; backward one matMul per input that needs a gradient (a frozen w
 * costs only dx).
 */
export function linear<R extends tf.Rank>(x: tf.Tensor<R>, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor<R> {
  if (x.shape[x.rank - 1] !== w.shape[0]) {
    throw new Error(`linear: input features ${x.shape[x.rank - 1]} do not match weight (in, out) = (${w.shape})`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) throw new Error(`linear: bias (${b.shape}) does not match weight (in, out) = (${w.shape})`);
  onWasm();
  const [inF, outF] = w.shape;
  const outShape = [...x.shape.slice(0, -1), outF];
  return lazyGradOp(
    b ? [x, w, b] : [x, w],
    (save) => {
      save([x, w]);
      const y2 = tf.matMul(tf.reshape(x, [-1, inF]) as tf.Tensor2D, w);
      return tf.reshape(b ? tf.add(y2, b) : y2, outShape);
    },
    (dy, [sx, sw]) => {
      const dy2 = () => tf.reshape(dy, [-1, outF]) as tf.Tensor2D;
      const g = [() => tf.reshape(tf.matMul(dy2(), t2(sw)), sx.shape), () => tf.matMul(t2(tf.reshape(sx, [-1, inF])), dy2())];
      return b ? [...g, () => tf.sum(dy2(), 0)] : g;
    },
  ) as tf.Tensor<R>;
}

/** Batched a (B,M,K) · b (B,K,N) without gradients; a loop of 2-D matMuls on wasm. */
function bmmRaw(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [B, M] = a.shape;
  const N = b.shape[2];
  if (!onWasm()) return tf.matMul(a, b);
  if (B === 1) return tf.reshape(tf.matMul(tf.reshape(a, [M, a.shape[2]]) as tf.Tensor2D, tf.reshape(b, [b.shape[1], N]) as tf.Tensor2D), [1, M, N]);
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  const outs = as.map((ai, i) => tf.matMul(ai, bs[i]));
  const y = tf.reshape(tf.concat(outs, 0), [B, M, N]) as tf.Tensor3D;
  tf.dispose([...as, ...bs, ...outs]);
  return y;
}

function t3(x: tf.Tensor): tf.Tensor3D {
  return tf.transpose(x as tf.Tensor3D, [0, 2, 1]);
}

function checkBatch(name: string, a: tf.Tensor, b: tf.Tensor, inner: [number, number]): void {
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0] || inner[0] !== inner[1]) {
    throw new Error(`${name}: incompatible shapes (${a.shape}) and (${b.shape})`);
  }
}

/** Batched product a (B,M,K) · b (B,K,N) → (B,M,N), e.g. attn (B·heads,N,N) · v (B·heads,N,d). */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  checkBatch('bmm', a, b, [a.shape[2], b.shape[1]]);
  return lazyGradOp(
    [a, b],
    (save) => {
      save([a, b]);
      return bmmRaw(a, b);
    },
    (dy, [sa, sb]) => [() => bmmRaw(dy as tf.Tensor3D, t3(sb)), () => bmmRaw(t3(sa), dy as tf.Tensor3D)],
  ) as tf.Tensor3D;
}

/** Batched a (B,M,K) · bᵀ with b (B,N,K) → (B,M,N), e.g. q·kᵀ with q, k (B·heads, N, d). */
export function bmmNT(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  checkBatch('bmmNT', a, b, [a.shape[2], b.shape[2]]);
  return lazyGradOp(
    [a, b],
    (save) => {
      save([a, b]);
      return bmmRaw(a, t3(b));
    },
    (dy, [sa, sb]) => [() => bmmRaw(dy as tf.Tensor3D, sb as tf.Tensor3D), () => bmmRaw(t3(dy), sa as tf.Tensor3D)],
  ) as tf.Tensor3D;
}

// ---------------------------------------------------------------- convolutions

/** TF 'same' padding for stride 1: total d·(k−1), the odd pixel at the end. */
function samePads(k: number, dilation: number): [number, number] {
  const total = dilation * (k - 1);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Largest batch chunk whose im2col matrix stays under ~16M floats. */
function im2colChunk(n: number, perImage: number): number {
  return Math.max(1, Math.min(n, Math.floor(16_000_000 / Math.max(1, perImage))));
}

/** dW[i,j,c,o] = Σ xpad[n, p + d·(i,j), c] · dy[n, p, o], as one matMul per batch chunk. */
function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dilation: number): tf.Tensor4D {
  const [N, H, W, cin] = x.shape;
  const cout = dy.shape[3];
  const [pt, pb] = samePads(kh, dilation);
  const [pl, pr] = samePads(kw, dilation);
  const chunk = im2colChunk(N, kh * kw * H * W * cin);
  let acc: tf.Tensor2D | undefined;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nb = Math.min(chunk, N - n0);
    const part = tf.tidy(() => {
      const xs = nb === N ? x : tf.slice(x, [n0, 0, 0, 0], [nb, H, W, cin]);
      const ds = nb === N ? dy : tf.slice(dy, [n0, 0, 0, 0], [nb, H, W, cout]);
      const xpad = tf.pad(xs, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
      const shifts: tf.Tensor[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          shifts.push(tf.reshape(tf.slice(xpad, [0, i * dilation, j * dilation, 0], [nb, H, W, cin]), [1, nb * H * W, cin]));
        }
      }
      // (k², P, cin) → (k², cin, P) → (k²·cin, P): rows ordered (i, j, c) like the HWIO filter.
      const cols = tf.reshape(tf.transpose(tf.concat(shifts, 0), [0, 2, 1]), [kh * kw * cin, nb * H * W]) as tf.Tensor2D;
      return tf.matMul(cols, tf.reshape(ds, [nb * H * W, cout]) as tf.Tensor2D) as tf.Tensor2D;
    });
    if (acc) {
      const sum = tf.add(acc, part) as tf.Tensor2D;
      tf.dispose([acc, part]);
      acc = sum;
    } else acc = part;
  }
  const out = tf.reshape(acc!, [kh, kw, cin, cout]) as tf.Tensor4D;
  acc!.dispose();
  return out;
}

export interface Conv2dOptions {
  /** Dilation of the kernel taps (default 1). */
  dilation?: number;
}

/**
 * Stride-1 convolution with TF 'same' zero padding (output H×W = input H×W), NHWC.
 * x: (N, H, W, cin); w: (kh, kw, cin, cout) — PyTorch (cout, cin, kh, kw) transposed [2, 3, 1, 0].
 * Any kernel size and dilation; for odd k this is PyTorch `padding = d·(k−1)/2`. The weight
 * gradient is computed only when w is being differentiated (not for frozen weights).
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, opts: Conv2dOptions = {}): tf.Tensor4D {
  const dilation = opts.dilation ?? 1;
  if (x.rank !== 4 || w.rank !== 4 || x.shape[3] !== w.shape[2]) {
    throw new Error(`conv2d: input (${x.shape}) does not match filter (kh, kw, cin, cout) = (${w.shape})`);
  }
  if (!Number.isInteger(dilation) || dilation < 1) throw new Error(`conv2d: dilation must be a positive integer, got ${dilation}`);
  onWasm();
  const [kh, kw] = w.shape;
  const [pt, pb] = samePads(kh, dilation);
  const [pl, pr] = samePads(kw, dilation);
  return lazyGradOp(
    [x, w],
    (save) => {
      save([x, w]);
      return tf.conv2d(x, w, 1, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 'NHWC', dilation);
    },
    (dy, [sx, sw]) => [
      // Correlating dy with the flipped, in/out-swapped kernel; the padding swaps ends.
      () => tf.conv2d(dy as tf.Tensor4D, tf.transpose(tf.reverse(sw as tf.Tensor4D, [0, 1]), [0, 1, 3, 2]), 1, [[0, 0], [pb, pt], [pr, pl], [0, 0]], 'NHWC', dilation),
      () => conv2dFilterGrad(sx as tf.Tensor4D, dy as tf.Tensor4D, kh, kw, dilation),
    ],
  ) as tf.Tensor4D;
}

/** dy (N, H', W', C) spread to stride s: zeros between rows/columns, (N, (H'−1)s+1, (W'−1)s+1, C). */
function dilateSpatial(dy: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]]);
  return tf.slice(tf.reshape(spread, [n, h * s, w * s, c]), [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as tf.Tensor4D;
}

/**
 * For each kernel tap (i, j) in row-major order, f of the window of the padded input xp
 * (N, Hp, Wp, C) that the tap meets at every output position: (N, ho, wo, C) at stride s.
 */
function perTap(xp: tf.Tensor4D, kh: number, kw: number, ho: number, wo: number, stride: number, f: (win: tf.Tensor4D) => tf.Tensor): tf.Tensor[] {
  const [n, , , c] = xp.shape;
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(f(tf.stridedSlice(xp, [0, i, j, 0], [n, i + (ho - 1) * stride + 1, j + (wo - 1) * stride + 1, c], [1, stride, stride, 1]) as tf.Tensor4D));
    }
  }
  return taps;
}

/**
 * Depth-wise convolution (PyTorch Conv2d with groups = C) with stride s and symmetric zero padding
 * p on NHWC; w (kh, kw, C, 1). wasm has no depth-wise backprop kernels, so the input gradient is a
 * forward depth-wise convolution of the (stride-spread) dy with the flipped kernel, and the weight
 * gradient (only when w is differentiated) k² strided products — both run on every backend.
 */
export function depthwiseConv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const [kh, kw, c, mult] = w.shape;
  if (x.rank !== 4 || x.shape[3] !== c || mult !== 1) throw new Error(`depthwiseConv2d: input (${x.shape}) does not match filter (kh, kw, C, 1) = (${w.shape})`);
  onWasm();
  const [, h, wd] = x.shape;
  const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
  return lazyGradOp(
    [x, w],
    (save) => {
      save([x, w]);
      return tf.depthwiseConv2d(x, w, stride, padding);
    },
    (dy, [sx, sw]) => [
      () => {
        // Transposed convolution: spread dy, pad so the output regains H×W, correlate with the
        // flipped kernel. The extra rows a stride drops at the bottom/right come back as zeros.
        const up = dilateSpatial(dy as tf.Tensor4D, stride);
        const extraH = h + 2 * pad - kh - (up.shape[1] - 1);
        const extraW = wd + 2 * pad - kw - (up.shape[2] - 1);
        const flipped = tf.reverse(sw as tf.Tensor4D, [0, 1]) as tf.Tensor4D;
        return tf.depthwiseConv2d(up, flipped, 1, [[0, 0], [kh - 1 - pad, kh - 1 - pad + extraH], [kw - 1 - pad, kw - 1 - pad + extraW], [0, 0]]);
      },
      () => {
        const [, ho, wo] = (dy as tf.Tensor4D).shape;
        const taps = perTap(tf.pad(sx as tf.Tensor4D, padding), kh, kw, ho, wo, stride, (win) => tf.sum(tf.mul(win, dy), [0, 1, 2]));
        return tf.reshape(tf.stack(taps), [kh, kw, c, 1]);
      },
    ],
  ) as tf.Tensor4D;
}

/**
 * PyTorch Conv2d(stride s, symmetric zero padding p) on NHWC; w (kh, kw, cin, cout). wasm has no
 * Conv2DBackpropFilter, so the weight gradient (only when w is differentiated) is k² strided
 * im2col products (2-D matMuls); the input gradient is tfjs's transposed conv (on every backend).
 */
export function conv2dStrided(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const [kh, kw, cin, cout] = w.shape;
  if (x.rank !== 4 || x.shape[3] !== cin) throw new Error(`conv2dStrided: input (${x.shape}) does not match filter (kh, kw, cin, cout) = (${w.shape})`);
  onWasm();
  return lazyGradOp(
    [x, w],
    (save) => {
      save([x, w]);
      return tf.conv2d(x, w, stride, pad);
    },
    (dy, [sx, sw]) => [
      () => tf.conv2dTranspose(dy as tf.Tensor4D, sw as tf.Tensor4D, sx.shape as [number, number, number, number], stride, pad),
      () => {
        const xp = tf.pad(sx as tf.Tensor4D, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
        const [, ho, wo] = (dy as tf.Tensor4D).shape;
        const dy2 = tf.reshape(dy, [-1, cout]) as tf.Tensor2D;
        const taps = perTap(xp, kh, kw, ho, wo, stride, (win) => tf.matMul(t2(tf.reshape(win, [-1, cin])), dy2));
        return tf.reshape(tf.stack(taps), [kh, kw, cin, cout]);
      },
    ],
  ) as tf.Tensor4D;
}

/**
 * Transposed convolution with kernel 2 and stride 2 (SAM's `output_upscaling` and neck-free
 * upsamplers): (N, H, W, cin) → (N, 2H, 2W, cout). w: (2, 2, cout, cin) — the tfjs
 * conv2dTranspose layout, PyTorch ConvTranspose2d (cin, cout, 2, 2) transposed [2, 3, 1, 0].
 * The 2×2 taps never overlap, so this is one `linear` to 4·cout channels plus a depth-to-space.
 */
export function convTranspose2x2(x: tf.Tensor4D, w: tf.Tensor4D, bias?: tf.Tensor1D): tf.Tensor4D {
  const [N, H, W, cin] = x.shape;
  if (w.rank !== 4 || w.shape[0] !== 2 || w.shape[1] !== 2 || w.shape[3] !== cin) {
    throw new Error(`convTranspose2x2: filter must be (2, 2, cout, ${cin}), got (${w.shape})`);
  }
  const cout = w.shape[2];
  const w2 = tf.reshape(tf.transpose(w, [3, 0, 1, 2]), [cin, 4 * cout]) as tf.Tensor2D;
  const y = linear(x, w2);
  const up = tf.reshape(tf.transpose(tf.reshape(y, [N, H, W, 2, 2, cout]), [0, 1, 3, 2, 4, 5]), [N, 2 * H, 2 * W, cout]) as tf.Tensor4D;
  return bias ? tf.add(up, bias) : up;
}

// ---------------------------------------------------------------- resizing, gathering

/**
 * (out × in) bilinear interpolation matrix, half-pixel centres, align_corners=false
 * (= PyTorch F.interpolate(mode='bilinear', align_corners=False) without antialias).
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l = src - i0;
    m[o * inSize + i0] += 1 - l;
    m[o * inSize + i1] += l;
  }
  return m;
}

/** Applies (out × in) matrix m along `axis` (1 = H or 2 = W) of an NHWC tensor. */
function applyAxis(x: tf.Tensor4D, m: tf.Tensor2D, axis: 1 | 2): tf.Tensor4D {
  const perm = axis === 1 ? [1, 0, 2, 3] : [2, 0, 1, 3];
  const xt = tf.transpose(x, perm);
  const [len, ...rest] = xt.shape;
  const y = tf.matMul(m, tf.reshape(xt, [len, -1]) as tf.Tensor2D);
  const back = axis === 1 ? [1, 0, 2, 3] : [1, 2, 0, 3];
  return tf.transpose(tf.reshape(y, [m.shape[0], ...rest]), back) as tf.Tensor4D;
}

/**
 * Bilinear resize of NHWC x to [outH, outW] with half-pixel centres (PyTorch align_corners=False).
 * Forward: tfjs's native kernel. Gradient: exact, through the transposed interpolation matrices.
 */
export function resizeBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, H, W] = x.shape;
  const [oh, ow] = size;
  onWasm();
  const op = custom<[tf.Tensor4D]>((xi) => ({
    value: tf.image.resizeBilinear(xi, size, false, true),
    gradFunc: (dy) => {
      const rhT = tf.tensor2d(bilinearMatrix(H, oh), [oh, H]).transpose() as tf.Tensor2D;
      const rwT = tf.tensor2d(bilinearMatrix(W, ow), [ow, W]).transpose() as tf.Tensor2D;
      return applyAxis(applyAxis(dy as tf.Tensor4D, rwT, 2), rhT, 1);
    },
  }));
  return op(x) as tf.Tensor4D;
}

/**
 * table (T, C) rows picked by idx (n) int32 → (n, C). Gradient w.r.t. the table is
 * oneHot(idx)ᵀ · dy (gather's own gradient, UnsortedSegmentSum, is missing on wasm).
 */
export function gatherRows(table: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor2D {
  onWasm();
  // Tensors a gradFunc needs must go through save(): everything else made during the forward
  // pass is disposed before the backward pass runs.
  const op = custom<[tf.Tensor2D]>((t, save) => {
    save([idx]);
    return {
      value: tf.gather(t, idx),
      gradFunc: (dy, [sIdx]) => tf.matMul(t2(tf.oneHot(sIdx as tf.Tensor1D, table.shape[0]).toFloat()), dy as tf.Tensor2D),
    };
  });
  return op(table) as tf.Tensor2D;
}

// ---------------------------------------------------------------- activations, norms

/** Exact GELU 0.5·x·(1 + erf(x/√2)) (PyTorch nn.GELU default). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T;
}

/**
 * LayerNorm over the last axis: (x − mean)/√(var + eps)·gamma + beta (biased variance, as PyTorch).
 * eps is explicit because SAM mixes 1e-6 (encoder, LayerNorm2d) and 1e-5 (decoder nn.LayerNorm).
 */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T;
}
