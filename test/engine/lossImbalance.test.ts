// Imbalance options of the segmentation loss, checked against values computed by hand in plain JS:
// focal CE, Dice over the classes present only, class-weighted CE.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { segmentationLoss } from '../../app/engine/loss.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

const L = [
  [2, 0, -1],
  [0.5, 1.5, 0],
  [1, 1, 1],
  [-2, 3, 0.2],
];
const Y = [0, 1, 0, 1];

function softmax(r: number[]): number[] {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b);
  return e.map((v) => v / s);
}

function run(opts: Parameters<typeof segmentationLoss>[2]): { ce: number; dice: number } {
  return tf.tidy(() => {
    const r = segmentationLoss(tf.tensor4d(L.flat(), [1, 2, 2, 3]), tf.tensor3d(Y, [1, 2, 2], 'int32'), opts);
    return { ce: r.ce.dataSync()[0]!, dice: r.dice.dataSync()[0]! };
  });
}

test('focal CE and class-weighted CE match hand-computed values', () => {
  const p = L.map(softmax);
  const focal = p.map((q, i) => (1 - q[Y[i]!]!) ** 2 * -Math.log(q[Y[i]!]!)).reduce((a, b) => a + b) / 4;
  assert.ok(Math.abs(run({ focalGamma: 2 }).ce - focal) < 1e-5);
  const plain = p.map((q, i) => -Math.log(q[Y[i]!]!)).reduce((a, b) => a + b) / 4;
  assert.ok(Math.abs(run({}).ce - plain) < 1e-5);
  const w = [0.5, 3, 1];
  const weighted = p.map((q, i) => w[Y[i]!]! * -Math.log(q[Y[i]!]!)).reduce((a, b) => a + b) / Y.reduce((a, y) => a + w[y]!, 0);
  assert.ok(Math.abs(run({ classWeights: w }).ce - weighted) < 1e-5);
});

test('Dice over present classes only leaves out the absent class 2', () => {
  const p = L.map(softmax);
  const dice = (c: number): number => {
    let inter = 0;
    let z = 0;
    let y = 0;
    p.forEach((q, i) => {
      const g = Y[i] === c ? 1 : 0;
      inter += q[c]! * g;
      z += q[c]! ** 2;
      y += g;
    });
    return 1 - (2 * inter + 1e-5) / (z + y + 1e-5);
  };
  assert.ok(Math.abs(run({ dicePresentOnly: true }).dice - (dice(0) + dice(1)) / 2) < 1e-5);
  assert.ok(Math.abs(run({}).dice - (dice(0) + dice(1) + dice(2)) / 3) < 1e-5);
});
