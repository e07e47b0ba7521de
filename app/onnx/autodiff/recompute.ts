// Gradient checkpointing for the reverse sweep: the forward graph keeps only each segment's input
// (an encoder block's residual stream); when the sweep reaches a segment, its forward nodes are
// emitted again from that input and the segment's gradient rules read the recomputed values, so
// ONNX Runtime frees the original internals right after the forward pass.
// The recomputation's input is the block input plus zero times one element of the incoming
// gradient: that data dependency keeps ORT from scheduling the copy early or merging it with the
// forward nodes (common-subexpression elimination), without changing any value.
import type { TrackedGraphBuilder } from './trackedGraph.js';
import type { OnnxLayers } from '../onnxLayers.js';

export interface Segment {
  /** Forward node indices [start, end). */
  start: number;
  end: number;
  /** The value the segment is recomputed from. */
  input: string;
}

export function recomputeHooks(b: TrackedGraphBuilder, layers: OnnxLayers, segments: Segment[]): { beforeNode: (index: number, dy: (string | undefined)[]) => void; remap: (name: string) => string } {
  const maps = new Map<Segment, Map<string, string>>();
  let current: Map<string, string> | undefined;
  const beforeNode = (index: number, dy: (string | undefined)[]) => {
    const seg = segments.find((s) => index >= s.start && index < s.end);
    if (!seg) {
      current = undefined;
      return;
    }
    let map = maps.get(seg);
    if (!map) {
      map = new Map();
      const g = dy.find((d) => d !== undefined)!;
      const rank = b.shape(g).length;
      const one = b.op('Slice', [g, layers.ints(new Array(rank).fill(0)), layers.ints(new Array(rank).fill(1)), layers.ints([...Array(rank).keys()])]);
      map.set(seg.input, b.op('Add', [seg.input, b.op('Mul', [one, layers.scalar(0)])]));
      const forward = b.ir.slice(seg.start, seg.end);
      for (const n of forward) {
        const inputs = n.inputs.map((x) => map!.get(x) ?? x);
        const outputs = n.outputs.map((o) => b.fresh(`re_${o}`));
        b.node(n.op, inputs, n.attrs, outputs);
        n.outputs.forEach((o, k) => map!.set(o, outputs[k]!));
      }
      maps.set(seg, map);
    }
    current = map;
  };
  return { beforeNode, remap: (name) => current?.get(name) ?? name };
}
