// Shared helpers for engine tests: run on the wasm backend (what users without tfjs-node get),
// compare with tfjs's own kernels on the cpu backend, and check gradients against float64
// central differences of plain-JS reference implementations.
import { tf } from '../../app/tensor/tf.js';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { Rng } from '../../app/tensor/random.js';

/** Selects the wasm backend for this test process (PASAM_BACKEND overrides). */
export async function useWasm(): Promise<string> {
  process.env.PASAM_BACKEND ||= 'wasm';
  await initBackend();
  return tf.getBackend();
}

/** Runs f on tfjs's cpu backend and returns to the previous backend. */
export async function onCpu<T>(f: () => T): Promise<T> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend(prev);
  }
}

export function randArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}

export function toF64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, naming the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) assert.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]}`);
}

/**
 * Central-difference gradient of the float64 scalar function f at xs (each input perturbed in
 * place and restored). h = 1e-5 gives ~1e-9 truncation error for smooth f.
 */
export function numericGrad(f: (xs: Float64Array[]) => number, xs: Float64Array[], h = 1e-5): Float64Array[] {
  return xs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = v + h;
      const fp = f(xs);
      x[i] = v - h;
      const fm = f(xs);
      x[i] = v;
      g[i] = (fp - fm) / (2 * h);
    }
    return g;
  });
}

/** Σ y·r, the scalar through which gradients are compared (r fixed, random). */
export function dot(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

/**
 * Value and gradients of Σ f(inputs)·r computed by tfjs on the current backend.
 * Returns [value of f, ...gradients] as plain arrays; leaves no tensors behind.
 */
export function tfValueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: { data: Float32Array; shape: number[] }[], r: Float32Array): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
    const y = f(...xs).dataSync() as Float32Array;
    const g = tf.grads((...args: tf.Tensor[]) => {
      const out = f(...args);
      return tf.sum(tf.mul(out, tf.tensor(r, out.shape, 'float32')));
    });
    const grads = g(xs).map((t) => t.dataSync() as Float32Array);
    return { y: Float32Array.from(y), grads: grads.map((a) => Float32Array.from(a)) };
  });
}
