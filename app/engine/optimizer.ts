// AdamW (Loshchilov & Hutter; PyTorch torch.optim.AdamW semantics) over a named map of variables,
// with serialisable state for checkpoint/resume, plus gradient accumulation and global-norm clipping.
import { tf } from '../tensor/tf.js';

export type NamedVariables = Record<string, tf.Variable>;
export type NamedGrads = Record<string, tf.Tensor>;

export interface AdamWConfig {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (default 0.01, PA-SAM.md §9). */
  weightDecay?: number;
  /** Which parameters decay (default: `defaultDecayFilter`). */
  decay?: (name: string, shape: readonly number[]) => boolean;
}

/**
 * No decay for rank-1 parameters (biases, norm gains/shifts) nor for embeddings, tokens,
 * positional tables and queries (names matching embed|token|pos|query|queries).
 */
export function defaultDecayFilter(name: string, shape: readonly number[]): boolean {
  if (shape.length < 2) return false;
  return !/(embed|token|pos|quer(y|ies)|norm)/i.test(name);
}

/** Plain-array optimiser state; `m`/`v` are keyed by parameter name. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decays: Map<string, boolean>;
  private m = new Map<string, tf.Tensor>();
  private v = new Map<string, tf.Tensor>();
  private t = 0;

  constructor(
    readonly params: NamedVariables,
    cfg: AdamWConfig = {},
  ) {
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.eps = cfg.eps ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 0.01;
    const filter = cfg.decay ?? defaultDecayFilter;
    this.decays = new Map(Object.entries(params).map(([n, p]) => [n, filter(n, p.shape)]));
    for (const [n, p] of Object.entries(params)) {
      this.m.set(n, tf.keep(tf.zerosLike(p)));
      this.v.set(n, tf.keep(tf.zerosLike(p)));
    }
  }

  /** Number of steps taken. */
  get step(): number {
    return this.t;
  }

  /** Whether `name` receives weight decay. */
  hasWeightDecay(name: string): boolean {
    return this.decays.get(name) ?? false;
  }

  /**
   * One update with learning rate lr. Parameters without a gradient (absent or undefined) are
   * left unchanged but still count the step (bias correction uses the global step, as PyTorch
   * does for parameters that always have gradients). Does not dispose `grads`.
   */
  applyGradients(grads: NamedGrads, lr: number): void {
    for (const name of Object.keys(grads)) {
      if (!(name in this.params)) throw new Error(`AdamW: gradient for unknown parameter '${name}'`);
    }
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    for (const [name, p] of Object.entries(this.params)) {
      const g = grads[name];
      if (!g) continue;
      if (g.shape.join() !== p.shape.join()) throw new Error(`AdamW: gradient for '${name}' has shape (${g.shape}), parameter (${p.shape})`);
      const [m1, v1] = tf.tidy(() => {
        const m = tf.add(tf.mul(this.m.get(name)!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v.get(name)!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const decayed = this.decays.get(name) && this.weightDecay > 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.eps));
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
        return [m, v];
      });
      this.m.get(name)!.dispose();
      this.v.get(name)!.dispose();
      // keep: the caller may run this step inside its own tf.tidy.
      this.m.set(name, tf.keep(m1));
      this.v.set(name, tf.keep(v1));
    }
  }

  /** Copies the state out to plain arrays (for a checkpoint). */
  getState(): AdamWState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of Object.keys(this.params)) {
      m[name] = this.m.get(name)!.dataSync() as Float32Array;
      v[name] = this.v.get(name)!.dataSync() as Float32Array;
    }
    return { step: this.t, m: structuredClone(m), v: structuredClone(v) };
  }

  /** Restores a state taken with getState (from this or an identically named/shaped model). */
  setState(state: AdamWState): void {
    for (const [name, p] of Object.entries(this.params)) {
      const size = p.size;
      for (const [key, arr] of [['m', state.m[name]], ['v', state.v[name]]] as const) {
        if (!arr) throw new Error(`AdamW.setState: the state has no '${key}' for parameter '${name}'`);
        if (arr.length !== size) throw new Error(`AdamW.setState: '${key}' of '${name}' has ${arr.length} values, the parameter ${size}`);
      }
    }
    for (const [name, p] of Object.entries(this.params)) {
      this.m.get(name)!.dispose();
      this.v.get(name)!.dispose();
      this.m.set(name, tf.keep(tf.tensor(state.m[name], p.shape, 'float32')));
      this.v.set(name, tf.keep(tf.tensor(state.v[name], p.shape, 'float32')));
    }
    this.t = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Sums gradients over micro-batches, then hands back their mean (or sum) for one optimiser step.
 * `add` takes ownership of the tensors it is given.
 */
export class GradientAccumulator {
  private acc = new Map<string, tf.Tensor>();
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(grads: NamedGrads): void {
    for (const [name, g] of Object.entries(grads)) {
      const prev = this.acc.get(name);
      if (prev) {
        this.acc.set(name, tf.keep(tf.add(prev, g)));
        prev.dispose();
        g.dispose();
      } else this.acc.set(name, tf.keep(g));
    }
    this.n += 1;
  }

  /** The accumulated gradients (mean over the added micro-batches by default); resets. Caller disposes. */
  take(mode: 'mean' | 'sum' = 'mean'): NamedGrads {
    if (this.n === 0) throw new Error('GradientAccumulator.take: nothing accumulated');
    const out: NamedGrads = {};
    for (const [name, g] of this.acc) {
      if (mode === 'mean' && this.n > 1) {
        out[name] = tf.div(g, this.n);
        g.dispose();
      } else out[name] = g;
    }
    this.acc.clear();
    this.n = 0;
    return out;
  }

  dispose(): void {
    for (const g of this.acc.values()) g.dispose();
    this.acc.clear();
    this.n = 0;
  }
}

/**
 * Scales gradients so that their global L2 norm is at most maxNorm (torch clip_grad_norm_).
 * Returns new tensors (caller disposes them and the inputs) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: NamedGrads, maxNorm: number): { grads: NamedGrads; norm: number } {
  const names = Object.keys(grads);
  if (names.length === 0) return { grads: {}, norm: 0 };
  const norm = tf.tidy(() => Math.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))).dataSync()[0]));
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  const out: NamedGrads = {};
  for (const n of names) out[n] = tf.mul(grads[n], scale);
  return { grads: out, norm };
}

/**
 * Loss value and gradients w.r.t. `params` only (other variables stay frozen), keyed by the
 * names of `params` (tf.variableGrads keys them by tf variable name). Caller disposes both.
 */
export function valueAndGrads(loss: () => tf.Scalar, params: NamedVariables): { value: tf.Scalar; grads: NamedGrads } {
  const names = Object.keys(params);
  const { value, grads } = tf.variableGrads(loss, names.map((n) => params[n]));
  const out: NamedGrads = {};
  for (const n of names) {
    const g = grads[params[n].name];
    if (g) out[n] = g;
  }
  return { value, grads: out };
}
