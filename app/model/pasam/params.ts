// Named parameters of a PA-SAM model: one store that creates every tensor from an initialiser,
// keeps trainable ones as tf.Variables (so gradients reach only them) and frozen ones as plain
// tensors, and owns them all for disposal and counting.
import { tf } from '../nn.js';
import { normal, Rng, uniform } from '../../tensor/random.js';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** U(−bound, bound) */
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  /** A copy of an existing tensor (shape must match). */
  | { kind: 'copy'; from: tf.Tensor };

/** PyTorch's default for Linear/Conv weights and biases: kaiming-uniform(a=√5) = U(±1/√fan_in). */
export function kaimingUniform(fanIn: number): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
}

/** Creates (or registers) a parameter; returns the tensor the model computes with. */
export type ParamFactory = (name: string, shape: number[], init: Init) => tf.Tensor;

let storeCounter = 0;

export class ParamStore {
  private readonly frozen = new Map<string, tf.Tensor>();
  private readonly trainable = new Map<string, tf.Variable>();
  private readonly uid = `pasam${++storeCounter}`;
  private readonly rng: Rng;
  private disposed = false;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** A factory whose parameters are trainable (`true`) or frozen. */
  factory(trainable: boolean): ParamFactory {
    return (name, shape, init) => this.create(name, shape, init, trainable);
  }

  /** Adopts an existing tensor (takes ownership). */
  adopt(name: string, t: tf.Tensor, trainable: boolean): tf.Tensor {
    this.assertNew(name);
    if (!trainable) {
      this.frozen.set(name, t);
      return t;
    }
    // Variable names are global in tfjs; the store id keeps two models apart.
    const v = tf.variable(t, true, `${this.uid}/${name}`);
    t.dispose();
    this.trainable.set(name, v);
    return v;
  }

  create(name: string, shape: number[], init: Init, trainable: boolean): tf.Tensor {
    return this.adopt(name, this.initial(name, shape, init), trainable);
  }

  private assertNew(name: string): void {
    if (this.disposed) throw new Error('the PA-SAM model has been disposed');
    if (this.frozen.has(name) || this.trainable.has(name)) throw new Error(`parameter '${name}' is defined twice`);
  }

  private initial(name: string, shape: number[], init: Init): tf.Tensor {
    switch (init.kind) {
      case 'zeros':
        return tf.zeros(shape);
      case 'ones':
        return tf.ones(shape);
      case 'copy': {
        const s = init.from.shape;
        if (s.length !== shape.length || s.some((n, i) => n !== shape[i])) throw new Error(`parameter '${name}': cannot copy a tensor of shape [${s}] into shape [${shape}]`);
        return init.from.clone();
      }
      case 'uniform':
        return uniform(this.rng, shape, -init.bound, init.bound);
      case 'normal':
        return normal(this.rng, shape, init.std);
    }
  }

  trainableVariables(): Map<string, tf.Variable> {
    return new Map(this.trainable);
  }

  frozenTensors(): Map<string, tf.Tensor> {
    return new Map(this.frozen);
  }

  has(name: string): boolean {
    return this.frozen.has(name) || this.trainable.has(name);
  }

  counts(): { trainable: number; total: number; byGroup: Map<string, { trainable: number; total: number }> } {
    const byGroup = new Map<string, { trainable: number; total: number }>();
    let trainable = 0;
    let total = 0;
    const add = (name: string, t: tf.Tensor, isTrainable: boolean) => {
      const g = groupOf(name);
      const e = byGroup.get(g) ?? { trainable: 0, total: 0 };
      e.total += t.size;
      total += t.size;
      if (isTrainable) {
        e.trainable += t.size;
        trainable += t.size;
      }
      byGroup.set(g, e);
    };
    for (const [n, t] of this.frozen) add(n, t, false);
    for (const [n, t] of this.trainable) add(n, t, true);
    return { trainable, total, byGroup };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([...this.frozen.values(), ...this.trainable.values()]);
    this.frozen.clear();
    this.trainable.clear();
  }
}

/** Report group of a parameter name: 'encoder.lora', 'encoder', 'ipeg', 'decoder', … */
export function groupOf(name: string): string {
  if (name.startsWith('encoder.') && name.includes('.lora.')) return 'encoder.lora';
  if (name.startsWith('encoder.neck.')) return 'encoder.neck';
  return name.split('.')[0];
}

/**
 * Maps every tensor in a nested structure (objects/arrays) through `f(tensor, path)`, where path
 * is the dotted field path below `prefix` (e.g. 'blocks.3.attn.qkv.weight').
 */
export function mapTensorTree<T>(tree: T, prefix: string, f: (t: tf.Tensor, name: string) => tf.Tensor): T {
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof tf.Tensor) return f(v, path);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${path}.${k}`)]));
    return v;
  };
  return walk(tree, prefix) as T;
}
