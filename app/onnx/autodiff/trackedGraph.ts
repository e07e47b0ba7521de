// An OnnxGraphBuilder that also keeps what reverse-mode differentiation needs: every node (op,
// inputs, outputs, attributes) in emission order (a topological order), the static shape of every
// value, and the values of int64 constants (shapes, axes, pads — including those ONNX would
// compute at run time with Shape/Concat, folded here since every shape is static given S and B).
// LayerNormalization nodes are emitted with their optional Mean / InvStdDev outputs, which its
// gradient rule reads instead of recomputing the statistics.
import { createHash } from 'node:crypto';
import { OnnxGraphBuilder, type AttrValue, type Dim, type ElemType } from '../onnxGraphBuilder.js';
import type { CompositeVjp } from './vjpRules.js';

export type Shape = number[];

export interface IrNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

const SAME_SHAPE = new Set(['Erf', 'Relu', 'Exp', 'Log', 'Neg', 'Sqrt', 'Reciprocal', 'Softmax', 'LogSoftmax', 'Identity', 'Cast', 'Abs', 'Sigmoid', 'Tanh', 'Not']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Equal', 'Greater', 'Less', 'Where', 'Max', 'Min', 'Sum']);

export function broadcastShapes(...shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[i - (rank - s.length)] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new Error(`broadcast: incompatible shapes ${shapes.map((x) => `[${x}]`).join(' and ')}`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

export const numel = (s: Shape): number => s.reduce((a, b) => a * b, 1);
const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

export class TrackedGraphBuilder extends OnnxGraphBuilder {
  readonly ir: IrNode[] = [];
  readonly shapes = new Map<string, Shape>();
  readonly elems = new Map<string, ElemType>();
  /** int64 values known at build time (constants and folded shape arithmetic). */
  readonly intValues = new Map<string, number[]>();
  /** Names of float initializers (frozen weights and constants). */
  readonly constants = new Set<string>();
  /** Node groups with one gradient rule, keyed by the group's output (e.g. GELU); their inner nodes get no gradient. */
  readonly composites = new Map<string, CompositeVjp>();
  /** Running sha256 over everything that goes into the graph, so caches need not serialise it. */
  private readonly hasher = createHash('sha256');

  /** Content hash of the graph so far (structure, shapes, weights); call once, when complete. */
  contentHash(extra = ''): string {
    return this.hasher.update(extra).digest('hex');
  }

  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`autodiff: no static shape recorded for '${name}'`);
    return s;
  }

  ints(name: string): number[] {
    const v = this.intValues.get(name);
    if (!v) throw new Error(`autodiff: '${name}' is not a build-time int64 constant`);
    return v;
  }

  override input(name: string, dims: Dim[], elem: ElemType = 'float32'): string {
    if (dims.some((d) => typeof d !== 'number')) throw new Error(`autodiff: input '${name}' needs a static shape, got [${dims}]`);
    super.input(name, dims, elem);
    this.hasher.update(`in ${name} ${elem} ${dims}\n`);
    this.shapes.set(name, dims as number[]);
    this.elems.set(name, elem);
    return name;
  }

  override output(name: string, dims: Dim[], elem: ElemType = 'float32'): void {
    super.output(name, dims, elem);
    this.hasher.update(`out ${name} ${elem} ${dims}\n`);
  }

  override weight(prefix: string, data: Float32Array, dims: number[]): string {
    const name = super.weight(prefix, data, dims);
    this.hasher.update(`w ${name} ${dims}\n`).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.shapes.set(name, dims);
    this.elems.set(name, 'float32');
    this.constants.add(name);
    return name;
  }

  override int64(prefix: string, values: number[], dims: number[] = [values.length]): string {
    const name = super.int64(prefix, values, dims);
    this.hasher.update(`i ${name} ${dims} ${values}\n`);
    this.shapes.set(name, dims);
    this.elems.set(name, 'int64');
    this.intValues.set(name, values);
    return name;
  }

  override node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    let outs = outputs;
    if (op === 'LayerNormalization') {
      const named = typeof outs === 'number' ? [this.fresh('ln')] : outs;
      outs = named.length === 1 ? [named[0]!, this.fresh('ln_mean'), this.fresh('ln_invstd')] : named;
    }
    const names = super.node(op, inputs, attrs, outs);
    this.hasher.update(`${op} ${inputs} ${names} ${JSON.stringify(attrs, (_k, v) => (v instanceof Float32Array ? [...v] : v))}\n`);
    this.ir.push({ op, inputs, outputs: names, attrs });
    this.infer({ op, inputs, outputs: names, attrs });
    return names;
  }

  /** Records output shapes (and folds int64 shape arithmetic). */
  private infer(n: IrNode): void {
    const inS = (i: number) => this.shape(n.inputs[i]!);
    const set = (s: Shape, i = 0, elem?: ElemType) => {
      this.shapes.set(n.outputs[i]!, s);
      this.elems.set(n.outputs[i]!, elem ?? this.elems.get(n.inputs[0]!) ?? 'float32');
    };
    const a = n.attrs;
    switch (n.op) {
      case 'MatMul': {
        const sa = inS(0);
        const sb = inS(1);
        if (sa.length < 2 || sb.length < 2) throw new Error('autodiff: MatMul needs operands of rank ≥ 2');
        if (sa[sa.length - 1] !== sb[sb.length - 2]) throw new Error(`autodiff: MatMul [${sa}]·[${sb}]`);
        const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
        return set([...batch, sa[sa.length - 2]!, sb[sb.length - 1]!]);
      }
      case 'Gemm': {
        const sa = inS(0);
        const sb = inS(1);
        return set([a.transA ? sa[1]! : sa[0]!, a.transB ? sb[0]! : sb[1]!]);
      }
      case 'Reshape': {
        const src = inS(0);
        const target = this.ints(n.inputs[1]!).map((d, i) => (d === 0 ? src[i]! : d));
        const known = target.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
        const out = target.map((d) => (d === -1 ? numel(src) / known : d));
        if (numel(out) !== numel(src)) throw new Error(`autodiff: Reshape [${src}] → [${target}]`);
        return set(out);
      }
      case 'Transpose': {
        const src = inS(0);
        return set((a.perm as number[]).map((p) => src[p]!));
      }
      case 'Conv': {
        const x = inS(0);
        const w = inS(1);
        const { k, st, dl, p } = convAttributes(a, w);
        const sp = k.map((kk, i) => Math.floor((x[2 + i]! + p[i]! + p[i + k.length]! - dl[i]! * (kk - 1) - 1) / st[i]!) + 1);
        return set([x[0]!, w[0]!, ...sp]);
      }
      case 'ConvTranspose': {
        const x = inS(0);
        const w = inS(1);
        const { k, st, dl, p } = convAttributes(a, w);
        const op = (a.output_padding as number[] | undefined) ?? k.map(() => 0);
        const sp = k.map((kk, i) => (x[2 + i]! - 1) * st[i]! - p[i]! - p[i + k.length]! + dl[i]! * (kk - 1) + op[i]! + 1);
        return set([x[0]!, w[1]! * ((a.group as number | undefined) ?? 1), ...sp]);
      }
      case 'LayerNormalization': {
        const x = inS(0);
        const axis = normAxis((a.axis as number | undefined) ?? -1, x.length);
        set(x);
        const stat = x.map((d, i) => (i >= axis ? 1 : d));
        if (n.outputs[1]) set(stat, 1);
        if (n.outputs[2]) set(stat, 2);
        return;
      }
      case 'Gather': {
        const x = inS(0);
        const idx = inS(1);
        const axis = normAxis((a.axis as number | undefined) ?? 0, x.length);
        const out = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
        set(out);
        const iv = this.intValues.get(n.inputs[0]!);
        const ii = this.intValues.get(n.inputs[1]!);
        if (iv && ii && x.length === 1) this.intValues.set(n.outputs[0]!, ii.map((j) => iv[j < 0 ? j + iv.length : j]!));
        return;
      }
      case 'Slice': {
        const x = inS(0);
        const starts = this.ints(n.inputs[1]!);
        const ends = this.ints(n.inputs[2]!);
        const axes = n.inputs[3] ? this.ints(n.inputs[3]) : starts.map((_, i) => i);
        if (n.inputs[4] && this.ints(n.inputs[4]).some((s) => s !== 1)) throw new Error('autodiff: Slice with steps ≠ 1 is not supported');
        const out = [...x];
        axes.forEach((ax, i) => {
          const axis = normAxis(ax, x.length);
          const dim = x[axis]!;
          const clamp = (v: number) => Math.max(0, Math.min(dim, v < 0 ? v + dim : v));
          out[axis] = Math.max(0, clamp(ends[i]!) - clamp(starts[i]!));
        });
        set(out);
        const iv = this.intValues.get(n.inputs[0]!);
        if (iv && x.length === 1) {
          const s0 = Math.max(0, starts[0]! < 0 ? starts[0]! + iv.length : starts[0]!);
          this.intValues.set(n.outputs[0]!, iv.slice(s0, s0 + out[0]!));
        }
        return;
      }
      case 'Concat': {
        const shapes = n.inputs.map((_, i) => inS(i));
        const axis = normAxis(a.axis as number, shapes[0]!.length);
        const out = [...shapes[0]!];
        out[axis] = shapes.reduce((s, sh) => s + sh[axis]!, 0);
        set(out);
        const vals = n.inputs.map((x) => this.intValues.get(x));
        if (vals.every((v) => v !== undefined) && out.length === 1) this.intValues.set(n.outputs[0]!, vals.flatMap((v) => v!));
        return;
      }
      case 'Unsqueeze': {
        const x = inS(0);
        const rank = x.length + this.ints(n.inputs[1]!).length;
        const axes = this.ints(n.inputs[1]!).map((ax) => normAxis(ax, rank));
        const out: Shape = [];
        let j = 0;
        for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]!);
        return set(out);
      }
      case 'Squeeze': {
        const x = inS(0);
        const axes = this.ints(n.inputs[1]!).map((ax) => normAxis(ax, x.length));
        return set(x.filter((_, i) => !axes.includes(i)));
      }
      case 'Expand':
        return set(broadcastShapes(inS(0), this.ints(n.inputs[1]!)));
      case 'Shape': {
        const x = inS(0);
        const start = normAxis((a.start as number | undefined) ?? 0, x.length);
        const end = a.end === undefined ? x.length : normAxis(a.end as number, x.length);
        const v = x.slice(start, end);
        set([v.length], 0, 'int64');
        this.intValues.set(n.outputs[0]!, v);
        return;
      }
      case 'ConstantOfShape':
        return set(this.ints(n.inputs[0]!), 0, 'float32');
      case 'Pad': {
        const x = inS(0);
        const p = this.ints(n.inputs[1]!);
        return set(x.map((d, i) => d + p[i]! + p[i + x.length]!));
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax': {
        const x = inS(0);
        const axesRaw = n.op === 'ReduceSum' ? (n.inputs[1] ? this.ints(n.inputs[1]) : undefined) : (a.axes as number[] | undefined);
        const axes = (axesRaw ?? x.map((_, i) => i)).map((ax) => normAxis(ax, x.length));
        const keep = (a.keepdims as number | undefined) ?? 1;
        return set(keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i)));
      }
      case 'ArgMax': {
        const x = inS(0);
        const axis = normAxis((a.axis as number | undefined) ?? 0, x.length);
        const keep = (a.keepdims as number | undefined) ?? 1;
        return set(keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis), 0, 'int64');
      }
    }
    if (n.op === 'Cast') {
      const to = a.to as number;
      const elem: ElemType = to === 1 ? 'float32' : to === 7 ? 'int64' : to === 6 ? 'int32' : to === 9 ? 'bool' : 'uint8';
      return set(inS(0), 0, elem);
    }
    if (SAME_SHAPE.has(n.op)) return set(inS(0));
    if (BROADCAST.has(n.op)) {
      const shapes = n.inputs.map((_, i) => inS(i));
      const cmp = ['Equal', 'Greater', 'Less'].includes(n.op);
      return set(broadcastShapes(...shapes), 0, cmp ? 'bool' : this.elems.get(n.inputs[n.op === 'Where' ? 1 : 0]!));
    }
    throw new Error(`autodiff: no shape rule for ONNX op ${n.op}`);
  }
}

/** Conv / ConvTranspose attributes with ONNX's defaults: kernel from the weight, stride and dilation 1, no padding. */
function convAttributes(a: Record<string, unknown>, w: number[]): { k: number[]; st: number[]; dl: number[]; p: number[] } {
  const k = (a.kernel_shape as number[] | undefined) ?? w.slice(2);
  return {
    k,
    st: (a.strides as number[] | undefined) ?? k.map(() => 1),
    dl: (a.dilations as number[] | undefined) ?? k.map(() => 1),
    p: (a.pads as number[] | undefined) ?? [...k.map(() => 0), ...k.map(() => 0)],
  };
}
