import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { bmm, bmmNT, conv2d, conv2dStrided, convTranspose2x2, depthwiseConv2d, gatherRows, gelu, layerNorm, linear, matMul, resizeBilinear } from '../../app/tensor/gradOps.js';
import { Rng } from '../../app/tensor/random.js';
import { installWasmKernelFixes } from '../../app/tensor/wasmKernelFixes.js';
import * as ref from '../helpers/ref64.js';
import { assertClose, dot, numericGrad, onCpu, randArray, tfValueAndGrads, toF64, useWasm } from '../helpers/tfTest.js';

let backend = '';
before(async () => {
  backend = await useWasm();
});

type Input = { data: Float32Array; shape: number[] };
function inputs(rng: Rng, ...shapes: number[][]): Input[] {
  return shapes.map((shape) => ({ data: randArray(rng, shape.reduce((a, b) => a * b, 1)), shape }));
}
function weights(rng: Rng, n: number): Float32Array {
  return randArray(rng, n);
}

/**
 * Checks op on the active backend (wasm) against (a) tfjs's own composition on cpu, where given,
 * and (b) float64 finite differences of a plain-JS reference.
 */
async function checkOp(
  name: string,
  op: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: Input[],
  reference64: (xs: Float64Array[]) => Float64Array,
  cpuOp?: (...xs: tf.Tensor[]) => tf.Tensor,
  tol = { atol: 2e-4, rtol: 2e-4 },
): Promise<void> {
  const rng = new Rng(99);
  const y64 = reference64(xs.map((x) => toF64(x.data)));
  const r = weights(rng, y64.length);
  const got = tfValueAndGrads(op, xs, r);
  assertClose(got.y, y64, `${name} value`, tol.atol, tol.rtol);
  const fd = numericGrad((v) => dot(reference64(v), r), xs.map((x) => toF64(x.data)));
  fd.forEach((g, i) => assertClose(got.grads[i], g, `${name} d/dinput${i} vs finite differences`, tol.atol * 10, tol.rtol * 10));
  if (cpuOp) {
    const want = await onCpu(() => tfValueAndGrads(cpuOp, xs, r));
    assertClose(got.y, want.y, `${name} value vs tfjs cpu`, tol.atol, tol.rtol);
    want.grads.forEach((g, i) => assertClose(got.grads[i], g, `${name} d/dinput${i} vs tfjs cpu`, tol.atol, tol.rtol));
  }
}

// PASAM_BACKEND names our backend choice; tfjs names the backend it registered.
const TFJS_BACKEND: Record<string, string> = { wasm: 'wasm', cpu: 'cpu', node: 'tensorflow', gpu: 'tensorflow' };

test('engine tests run on the backend PASAM_BACKEND asks for (wasm unless told otherwise)', () => {
  assert.equal(backend, TFJS_BACKEND[process.env.PASAM_BACKEND!], `PASAM_BACKEND=${process.env.PASAM_BACKEND}`);
  assert.equal(tf.getBackend(), backend);
});

test('matMul and linear (rank 2 and 3, with and without bias) match tfjs on cpu and finite differences', async () => {
  const rng = new Rng(1);
  await checkOp('matMul', (a, b) => matMul(a as tf.Tensor2D, b as tf.Tensor2D), inputs(rng, [4, 3], [3, 5]), ([a, b]) => ref.matmul(a, b, 4, 3, 5), (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D));
  await checkOp(
    'linear rank 3 + bias',
    (x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D),
    inputs(rng, [2, 3, 5], [5, 4], [4]),
    ([x, w, b]) => ref.matmul(x, w, 6, 5, 4).map((v, i) => v + b[i % 4]),
    (x, w, b) => tf.add(tf.matMul(tf.reshape(x, [6, 5]) as tf.Tensor2D, w as tf.Tensor2D), b).reshape([2, 3, 4]),
  );
  await checkOp('linear rank 2, no bias', (x, w) => linear(x, w as tf.Tensor2D), inputs(rng, [7, 3], [3, 2]), ([x, w]) => ref.matmul(x, w, 7, 3, 2), (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D));
  assert.throws(() => linear(tf.zeros([2, 3]), tf.zeros([4, 5]) as tf.Tensor2D), /input features 3 do not match weight \(in, out\) = \(4,5\)/);
});

test('bmm (a·b) and bmmNT (a·bᵀ) match batched tf.matMul on cpu and finite differences', async () => {
  const rng = new Rng(2);
  const B = 3, M = 4, K = 5, N = 6;
  const bmm64 = (a: Float64Array, b: Float64Array, bt: boolean) => {
    const y = new Float64Array(B * M * N);
    for (let i = 0; i < B; i++) {
      const ai = a.subarray(i * M * K, (i + 1) * M * K);
      let bi = b.subarray(i * K * N, (i + 1) * K * N);
      if (bt) bi = Float64Array.from({ length: K * N }, (_, t) => b[i * K * N + (t % N) * K + Math.floor(t / N)]);
      y.set(ref.matmul(ai, bi, M, K, N), i * M * N);
    }
    return y;
  };
  await checkOp('bmm', (a, b) => bmm(a as tf.Tensor3D, b as tf.Tensor3D), inputs(rng, [B, M, K], [B, K, N]), ([a, b]) => bmm64(a, b, false), (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D));
  await checkOp('bmmNT', (a, b) => bmmNT(a as tf.Tensor3D, b as tf.Tensor3D), inputs(rng, [B, M, K], [B, N, K]), ([a, b]) => bmm64(a, b, true), (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true));
  // A batch of one takes a separate path.
  await checkOp('bmm B=1', (a, b) => bmm(a as tf.Tensor3D, b as tf.Tensor3D), inputs(rng, [1, 2, 3], [1, 3, 2]), ([a, b]) => ref.matmul(a, b, 2, 3, 2), (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D));
  assert.throws(() => bmm(tf.zeros([2, 3, 4]) as tf.Tensor3D, tf.zeros([3, 4, 5]) as tf.Tensor3D), /bmm: incompatible shapes/);
});

test('conv2d (k = 2, 3, 5, 7; dilation 1) matches tf.conv2d and its gradients on cpu, and finite differences', async () => {
  const rng = new Rng(3);
  const N = 2, H = 6, W = 5, ci = 2, co = 3;
  for (const k of [2, 3, 5, 7]) {
    await checkOp(
      `conv2d k=${k}`,
      (x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D),
      inputs(rng, [N, H, W, ci], [k, k, ci, co]),
      ([x, w]) => ref.conv2dSame(x, w, N, H, W, ci, k, k, co, 1),
      (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
    );
  }
});

test('conv2d with dilation 2 and 3 (no backend has these gradients) matches finite differences', async () => {
  const rng = new Rng(4);
  const N = 1, H = 7, W = 6, ci = 2, co = 2;
  for (const [k, d] of [[3, 2], [3, 3], [5, 2]]) {
    await checkOp(
      `conv2d k=${k} d=${d}`,
      (x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, { dilation: d }),
      inputs(rng, [N, H, W, ci], [k, k, ci, co]),
      ([x, w]) => ref.conv2dSame(x, w, N, H, W, ci, k, k, co, d),
    );
  }
  // The forward pass also agrees with tfjs's dilated conv.
  const [x, w] = inputs(rng, [1, 9, 9, 2], [3, 3, 2, 4]);
  const mine = tf.tidy(() => conv2d(tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor4d(w.data, w.shape as [number, number, number, number]), { dilation: 3 }).dataSync());
  const theirs = await onCpu(() => tf.tidy(() => tf.conv2d(tf.tensor4d(x.data, [1, 9, 9, 2]), tf.tensor4d(w.data, [3, 3, 2, 4]), 1, 'same', 'NHWC', 3).dataSync()));
  assertClose(mine, theirs, 'dilated conv2d forward vs tfjs cpu');
});

test('depthwiseConv2d (stride 1 and 2, pad 1, odd and even sizes) matches tf.depthwiseConv2d and its gradients on cpu, and finite differences', async () => {
  const rng = new Rng(11);
  const N = 2, C = 3, k = 3, pad = 1;
  for (const [H, W] of [[5, 7], [6, 4], [4, 4]]) {
    for (const stride of [1, 2]) {
      await checkOp(
        `depthwiseConv2d ${H}×${W} s=${stride}`,
        (x, w) => depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad),
        inputs(rng, [N, H, W, C], [k, k, C, 1]),
        ([x, w]) => ref.depthwiseConv2d(x, w, N, H, W, C, k, k, stride, pad),
        (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]),
      );
    }
  }
  assert.throws(() => depthwiseConv2d(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, tf.zeros([3, 3, 3, 1]) as tf.Tensor4D, 1, 1), /does not match filter/);
});

test('conv2dStrided (k 1 and 3, stride 1 and 2, pad 0 and 1, odd and even sizes) matches tf.conv2d and its gradients on cpu, and finite differences', async () => {
  const rng = new Rng(12);
  const N = 2, ci = 3, co = 2;
  for (const [H, W] of [[5, 7], [6, 4]]) {
    for (const [k, stride, pad] of [[3, 2, 1], [3, 1, 1], [1, 1, 0], [3, 2, 0]]) {
      await checkOp(
        `conv2dStrided ${H}×${W} k=${k} s=${stride} p=${pad}`,
        (x, w) => conv2dStrided(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad),
        inputs(rng, [N, H, W, ci], [k, k, ci, co]),
        ([x, w]) => ref.conv2dStrided(x, w, N, H, W, ci, k, k, co, stride, pad),
        (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad),
      );
    }
  }
  assert.throws(() => conv2dStrided(tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, tf.zeros([3, 3, 3, 1]) as tf.Tensor4D, 1, 1), /does not match filter/);
});

test('convTranspose2x2 matches tf.conv2dTranspose (and its gradients) on cpu and the PyTorch definition', async () => {
  const rng = new Rng(5);
  const N = 2, H = 3, W = 2, ci = 3, co = 2;
  await checkOp(
    'convTranspose2x2',
    (x, w) => convTranspose2x2(x as tf.Tensor4D, w as tf.Tensor4D),
    inputs(rng, [N, H, W, ci], [2, 2, co, ci]),
    ([x, w]) => ref.convTranspose2x2(x, w, N, H, W, ci, co),
    (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [N, 2 * H, 2 * W, co], 2, 'valid'),
  );
  const withBias = tf.tidy(() => convTranspose2x2(tf.ones([1, 1, 1, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, tf.tensor1d([0.5])).dataSync());
  assert.deepEqual([...withBias], [1.5, 1.5, 1.5, 1.5]);
});

test('resizeBilinear (half-pixel centres) equals the PyTorch definition, with exact gradients, up and down', async () => {
  const rng = new Rng(6);
  for (const [H, W, oh, ow] of [[3, 4, 7, 9], [8, 6, 3, 4], [5, 5, 5, 10]]) {
    const N = 2, C = 2;
    await checkOp(
      `resizeBilinear ${H}×${W}→${oh}×${ow}`,
      (x) => resizeBilinear(x as tf.Tensor4D, [oh, ow]),
      inputs(rng, [N, H, W, C]),
      ([x]) => ref.resizeBilinear(x, N, H, W, C, oh, ow),
    );
  }
});

test('gatherRows (repeated indices) matches tf.gather and its gradient on cpu', async () => {
  const rng = new Rng(7);
  const idx = [3, 0, 3, 1, 3];
  const gather64 = (t: Float64Array) => Float64Array.from({ length: idx.length * 2 }, (_, i) => t[idx[Math.floor(i / 2)] * 2 + (i % 2)]);
  await checkOp('gatherRows', (t) => gatherRows(t as tf.Tensor2D, tf.tensor1d(idx, 'int32')), inputs(rng, [5, 2]), ([t]) => gather64(t), (t) => tf.gather(t, tf.tensor1d(idx, 'int32')));
});

test('gelu (erf form), layerNorm, softmax and logSoftmax gradients on this backend match finite differences and tfjs on cpu', async () => {
  const rng = new Rng(8);
  await checkOp('gelu', (x) => gelu(x), inputs(rng, [3, 7]), ([x]) => ref.gelu(x));
  const C = 6;
  await checkOp(
    'layerNorm',
    (x, g, b) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
    inputs(rng, [2, 3, C], [C], [C]),
    ([x, g, b]) => ref.layerNorm(x, g, b, C, 1e-5),
    // tfjs has no layer-norm op; its own moments give the same normalisation and gradients.
    (x, g, b) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
    },
  );
  const softmax64 = (x: Float64Array, log: boolean) => {
    const y = new Float64Array(x.length);
    for (let r = 0; r < x.length / C; r++) {
      const row = x.subarray(r * C, (r + 1) * C);
      const mx = Math.max(...row);
      const se = row.reduce((s, v) => s + Math.exp(v - mx), 0);
      row.forEach((v, c) => (y[r * C + c] = log ? v - mx - Math.log(se) : Math.exp(v - mx) / se));
    }
    return y;
  };
  await checkOp('softmax', (x) => tf.softmax(x), inputs(rng, [4, C]), ([x]) => softmax64(x, false), (x) => tf.softmax(x));
  await checkOp('logSoftmax', (x) => tf.logSoftmax(x), inputs(rng, [4, C]), ([x]) => softmax64(x, true), (x) => tf.logSoftmax(x));
});

/** Row-major slice of `data` (shape `shape`) from `begin`, `size` long per axis: the plain-JS reference. */
function slice64(data: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) return void out.push(data[offset]!);
    for (let i = 0; i < size[axis]!; i++) walk(axis + 1, offset + (begin[axis]! + i) * strides[axis]!);
  };
  walk(0, 0);
  return out;
}

test('slices, splits and unstacks (replaced wasm kernels) equal a plain-JS reference and the cpu results for ranks 1–5 and all dtypes', async () => {
  installWasmKernelFixes();
  const rng = new Rng(9);
  for (let rank = 1; rank <= 5; rank++) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const shape = Array.from({ length: rank }, () => 1 + rng.int(4));
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: n }, () => (dtype === 'bool' ? rng.int(2) : rng.int(1000) - 500));
      const begin = shape.map((s) => rng.int(s));
      const size = shape.map((s, i) => 1 + rng.int(s - begin[i]));
      const axis = rng.int(rank);
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor(data, shape, dtype);
          const parts = [tf.slice(x, begin, size), ...tf.unstack(x, axis), ...tf.split(x, [shape[axis] - 1, 1].filter((v) => v > 0), axis)];
          return parts.map((p) => ({ shape: p.shape, values: [...p.dataSync()] }));
        });
      const mine = run();
      const what = `rank ${rank} ${dtype} shape ${shape} begin ${begin} size ${size} axis ${axis}`;
      // The reference: the slice, each unstacked piece, then the split parts (sizes along axis).
      const along = (start: number, len: number) => ({ begin: shape.map((_, i) => (i === axis ? start : 0)), size: shape.map((s, i) => (i === axis ? len : s)) });
      const pieces = [
        { shape: size, ...{ begin, size } },
        ...Array.from({ length: shape[axis]! }, (_, k) => ({ shape: shape.filter((_, i) => i !== axis), ...along(k, 1) })),
        ...[shape[axis]! - 1, 1].filter((v) => v > 0).map((len, j) => ({ shape: shape.map((s, i) => (i === axis ? len : s)), ...along(j === 0 ? 0 : shape[axis]! - 1, len) })),
      ];
      const expected = pieces.map((p) => ({ shape: p.shape, values: slice64(data, shape, p.begin, p.size) }));
      assert.deepEqual(mine, expected, `${what} vs the plain-JS reference`);
      assert.deepEqual(mine, await onCpu(run), `${what} vs tfjs cpu`);
    }
  }
});

test('weight gradients are computed only for weights being differentiated (frozen weights cost dx only)', async () => {
  const rng = new Rng(10);
  // Heavy kernels per pass: linear and bmm use BatchMatMul; conv2d uses Conv2D (forward, dx) and
  // BatchMatMul (dw).
  const cases: [string, number[], number[], (x: tf.Tensor, w: tf.Tensor) => tf.Tensor][] = [
    ['linear', [3, 4, 6], [6, 5], (x, w) => linear(x, w as tf.Tensor2D)],
    ['conv2d', [2, 5, 5, 3], [3, 3, 3, 2], (x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D)],
    ['bmm', [2, 3, 4], [2, 4, 5], (x, w) => bmm(x as tf.Tensor3D, w as tf.Tensor3D)],
  ];
  for (const [name, xs, ws, op] of cases) {
    const x = tf.tensor(randArray(rng, xs.reduce((a, b) => a * b, 1)), xs);
    const w = tf.tensor(randArray(rng, ws.reduce((a, b) => a * b, 1)), ws);
    const frozen = tf.variable(w.clone(), false, `frozen.${name}`);
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(op(a, b)));
    const count = async (f: () => void) => (await tf.profile(() => f())).kernels.filter((k) => k.name === 'BatchMatMul' || k.name === 'Conv2D').length;
    const both = await count(() => tf.tidy(() => void tf.grads(loss)([x, w])));
    const xOnly = await count(() => tf.tidy(() => void tf.grad((a: tf.Tensor) => loss(a, w))(x)));
    const forwardOnly = await count(() => tf.tidy(() => void loss(x, w)));
    // On wasm bmm runs one 2-D matMul per batch element (2 here); elsewhere one batched matMul.
    const perPass = name === 'bmm' && backend === 'wasm' ? 2 : 1;
    assert.deepEqual([forwardOnly, xOnly, both], [perPass, 2 * perPass, 3 * perPass], `${name}: heavy kernels for forward / +dx / +dx+dw`);
    const [dxLive, dxFrozen] = tf.tidy(() => [tf.grads(loss)([x, w])[0].dataSync(), tf.grad((a: tf.Tensor) => loss(a, frozen))(x).dataSync()]);
    assertClose(dxFrozen, dxLive, `${name} dx with a frozen weight`, 1e-5, 1e-5);
    tf.dispose([x, w, frozen]);
  }
});
