import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { resizeLabelsNearest, segmentationLoss } from '../../app/engine/loss.js';
import { Rng } from '../../app/tensor/random.js';
import * as ref from '../helpers/ref64.js';
import { assertClose, numericGrad, randArray, toF64, useWasm } from '../helpers/tfTest.js';

before(async () => {
  await useWasm();
});

function randomCase(seed: number, B: number, h: number, w: number, C: number) {
  const rng = new Rng(seed);
  const logits = randArray(rng, B * h * w * C, 2);
  const labels = Int32Array.from({ length: B * h * w }, () => rng.int(C));
  return { logits, labels };
}

test('segmentationLoss equals a direct float64 computation of 0.2·CE + 0.8·Dice (SAMed), with and without class weights', () => {
  const B = 2, h = 5, w = 3, C = 4;
  const { logits, labels } = randomCase(1, B, h, w, C);
  for (const weights of [undefined, [0.5, 1, 2, 3]]) {
    const got = tf.tidy(() => {
      const r = segmentationLoss(tf.tensor4d(logits, [B, h, w, C]), tf.tensor3d(labels, [B, h, w], 'int32'), { classWeights: weights });
      return [r.loss.dataSync()[0], r.ce.dataSync()[0], r.dice.dataSync()[0]];
    });
    const want = ref.segLoss(logits, labels, C, 0.2, 0.8, weights);
    assertClose(got, [want.loss, want.ce, want.dice], `loss/ce/dice with weights ${weights}`, 1e-5, 1e-5);
  }
  const custom = tf.tidy(() => segmentationLoss(tf.tensor4d(logits, [B, h, w, C]), tf.tensor3d(labels, [B, h, w], 'int32'), { ceWeight: 1, diceWeight: 0 }).loss.dataSync()[0]);
  assertClose([custom], [ref.segLoss(logits, labels, C).ce], 'pure CE', 1e-5, 1e-5);
});

test('segmentationLoss gradient w.r.t. the logits matches float64 finite differences', () => {
  const B = 1, h = 3, w = 3, C = 3;
  const { logits, labels } = randomCase(2, B, h, w, C);
  const g = tf.tidy(() => tf.grad((x: tf.Tensor) => segmentationLoss(x as tf.Tensor4D, tf.tensor3d(labels, [B, h, w], 'int32')).loss)(tf.tensor4d(logits, [B, h, w, C])).dataSync());
  const [fd] = numericGrad(([x]) => ref.segLoss(x, labels, C).loss, [toF64(logits)]);
  assertClose(g, fd, 'dLoss/dlogits', 1e-5, 1e-3);
});

test('a confident correct prediction has near-zero loss; a confident wrong one a large loss', () => {
  const labels = Int32Array.from([0, 1, 2, 1]);
  const oneHot = (shift: number) => Float32Array.from({ length: 12 }, (_, i) => (Math.floor(i / 3) < 4 && i % 3 === (labels[Math.floor(i / 3)] + shift) % 3 ? 20 : -20));
  const lossOf = (l: Float32Array) => tf.tidy(() => segmentationLoss(tf.tensor4d(l, [1, 2, 2, 3]), tf.tensor3d(labels, [1, 2, 2], 'int32')).loss.dataSync()[0]);
  assert.ok(lossOf(oneHot(0)) < 1e-4, `correct: ${lossOf(oneHot(0))}`);
  assert.ok(lossOf(oneHot(1)) > 5, `wrong: ${lossOf(oneHot(1))}`);
});

test('segmentationLoss rejects labels out of range, mismatched shapes and float labels with clear errors', () => {
  const logits = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  assert.throws(() => segmentationLoss(logits, tf.tensor3d([0, 1, 2, 3], [1, 2, 2], 'int32')), /labels span 0\.\.3 but the logits have 3 classes/);
  assert.throws(() => segmentationLoss(logits, tf.zeros([1, 2, 3], 'int32') as tf.Tensor3D), /labels \(1,2,3\) do not match logits \(1,2,2,3\)/);
  assert.throws(() => segmentationLoss(logits, tf.zeros([1, 2, 2]) as tf.Tensor3D), /labels must be int32/);
  assert.throws(() => segmentationLoss(logits, tf.zeros([1, 2, 2], 'int32') as tf.Tensor3D, { classWeights: [1, 1] }), /2 class weights for 3 classes/);
});

test('resizeLabelsNearest samples like PyTorch nearest (floor(dst·in/out))', () => {
  // 4×4 with distinct values → 2×2 picks rows/cols 0 and 2.
  const m = Int32Array.from({ length: 16 }, (_, i) => i);
  assert.deepEqual([...resizeLabelsNearest(m, 4, 4, 2, 2)], [0, 2, 8, 10]);
  // Upsampling 2×2 → 4×4 repeats each value in 2×2 blocks.
  assert.deepEqual([...resizeLabelsNearest([1, 2, 3, 4], 2, 2, 4, 4)], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  assert.throws(() => resizeLabelsNearest([1, 2, 3], 2, 2, 4, 4), /3 values is not 2×2/);
});
