// PasamModel as a TrainableSegmenter: the tiny preset from scratch (shape, parameter counts),
// gradients that reach only the trainable set and agree with finite differences end to end, no
// tensor leaks across training steps, and the exportTrained/importTrained round trip.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { checkLargestGradients, pseudoRandom } from '../helpers/pasamTestUtils.js';

before(async () => {
  await initBackend();
});

/** Small-input tiny model (S = 112: a 7×7 grid, one window) for the costly checks. */
function smallTiny(seed = 1, config: Record<string, unknown> = {}): PasamModel {
  return PasamModel.fromScratch('tiny', { inputSize: 112, ...config }, { numClasses: 3, seed });
}

test('tiny preset from scratch: (B, 56, 56, K+1) logits at S = 224 and parameter counts', () => {
  const before = tf.memory().numTensors;
  const model = PasamModel.fromScratch('tiny', {}, { numClasses: 4, seed: 2 });
  const d = model.describe();
  assert.equal(d.kind, 'pasam');
  assert.equal(d.inputSize, 224);
  assert.equal(d.logitsSize, 56);
  assert.equal(d.numClasses, 4);
  const report = model.parameterReport();
  assert.equal(report.total, d.totalParams);
  assert.equal(report.trainable, d.trainableParams);
  assert.equal(report.groups.reduce((a, g) => a + g.total, 0), report.total);
  // From scratch everything trains except the fixed random-Fourier PE matrix (2 × C/2).
  assert.equal(d.totalParams - d.trainableParams, 64);
  assert.ok(d.totalParams > 700_000 && d.totalParams < 1_300_000, `tiny has ≈1M parameters, got ${d.totalParams}`);
  const sum = [...model.trainableVariables().values()].reduce((a, v) => a + v.size, 0);
  assert.equal(sum, d.trainableParams);
  const y = tf.tidy(() => model.forward(tf.zeros([2, 224, 224, 3]), { training: false }));
  assert.deepEqual(y.shape, [2, 56, 56, 4]);
  assert.ok(tf.tidy(() => tf.all(tf.isFinite(y)).dataSync()[0]) === 1);
  const labels = tf.tidy(() => model.predictLabels(tf.zeros([1, 224, 224, 3])));
  assert.deepEqual(labels.shape, [1, 56, 56]);
  tf.dispose([y, labels]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'dispose releases every tensor');
});

test('wrong image shapes and bad class counts are refused with clear messages', () => {
  const model = smallTiny();
  assert.throws(() => model.forward(tf.zeros([1, 96, 96, 3]) as tf.Tensor4D, { training: false }), /images must be \(B, 112, 112, 3\), got \(1, 96, 96, 3\)/);
  model.dispose();
  assert.throws(() => model.forward(tf.zeros([1, 112, 112, 3]) as tf.Tensor4D, { training: false }), /disposed/);
  assert.throws(() => PasamModel.fromScratch('tiny', {}, { numClasses: 1 }), /numClasses .* must be an integer ≥ 2, got 1/);
  assert.throws(() => PasamModel.fromScratch('tiny', { ipeg: { numHeads: 5 } }, { numClasses: 2 }), /ipeg\.numHeads 5 does not divide the prompt embedding dim 64/);
});

test('gradients reach every trainable variable and agree with finite differences through the whole model', () => {
  const model = smallTiny(3);
  const vars = model.trainableVariables();
  const x = pseudoRandom([1, 112, 112, 3], 5) as tf.Tensor4D;
  const w = pseudoRandom([1, 28, 28, 3], 6);
  // Make the LoRA branch of block 0 live (B = 0 would zero the gradients of A and the convs).
  const liveB = pseudoRandom([8, 288], 7, 0.2);
  vars.get('encoder.blocks.0.attn.qkv.lora.B')!.assign(liveB);
  // Likewise IPEG's zero-initialised last dense conv, which gates conv1's gradient.
  const liveConv = pseudoRandom([64, 64], 8, 0.1);
  vars.get('ipeg.dense.conv2.weight')!.assign(liveConv);
  tf.dispose([liveB, liveConv]);
  const loss = () => tf.tidy(() => tf.sum(tf.mul(model.forward(x, { training: true }), w)) as tf.Scalar);
  const names = [...vars.keys()];
  const { grads } = tf.variableGrads(loss, names.map((n) => vars.get(n)!));
  const missing = names.filter((n) => !grads[`${vars.get(n)!.name}`]);
  assert.deepEqual(missing, [], 'every trainable variable gets a gradient');
  const checks = ['encoder.blocks.0.attn.qkv.lora.A', 'encoder.blocks.0.attn.qkv.lora.mspca.k5.weight', 'encoder.blocks.1.attn.qkv.lora.B', 'ipeg.sparse.queries', 'ipeg.dense.conv1.weight', 'decoder.maskTokens'];
  const failures = checkLargestGradients(vars, grads, checks, loss);
  tf.dispose([x, w, ...Object.values(grads)]);
  model.dispose();
  assert.deepEqual(failures, []);
});

test('from scratch every group trains, the fixed positional-encoding matrix aside', () => {
  const model = smallTiny(4);
  const groups = new Map(model.parameterReport().groups.map((g) => [g.group, g]));
  for (const g of ['encoder', 'encoder.neck', 'encoder.lora', 'ipeg', 'decoder']) assert.ok(groups.get(g)!.trainable > 0, g);
  assert.equal(groups.get('prompt')!.trainable, 0);
  model.dispose();
});

test('repeated forward+backward steps do not leak tensors', () => {
  const model = smallTiny(5);
  const vars = [...model.trainableVariables().values()];
  const x = pseudoRandom([2, 112, 112, 3], 8) as tf.Tensor4D;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, { training: true }))) as tf.Scalar, vars);
    // A plain SGD update, as an optimiser would do.
    for (const v of vars) {
      const g = grads[v.name];
      if (!g) continue;
      const next = tf.tidy(() => tf.sub(v, tf.mul(g, 1e-3)));
      v.assign(next);
      next.dispose();
    }
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const after1 = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, after1);
  const y = model.predictClassLogits(x);
  y.dispose();
  assert.equal(tf.memory().numTensors, after1);
  x.dispose();
  model.dispose();
});

test('exportTrained/importTrained round trip restores the outputs; bad tensors are refused and change nothing', () => {
  const a = smallTiny(10);
  const b = smallTiny(11);
  const x = pseudoRandom([1, 112, 112, 3], 9) as tf.Tensor4D;
  const ya = a.predictClassLogits(x);
  const yb0 = b.predictClassLogits(x);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(ya, yb0))).dataSync()[0]) > 1e-3, 'different seeds give different models');
  const saved = a.exportTrained();
  assert.deepEqual([...saved.keys()].sort(), [...a.trainableVariables().keys()].sort());
  assert.ok([...saved.keys()].includes('encoder.blocks.3.attn.qkv.lora.A'));

  // A bad set is refused as a whole: b must be unchanged after the failed import.
  const bad = new Map(saved);
  bad.set('ipeg.sparse.queries', tf.zeros([2, 64]));
  bad.set('ipeg.extra', tf.zeros([1]));
  bad.delete('decoder.maskTokens');
  assert.throws(() => b.importTrained(bad), (err: unknown) => {
    const m = (err as Error).message;
    assert.match(m, /'ipeg\.sparse\.queries' has shape \[2,64\], the model needs \[8,64\]/);
    assert.match(m, /'ipeg\.extra' is not a trainable tensor of this model/);
    assert.match(m, /'decoder\.maskTokens' is missing/);
    return true;
  });
  const yb1 = b.predictClassLogits(x);
  assert.equal(tf.tidy(() => tf.max(tf.abs(tf.sub(yb0, yb1))).dataSync()[0]), 0);

  b.importTrained(saved);
  const yb2 = b.predictClassLogits(x);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(ya, yb2))).dataSync()[0]) < 1e-5, 'imported model reproduces the exported one');
  // The exported tensors are copies: changing the model afterwards leaves them intact.
  const q = a.trainableVariables().get('ipeg.sparse.queries')!;
  const before = saved.get('ipeg.sparse.queries')!.dataSync().slice();
  const zero = tf.zerosLike(q);
  q.assign(zero);
  zero.dispose();
  assert.deepEqual(saved.get('ipeg.sparse.queries')!.dataSync(), before);
  tf.dispose([x, ya, yb0, yb1, yb2, bad.get('ipeg.sparse.queries')!, bad.get('ipeg.extra')!, ...saved.values()]);
  a.dispose();
  b.dispose();
});
