// OnnxLayers for training graphs: a tensor the model trains becomes a graph input under its stable
// name (PasamModel.trainableVariables() keys) instead of an initializer; frozen tensors stay
// initializers. The exporters' layer code runs unchanged on top.
import type { tf } from '../../tensor/tf.js';
import { relPosOneHot } from '../../model/sam/relPos.js';
import { OnnxLayers, values } from '../onnxLayers.js';
import type { TrackedGraphBuilder } from '../autodiff/trackedGraph.js';
import type { Segment } from '../autodiff/recompute.js';
import { geluVjp } from '../autodiff/vjpRules.js';

export class TrainingLayers extends OnnxLayers {
  private readonly inputs = new Map<tf.Tensor, string>();
  /** Encoder blocks as forward node ranges (for recomputation in the backward pass). */
  readonly blocks: Segment[] = [];

  /** `trainable`: the model's trainable tensors → stable names. */
  constructor(
    readonly tb: TrackedGraphBuilder,
    private readonly trainable: Map<tf.Tensor, string>,
  ) {
    super(tb);
  }

  /** Stable names of the trainable tensors the graph reads, in first-use order. */
  get usedInputs(): string[] {
    return [...this.inputs.values()];
  }

  /** The graph input of a trainable tensor (declared on first use), or undefined for a frozen one. */
  private inputOf(t: tf.Tensor): string | undefined {
    const name = this.trainable.get(t);
    if (name === undefined) return undefined;
    let input = this.inputs.get(t);
    if (!input) {
      input = this.tb.input(name, t.shape);
      this.inputs.set(t, input);
    }
    return input;
  }

  override encoderBlockBoundary(_blockIndex: number, phase: 'start' | 'end', value: string): void {
    if (phase === 'start') this.blocks.push({ start: this.tb.ir.length, end: -1, input: value });
    else this.blocks[this.blocks.length - 1]!.end = this.tb.ir.length;
  }

  /** GELU as x·Φ(x) with one composite gradient rule (the MLPs' GELU is a tenth of a ViT training step). */
  override gelu(x: string): string {
    const u = this.mul(x, this.scalar(Math.SQRT1_2));
    const p = this.mul(this.add(this.b.op('Erf', [u]), this.scalar(1)), this.scalar(0.5));
    const y = this.mul(x, p);
    this.tb.composites.set(y, geluVjp(x, u, p));
    return y;
  }

  override tensor(prefix: string, t: tf.Tensor, perm?: number[]): string {
    const input = this.inputOf(t);
    if (input === undefined) return super.tensor(prefix, t, perm);
    return perm ? this.transpose(input, perm) : input;
  }

  override tensorAs(prefix: string, t: tf.Tensor, dims: number[]): string {
    const input = this.inputOf(t);
    if (input === undefined) return super.tensorAs(prefix, t, dims);
    return this.reshape(input, dims);
  }

  override tableColumns(prefix: string, table: tf.Tensor2D, idxs: Int32Array): string {
    const input = this.inputOf(table);
    if (input === undefined) return super.tableColumns(prefix, table, idxs);
    // The lookup as a product with a constant one-hot [cols, idxs] matrix: its gradient is one MatMul.
    const cols = table.shape[1];
    const onehot = new Float32Array(cols * idxs.length);
    idxs.forEach((c, j) => {
      if (!(c >= 0 && c < cols)) throw new Error(`training graph: column ${c} of a ${cols}-column table`);
      onehot[c * idxs.length + j] = 1;
    });
    return this.matMul(input, this.b.weight(`${prefix}_onehot`, onehot, [cols, idxs.length]));
  }

  override relPosTable(side: number, rel: tf.Tensor2D, prefix: string): string {
    const input = this.inputOf(rel);
    if (input === undefined) return super.relPosTable(side, rel, prefix);
    const [len, hd] = rel.shape;
    if (len !== 2 * side - 1) throw new Error(`training graph: rel-pos table of ${len} rows for a side of ${side} (the model should have resized it)`);
    // The lookup as a product with a constant one-hot table, so its gradient is one MatMul.
    const onehot = relPosOneHot(side, side);
    let table: string;
    try {
      table = this.b.weight(`${prefix}_onehot`, values(onehot), [side * side, len]);
    } finally {
      onehot.dispose();
    }
    return this.transpose(this.reshape(this.matMul(table, input), [side, side, hd]), [0, 2, 1]);
  }
}
