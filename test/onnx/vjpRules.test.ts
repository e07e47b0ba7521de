// Every VJP rule against central finite differences of the same ONNX graph run by ONNX Runtime:
// for each op, a graph L = Σ R ⊙ op(inputs) (R a fixed random weighting) is differentiated by
// autodiff/backward.ts and ORT's gradient is compared with (L(x + εe_i) − L(x − εe_i)) / 2ε at
// several elements of every differentiable input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { TrackedGraphBuilder } from '../../app/onnx/autodiff/trackedGraph.js';
import { differentiate } from '../../app/onnx/autodiff/backward.js';
import { VJP_RULES } from '../../app/onnx/autodiff/vjpRules.js';
import { OnnxLayers } from '../../app/onnx/onnxLayers.js';
import { TrainingLayers } from '../../app/onnx/training/trainingLayers.js';
import { pseudoRandom } from '../helpers/pasamTestUtils.js';

function rand(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const t = pseudoRandom([n], seed, scale);
  const v = Float32Array.from(t.dataSync() as Float32Array, (x) => x + offset);
  t.dispose();
  return v;
}

interface OpCase {
  name: string;
  /** Differentiable inputs: shapes (values random, optionally positive). */
  inputs: { shape: number[]; positive?: boolean }[];
  build: (b: TrackedGraphBuilder, l: OnnxLayers, xs: string[]) => string;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

const CASES: OpCase[] = [
  { name: 'MatMul (…,K)·(K,N) weight', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (b, _l, [x, w]) => b.op('MatMul', [x!, w!]) },
  { name: 'MatMul batched with broadcast', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], build: (b, _l, [x, w]) => b.op('MatMul', [x!, w!]) },
  { name: 'MatMul constant (M,K) left', inputs: [{ shape: [2, 4, 3] }], build: (b, _l, [x]) => b.op('MatMul', [b.weight('m', rand(20, 7), [5, 4]), x!]) },
  { name: 'Gemm transA', inputs: [{ shape: [4, 3] }, { shape: [4, 5] }], build: (b, _l, [a, c]) => b.op('Gemm', [a!, c!], { transA: 1 }) },
  { name: 'Gemm transB', inputs: [{ shape: [3, 4] }, { shape: [5, 4] }], build: (b, _l, [a, c]) => b.op('Gemm', [a!, c!], { transB: 1 }) },
  { name: 'Add broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: (b, _l, [x, y]) => b.op('Add', [x!, y!]) },
  { name: 'Sub broadcast', inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }], build: (b, _l, [x, y]) => b.op('Sub', [x!, y!]) },
  { name: 'Mul broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [1, 3, 1] }], build: (b, _l, [x, y]) => b.op('Mul', [x!, y!]) },
  { name: 'Div broadcast', inputs: [{ shape: [2, 3] }, { shape: [3], positive: true }], build: (b, _l, [x, y]) => b.op('Div', [x!, y!]) },
  { name: 'Neg', inputs: [{ shape: [3, 4] }], build: (b, _l, [x]) => b.op('Neg', [x!]) },
  { name: 'Reshape', inputs: [{ shape: [2, 6] }], build: (_b, l, [x]) => l.reshape(x!, [3, -1, 2]) },
  { name: 'Unsqueeze', inputs: [{ shape: [2, 3] }], build: (_b, l, [x]) => l.unsqueeze(x!, [1]) },
  { name: 'Transpose', inputs: [{ shape: [2, 3, 4] }], build: (_b, l, [x]) => l.transpose(x!, [2, 0, 1]) },
  { name: 'Softmax', inputs: [{ shape: [2, 5] }], build: (b, _l, [x]) => b.op('Softmax', [x!], { axis: -1 }) },
  { name: 'LogSoftmax axis 1', inputs: [{ shape: [2, 4, 3] }], build: (b, _l, [x]) => b.op('LogSoftmax', [x!], { axis: 1 }) },
  { name: 'LayerNormalization', inputs: [{ shape: [3, 6] }, { shape: [6] }, { shape: [6] }], build: (b, _l, [x, g, be]) => b.op('LayerNormalization', [x!, g!, be!], { axis: -1, epsilon: 1e-5 }) },
  { name: 'Erf (GELU)', inputs: [{ shape: [3, 4] }], build: (_b, l, [x]) => l.gelu(x!) },
  { name: 'GELU composite (training layers)', inputs: [{ shape: [3, 4] }], build: (b, _l, [x]) => new TrainingLayers(b, new Map()).gelu(x!) },
  { name: 'Relu', inputs: [{ shape: [4, 5] }], build: (_b, l, [x]) => l.relu(x!) },
  { name: 'Exp', inputs: [{ shape: [3, 3] }], build: (b, _l, [x]) => b.op('Exp', [x!]) },
  { name: 'Log', inputs: [{ shape: [3, 3], positive: true }], build: (b, _l, [x]) => b.op('Log', [x!]) },
  { name: 'Sqrt', inputs: [{ shape: [3, 3], positive: true }], build: (b, _l, [x]) => b.op('Sqrt', [x!]) },
  { name: 'Reciprocal', inputs: [{ shape: [3, 3], positive: true }], build: (b, _l, [x]) => b.op('Reciprocal', [x!]) },
  { name: 'Pow', inputs: [{ shape: [3, 3], positive: true }], build: (b, l, [x]) => b.op('Pow', [x!, l.scalar(3)]) },
  { name: 'Conv stride 2 pad 1', inputs: [{ shape: [2, 3, 7, 7] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], build: (b, _l, [x, w, c]) => b.op('Conv', [x!, w!, c!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: 'Conv patchify (k = stride)', inputs: [{ shape: [1, 2, 8, 8] }, { shape: [3, 2, 4, 4] }], build: (b, _l, [x, w]) => b.op('Conv', [x!, w!], { kernel_shape: [4, 4], strides: [4, 4] }) },
  { name: 'Conv same 5×5', inputs: [{ shape: [3, 2, 5, 5] }, { shape: [2, 2, 5, 5] }], build: (b, _l, [x, w]) => b.op('Conv', [x!, w!], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }) },
  { name: 'Conv depth-wise (group = C) 3×3 pad 1', inputs: [{ shape: [2, 4, 6, 6] }, { shape: [4, 1, 3, 3] }, { shape: [4] }], build: (b, _l, [x, w, c]) => b.op('Conv', [x!, w!, c!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 4 }) },
  { name: 'Conv depth-wise (group = C) stride 2 pad 1, odd size', inputs: [{ shape: [2, 3, 7, 7] }, { shape: [3, 1, 3, 3] }], build: (b, _l, [x, w]) => b.op('Conv', [x!, w!], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 3 }) },
  { name: 'Conv grouped (2 groups, input only)', inputs: [{ shape: [1, 4, 5, 5] }], build: (b, _l, [x]) => b.op('Conv', [x!, b.weight('gw', rand(6 * 2 * 9, 5), [6, 2, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 }) },
  { name: 'ConvTranspose 2×2 stride 2', inputs: [{ shape: [2, 3, 3, 3] }, { shape: [3, 2, 2, 2] }, { shape: [2] }], build: (b, _l, [x, w, c]) => b.op('ConvTranspose', [x!, w!, c!], { kernel_shape: [2, 2], strides: [2, 2] }) },
  { name: 'Gather one index', inputs: [{ shape: [3, 2, 4] }], build: (_b, l, [x]) => l.concat([l.unsqueeze(l.gather(x!, 0, 0), [0]), l.unsqueeze(l.gather(x!, 2, 0), [0])], 0) },
  { name: 'Slice one axis', inputs: [{ shape: [2, 6] }], build: (_b, l, [x]) => l.slice(x!, [1], [4], [1]) },
  { name: 'Slice two axes', inputs: [{ shape: [5, 6] }], build: (_b, l, [x]) => l.slice(x!, [1, 2], [4, 5], [0, 1]) },
  { name: 'Concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (_b, l, [x, y]) => l.concat([x!, y!, x!], 1) },
  { name: 'Pad', inputs: [{ shape: [2, 3] }], build: (b, l, [x]) => b.op('Pad', [x!, l.ints([0, 1, 2, 0])], { mode: 'constant' }) },
  { name: 'Expand', inputs: [{ shape: [1, 3] }], build: (b, l, [x]) => b.op('Expand', [x!, l.ints([4, 3])]) },
  { name: 'ReduceSum', inputs: [{ shape: [2, 3, 4] }], build: (b, l, [x]) => b.op('ReduceSum', [x!, l.ints([0, 2])], { keepdims: 0 }) },
  { name: 'ReduceMean', inputs: [{ shape: [2, 3, 4] }], build: (b, _l, [x]) => b.op('ReduceMean', [x!], { axes: [1], keepdims: 1 }) },
];

test('every VJP rule has a finite-difference test', () => {
  const tested = new Set(CASES.map((c) => c.name.split(' ')[0]!));
  const nonDiff = ['Equal', 'Greater', 'Cast', 'Shape', 'ConstantOfShape', 'ArgMax', 'Identity', 'Squeeze'];
  for (const op of Object.keys(VJP_RULES)) if (!nonDiff.includes(op)) assert.ok(tested.has(op) || (op === 'Erf' && tested.has('Erf')), `no test for ${op}`);
});

for (const [k, c] of CASES.entries()) {
  test(`VJP ${c.name} equals finite differences through ONNX Runtime`, async () => {
    const b = new TrackedGraphBuilder('vjp');
    const l = new OnnxLayers(b);
    const xs = c.inputs.map((inp, i) => b.input(`x${i}`, inp.shape));
    const y = c.build(b, l, xs);
    const r = b.weight('r', rand(size(b.shape(y)), 1000 + k), b.shape(y));
    const loss = b.op('ReduceSum', [b.op('Mul', [y, r]), l.ints([])], { keepdims: 0, noop_with_empty_axes: 0 });
    const grads = differentiate(b, l, { loss, sources: xs });
    b.op('Identity', [loss], {}, 'loss');
    b.output('loss', []);
    xs.forEach((x, i) => {
      b.op('Identity', [grads.get(x)!], {}, `g${i}`);
      b.output(`g${i}`, c.inputs[i]!.shape);
    });
    const session = await ort.InferenceSession.create(b.serialize(), { graphOptimizationLevel: 'all' });
    const values = c.inputs.map((inp, i) => rand(size(inp.shape), 17 * (k + 1) + i, inp.positive ? 0.5 : 1, inp.positive ? 1 : 0));
    const run = async (vals: Float32Array[]) => session.run(Object.fromEntries(vals.map((v, i) => [`x${i}`, new ort.Tensor('float32', v, c.inputs[i]!.shape)])));
    const base = await run(values);
    const eps = 1e-2;
    for (let i = 0; i < values.length; i++) {
      const g = base[`g${i}`]!.data as Float32Array;
      assert.equal(g.length, values[i]!.length);
      const n = values[i]!.length;
      for (const idx of [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1]) {
        const at = async (d: number) => {
          const vs = values.map((v) => Float32Array.from(v));
          vs[i]![idx]! += d;
          return ((await run(vs)).loss!.data as Float32Array)[0]!;
        };
        const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        assert.ok(Math.abs(fd - g[idx]!) <= 3e-3 + 1e-2 * Math.abs(fd), `${c.name}: input ${i}[${idx}] analytic ${g[idx]} vs finite difference ${fd}`);
      }
    }
    await session.release();
  });
}
