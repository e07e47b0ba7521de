// Shared helpers of the PA-SAM tests: the sam-tiny fixture's weights read straight from its
// official safetensors, and a central-difference gradient check.
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { openCheckpoint } from '../../app/model/checkpoint/checkpointReader.js';
import { buildSamWeights, samTensorSpecs, tfjsShape, toTfjsLayout, type SamWeights } from '../../app/model/sam/weights.js';
import type { SamFixture } from './samFixture.js';

export async function fixtureSamWeights(fx: SamFixture): Promise<SamWeights> {
  const reader = await openCheckpoint(join(fx.dir, fx.manifest.checkpoints.safetensors_official_names));
  try {
    const loaded = new Map<string, tf.Tensor>();
    for (const spec of samTensorSpecs(fx.config)) {
      const data = toTfjsLayout(await reader.read(spec.name), spec);
      loaded.set(spec.name, tf.tensor(data, tfjsShape(spec)));
    }
    return buildSamWeights(fx.config, (name) => loaded.get(name)!);
  } finally {
    await reader.close();
  }
}

/** NCHW data (1, C, H, W) → NHWC tensor (1, H, W, C). */
export function nchwToNhwc(data: Float32Array, shape: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(data, shape as [number, number, number, number]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
}

/** Deterministic pseudo-random values in (−scale, scale). */
export function pseudoRandom(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = (((s >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

/**
 * Compares tf.grads of `loss` w.r.t. each named parameter with central differences at `samples`
 * pseudo-random elements. Returns the failures (empty when all agree).
 */
export function gradientCheck(
  loss: (params: Map<string, tf.Tensor>) => tf.Scalar,
  params: Map<string, tf.Tensor>,
  opts: { samples?: number; eps?: number; rtol?: number; atol?: number } = {},
): string[] {
  const samples = opts.samples ?? 4;
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const names = [...params.keys()];
  const analytic = tf.tidy(() =>
    tf.grads((...xs: tf.Tensor[]) => loss(new Map(names.map((n, i) => [n, xs[i]]))))(names.map((n) => params.get(n)!)),
  );
  const failures: string[] = [];
  let checked = 0;
  names.forEach((name, k) => {
    const base = params.get(name)!;
    const g = analytic[k].dataSync();
    const values = base.dataSync() as Float32Array;
    let nonZero = false;
    for (let s = 0; s < samples; s++) {
      const idx = Math.floor(((s * 2654435761 + k * 97) % 4294967296) / 4294967296 * base.size);
      const at = (delta: number) =>
        tf.tidy(() => {
          const v = Float32Array.from(values);
          v[idx] += delta;
          const m = new Map(params);
          m.set(name, tf.tensor(v, base.shape));
          return loss(m).dataSync()[0];
        });
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      if (Math.abs(g[idx]) > 1e-6) nonZero = true;
      checked++;
      if (!(Math.abs(fd - g[idx]) <= atol + rtol * Math.max(Math.abs(fd), Math.abs(g[idx])))) {
        failures.push(`${name}[${idx}]: analytic ${g[idx]} vs finite difference ${fd}`);
      }
    }
    if (!nonZero) failures.push(`${name}: every sampled gradient is zero (the check cannot fail)`);
  });
  tf.dispose(analytic);
  if (checked === 0) failures.push('nothing was checked');
  return failures;
}
/**
 * For each named trainable variable, compares its analytic gradient at the element of largest
 * |gradient| (a meaningful, non-zero check) with a central difference of `loss` (ε = 1e-2), and
 * restores the variable. Returns the failures (a missing variable, a ~0 gradient, a mismatch).
 */
export function checkLargestGradients(vars: Map<string, tf.Variable>, grads: tf.NamedTensorMap, names: string[], loss: () => tf.Scalar): string[] {
  const failures: string[] = [];
  for (const name of names) {
    const v = vars.get(name);
    if (!v) {
      failures.push(`${name}: no such trainable tensor`);
      continue;
    }
    const g = grads[v.name]!.dataSync();
    const original = v.dataSync().slice() as Float32Array;
    let idx = 0;
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[idx]!)) idx = i;
    const eps = 1e-2;
    const at = (delta: number) => {
      const p = Float32Array.from(original);
      p[idx]! += delta;
      const t = tf.tensor(p, v.shape);
      v.assign(t);
      t.dispose();
      const l = loss();
      const out = l.dataSync()[0]!;
      l.dispose();
      return out;
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    const back = tf.tensor(original, v.shape);
    v.assign(back);
    back.dispose();
    if (!(Math.abs(g[idx]!) > 1e-4)) failures.push(`${name}: gradient ${g[idx]} is ~0`);
    if (!(Math.abs(fd - g[idx]!) <= 3e-3 + 3e-2 * Math.abs(g[idx]!))) failures.push(`${name}[${idx}]: analytic ${g[idx]} vs finite difference ${fd}`);
  }
  return failures;
}
