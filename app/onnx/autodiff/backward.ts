// Reverse-mode differentiation of a TrackedGraphBuilder's forward graph: a reverse topological
// sweep from a scalar, pruned to the nodes that lie between the sources (trainable inputs) and
// the scalar, with each value's gradient contributions summed (slots along one axis joined by
// Concat, zero-filled where nothing flowed back). Emits the backward nodes into the same graph.
import type { AttrValue } from '../onnxGraphBuilder.js';
import { OnnxLayers } from '../onnxLayers.js';
import { broadcastShapes, type IrNode, type Shape, type TrackedGraphBuilder } from './trackedGraph.js';
import { NON_DIFFERENTIABLE, VJP_RULES, type Grad, type VjpContext } from './vjpRules.js';

type Slot = Extract<Grad, { slot: true }>;

export interface BackwardOptions {
  /** The scalar to differentiate (shape [] or [1]). */
  loss: string;
  /** Values (graph inputs) to differentiate with respect to. */
  sources: string[];
  /** Nodes recorded before this index form the forward graph (default: all so far). */
  forwardEnd?: number;
  /**
   * Called with a forward node index and its output gradients just before its own gradient is
   * emitted; gradient checkpointing uses it to re-emit a block's forward internals (and `remap`
   * to point the rules at the recomputed values).
   */
  beforeNode?: (index: number, dy: (string | undefined)[]) => void;
  /** Renames a forward value a rule is about to read (recomputed copies). */
  remap?: (name: string) => string;
}

/** Returns, per source, the name of its gradient (a zero tensor where the loss does not depend on it). */
export function differentiate(b: TrackedGraphBuilder, layers: OnnxLayers, opts: BackwardOptions): Map<string, string> {
  const forward = b.ir.slice(0, opts.forwardEnd ?? b.ir.length);
  const remap = opts.remap ?? ((n: string) => n);
  // Values that depend on a source.
  const varies = new Set(opts.sources);
  for (const n of forward) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue;
    if (n.inputs.some((x) => varies.has(x))) for (const o of n.outputs) varies.add(o);
  }
  if (!varies.has(opts.loss)) throw new Error('autodiff: the loss does not depend on any trainable tensor');
  // Values the loss depends on.
  const feeds = new Set([opts.loss]);
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i]!;
    if (n.outputs.some((o) => feeds.has(o))) for (const x of n.inputs) if (x) feeds.add(x);
  }
  const active = (v: string) => varies.has(v) && feeds.has(v);

  const contributions = new Map<string, Grad[]>();
  const push = (v: string, g: Grad) => {
    const list = contributions.get(v);
    if (list) list.push(g);
    else contributions.set(v, [g]);
  };

  const ctx: VjpContext = {
    op: (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}) => b.op(op, inputs.map(remap), attrs),
    shape: (name) => b.shape(name),
    ints: (v) => layers.ints(v),
    scalar: (v) => layers.scalar(v),
    intsOf: (name) => b.ints(name),
    unbroadcast: (g, target) => unbroadcast(b, layers, g, target),
  };

  const lossShape = b.shape(opts.loss);
  push(opts.loss, b.op('ConstantOfShape', [layers.ints(lossShape)], { value: { tensor: new Float32Array([1]), dims: [1] } }));

  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i]!;
    if (!n.outputs.some((o) => contributions.has(o) && active(o))) continue;
    const need = n.inputs.map((x) => Boolean(x) && active(x));
    if (!need.some(Boolean)) continue;
    const rule = VJP_RULES[n.op];
    if (!rule) throw new Error(`autodiff: no gradient rule for ONNX op ${n.op}`);
    const dy = n.outputs.map((o) => (contributions.has(o) ? total(b, layers, o, contributions.get(o)!) : undefined));
    opts.beforeNode?.(i, dy);
    for (const o of n.outputs) contributions.delete(o);
    const composite = b.composites.get(n.outputs[0]!);
    if (composite) {
      for (const [v, g] of composite(ctx, dy[0]!)) if (active(v)) push(v, g);
      continue;
    }
    if (n.outputs.length > 1 && n.op !== 'LayerNormalization' && dy.some((g) => g === undefined)) throw new Error(`autodiff: ${n.op} with an output that received no gradient`);
    const node: IrNode = { ...n, inputs: n.inputs, outputs: n.outputs };
    const grads = rule(ctx, node, dy, need);
    grads.forEach((g, k) => {
      if (g !== undefined && need[k]) push(n.inputs[k]!, g);
    });
  }
  const out = new Map<string, string>();
  for (const s of opts.sources) {
    const list = contributions.get(s);
    out.set(s, list ? total(b, layers, s, list) : b.op('ConstantOfShape', [layers.ints(b.shape(s))], { value: { tensor: new Float32Array([0]), dims: [1] } }));
  }
  return out;
}

/** Sums `g` (a broadcast result) down to `target`. */
export function unbroadcast(b: TrackedGraphBuilder, layers: OnnxLayers, g: string, target: Shape): string {
  const gs = b.shape(g);
  if (gs.length === target.length && gs.every((d, i) => d === target[i])) return g;
  const padded = [...new Array<number>(gs.length - target.length).fill(1), ...target];
  broadcastShapes(padded, gs);
  const axes = gs.map((_, i) => i).filter((i) => padded[i] === 1 && gs[i] !== 1);
  let r = axes.length ? b.op('ReduceSum', [g, layers.ints(axes)], { keepdims: 1 }) : g;
  if (gs.length !== target.length) r = b.op('Reshape', [r, layers.ints(target)]);
  return r;
}

/** The gradient of value `v` from its contributions. */
function total(b: TrackedGraphBuilder, layers: OnnxLayers, v: string, list: Grad[]): string {
  const shape = b.shape(v);
  const dense = list.filter((g): g is string => typeof g === 'string');
  const slots = list.filter((g): g is Slot => typeof g !== 'string');
  if (slots.length) dense.push(...joinSlots(b, layers, shape, slots));
  return dense.length === 1 ? dense[0]! : b.op('Sum', dense);
}

/** Slots along one axis, disjoint → one Concat with zero fill; otherwise each padded. */
function joinSlots(b: TrackedGraphBuilder, layers: OnnxLayers, shape: Shape, slots: Slot[]): string[] {
  const len = (s: Slot) => b.shape(s.value)[s.axis]!;
  const zeros = (axis: number, n: number) => {
    const s = [...shape];
    s[axis] = n;
    return b.op('ConstantOfShape', [layers.ints(s)], { value: { tensor: new Float32Array([0]), dims: [1] } });
  };
  const axis = slots[0]!.axis;
  const sorted = [...slots].sort((x, y) => x.start - y.start);
  const disjoint = slots.every((s) => s.axis === axis) && sorted.every((s, i) => i === 0 || s.start >= sorted[i - 1]!.start + len(sorted[i - 1]!));
  if (!disjoint) {
    return slots.map((s) => {
      const p = shape.map(() => 0).concat(shape.map(() => 0));
      p[s.axis] = s.start;
      p[s.axis + shape.length] = shape[s.axis]! - s.start - len(s);
      return b.op('Pad', [s.value, layers.ints(p)], { mode: 'constant' });
    });
  }
  const parts: string[] = [];
  let at = 0;
  for (const s of sorted) {
    if (s.start > at) parts.push(zeros(axis, s.start - at));
    parts.push(s.value);
    at = s.start + len(s);
  }
  if (at < shape[axis]!) parts.push(zeros(axis, shape[axis]! - at));
  return [parts.length === 1 ? parts[0]! : b.op('Concat', parts, { axis })];
}
