// Seeded randomness for everything that must be reproducible: data order, augmentation and
// parameter initialisation. xoshiro128** (period 2^128 − 1), seeded through splitmix32; the
// 4-word state is serialisable so that a resumed run continues the same stream.
import { tf } from './tf.js';

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;
  private spareNormal: number | undefined;

  /** seed: any integer (its low 32 bits are used). */
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.s = new Uint32Array([sm(), sm(), sm(), sm()]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new Error(`Rng.int: n must be an integer in 1..2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let v: number;
    do v = this.nextUint32();
    while (v >= limit);
    return v % n;
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * this.next();
    this.spareNormal = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A random permutation of 0..n−1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Serialisable state (for checkpoints). */
  getState(): number[] {
    return [...this.s, this.spareNormal ?? Number.NaN];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new Error(`Rng.setState: expected 5 numbers, got ${state.length}`);
    this.s = new Uint32Array(state.slice(0, 4));
    this.spareNormal = Number.isNaN(state[4]) ? undefined : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * fan_in of a weight in this project's layouts: every axis but the last (the output axis):
 * linear (in, out) → in; conv (kh, kw, cin, cout) → kh·kw·cin. Matches PyTorch's fan_in.
 */
export function fanIn(shape: readonly number[]): number {
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

/** PyTorch kaiming_uniform_(w, a): U(±gain·√(3/fan_in)), gain = √(2/(1+a²)); a = √5 as nn.Linear/LoRA A. */
export function kaimingUniform(rng: Rng, shape: number[], a = Math.sqrt(5), fan = fanIn(shape)): tf.Tensor {
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fan);
  return uniform(rng, shape, -bound, bound);
}

export function uniform(rng: Rng, shape: number[], lo: number, hi: number): tf.Tensor {
  const v = new Float32Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform(lo, hi);
  return tf.tensor(v, shape, 'float32');
}

export function normal(rng: Rng, shape: number[], std = 1, mean = 0): tf.Tensor {
  const v = new Float32Array(shape.reduce((x, y) => x * y, 1));
  for (let i = 0; i < v.length; i++) v[i] = mean + std * rng.normal();
  return tf.tensor(v, shape, 'float32');
}

export function zeros(shape: number[]): tf.Tensor {
  return tf.zeros(shape, 'float32');
}
