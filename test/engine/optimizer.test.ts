import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { AdamW, GradientAccumulator, clipByGlobalNorm, defaultDecayFilter } from '../../app/engine/optimizer.js';
import { lrAt, warmupSteps } from '../../app/engine/schedule.js';
import { assertClose, useWasm } from '../helpers/tfTest.js';

before(async () => {
  await useWasm();
});

/** PyTorch AdamW in float64 for one parameter vector. */
function adamw64(p: number[], grads: number[][], lrs: number[], wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  p = p.slice();
  grads.forEach((g, t) => {
    const lr = lrs[t];
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mh = m[i] / (1 - b1 ** (t + 1));
      const vh = v[i] / (1 - b2 ** (t + 1));
      p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

test('AdamW steps equal a hand computation (decoupled decay on weights, none on biases)', () => {
  const w = tf.variable(tf.tensor2d([[1, -2], [0.5, 3]]), true, 'adamw.hand.w');
  const b = tf.variable(tf.tensor1d([0.25, -1]), true, 'adamw.hand.b');
  const opt = new AdamW({ 'blocks.0.lora.weight': w, 'blocks.0.lora.bias': b }, { weightDecay: 0.1 });
  assert.equal(opt.hasWeightDecay('blocks.0.lora.weight'), true);
  assert.equal(opt.hasWeightDecay('blocks.0.lora.bias'), false);
  const gw = [[0.5, 0.1, -0.3, 2], [-0.2, 0.4, 0.1, 1]];
  const gb = [[1, -1], [0.5, 0.5]];
  const lrs = [0.1, 0.05];
  for (let t = 0; t < 2; t++) {
    tf.tidy(() => opt.applyGradients({ 'blocks.0.lora.weight': tf.tensor2d(gw[t], [2, 2]), 'blocks.0.lora.bias': tf.tensor1d(gb[t]) }, lrs[t]));
  }
  assert.equal(opt.step, 2);
  assertClose(w.dataSync(), adamw64([1, -2, 0.5, 3], gw, lrs, 0.1), 'weights', 1e-6, 1e-6);
  assertClose(b.dataSync(), adamw64([0.25, -1], gb, lrs, 0), 'biases (no decay)', 1e-6, 1e-6);
  opt.dispose();
  tf.dispose([w, b]);
});

test('AdamW state saved after 3 steps and restored into a fresh optimiser continues identically', () => {
  const grads = (t: number) => ({ a: tf.tensor2d([[Math.sin(t), Math.cos(t)], [t * 0.1, -0.5]]), c: tf.tensor1d([0.3 * t, -0.2]) });
  const make = (init?: { a: Float32Array; c: Float32Array }) => {
    const a = tf.variable(init ? tf.tensor2d(init.a, [2, 2]) : tf.tensor2d([[1, 2], [3, 4]]));
    const c = tf.variable(init ? tf.tensor1d(init.c) : tf.tensor1d([5, 6]));
    return { vars: { a, c }, opt: new AdamW({ a, c }, { weightDecay: 0.05 }) };
  };
  const run = (o: AdamW, from: number, to: number) => {
    for (let t = from; t < to; t++) tf.tidy(() => o.applyGradients(grads(t), 0.01 * (t + 1)));
  };
  const A = make();
  run(A.opt, 0, 3);
  const state = A.opt.getState();
  const snapshot = { a: A.vars.a.dataSync() as Float32Array, c: A.vars.c.dataSync() as Float32Array };
  // The state is plain arrays: survives a JSON-free copy like a checkpoint would make.
  const copied = { step: state.step, m: { a: Float32Array.from(state.m.a), c: Float32Array.from(state.m.c) }, v: { a: Float32Array.from(state.v.a), c: Float32Array.from(state.v.c) } };
  run(A.opt, 3, 6);
  const B = make(snapshot);
  B.opt.setState(copied);
  assert.equal(B.opt.step, 3);
  run(B.opt, 3, 6);
  assert.deepEqual([...B.vars.a.dataSync()], [...A.vars.a.dataSync()]);
  assert.deepEqual([...B.vars.c.dataSync()], [...A.vars.c.dataSync()]);
  // A fresh optimiser WITHOUT the state diverges (bias correction restarts), so the test can fail.
  const C = make(snapshot);
  run(C.opt, 3, 6);
  assert.notDeepEqual([...C.vars.a.dataSync()], [...A.vars.a.dataSync()]);
  assert.throws(() => C.opt.setState({ step: 1, m: { a: new Float32Array(4) }, v: { a: new Float32Array(4) } }), /has no 'm' for parameter 'c'/);
  assert.throws(() => C.opt.setState({ step: 1, m: { a: new Float32Array(3), c: new Float32Array(2) }, v: { a: new Float32Array(4), c: new Float32Array(2) } }), /'m' of 'a' has 3 values, the parameter 4/);
  for (const x of [A, B, C]) {
    x.opt.dispose();
    tf.dispose(Object.values(x.vars));
  }
});

test('defaultDecayFilter skips rank-1 parameters, norms, embeddings, tokens and queries', () => {
  assert.equal(defaultDecayFilter('image_encoder.blocks.0.attn.qkv.lora_A', [8, 768]), true);
  assert.equal(defaultDecayFilter('mask_decoder.iou_token', [1, 256]), false);
  assert.equal(defaultDecayFilter('mask_decoder.mask_tokens', [4, 256]), false);
  assert.equal(defaultDecayFilter('ipeg.queries', [8, 256]), false);
  assert.equal(defaultDecayFilter('pos_embed', [1, 64, 64, 768]), false);
  assert.equal(defaultDecayFilter('ipeg.dense.norm.weight', [256]), false);
  assert.equal(defaultDecayFilter('mask_decoder.output_upscaling.0.bias', [64]), false);
});

test('gradient accumulation over two micro-batches equals the full-batch gradient of a mean loss', () => {
  const w = tf.variable(tf.tensor2d([[0.5], [-1], [2]]), true, 'accum.w');
  const x = tf.tensor2d([[1, 2, 3], [0, -1, 1], [2, 2, 0], [1, 0, -3]]);
  const y = tf.tensor2d([[1], [0], [2], [-1]]);
  const lossOn = (xs: tf.Tensor2D, ys: tf.Tensor2D) => () => tf.mean(tf.square(tf.sub(tf.matMul(xs, w), ys))) as tf.Scalar;
  const full = tf.variableGrads(lossOn(x, y));
  const acc = new GradientAccumulator();
  for (const [b, n] of [[0, 2], [2, 2]]) {
    const g = tf.variableGrads(lossOn(x.slice(b, n) as tf.Tensor2D, y.slice(b, n) as tf.Tensor2D));
    g.value.dispose();
    acc.add(g.grads);
  }
  assert.equal(acc.count, 2);
  const mean = acc.take();
  assertClose(mean[w.name].dataSync(), full.grads[w.name].dataSync(), 'accumulated mean gradient', 1e-6, 1e-6);
  assert.equal(acc.count, 0);
  assert.throws(() => acc.take(), /nothing accumulated/);
  tf.dispose([w, x, y, full.value, ...Object.values(full.grads), ...Object.values(mean)]);
});

test('clipByGlobalNorm scales to the max norm and reports the norm before clipping', () => {
  const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  const { grads, norm } = clipByGlobalNorm(g, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6, `norm ${norm}`);
  assertClose([...grads.a.dataSync(), ...grads.b.dataSync()], [0.6, 0, 0, 0.8], 'clipped', 1e-5);
  const untouched = clipByGlobalNorm(g, 10);
  assertClose([...untouched.grads.a.dataSync()], [3, 0], 'under the limit', 1e-6);
  tf.dispose([...Object.values(g), ...Object.values(grads), ...Object.values(untouched.grads)]);
});

test('lr schedule: linear warm-up over 5 % of the steps, then poly 0.9 decay to 0', () => {
  const s = { baseLr: 5e-4, totalSteps: 100 };
  assert.equal(warmupSteps(s), 5);
  assertClose([lrAt(0, s), lrAt(2, s), lrAt(4, s)], [1e-4, 3e-4, 5e-4], 'warm-up', 1e-12);
  assert.equal(lrAt(5, s), 5e-4);
  assertClose([lrAt(50, s)], [5e-4 * (1 - 45 / 95) ** 0.9], 'poly', 1e-12);
  assert.equal(lrAt(100, s), 0);
  for (let t = 6; t < 100; t++) assert.ok(lrAt(t, s) < lrAt(t - 1, s), `decreasing at ${t}`);
  assert.equal(warmupSteps({ ...s, warmupFraction: 0 }), 0);
  assert.equal(lrAt(0, { ...s, warmupFraction: 0 }), 5e-4);
  assert.throws(() => lrAt(0, { baseLr: 1, totalSteps: 0 }), /totalSteps must be positive/);
});
