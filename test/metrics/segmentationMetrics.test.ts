import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { ConfusionMatrix, computeMetrics } from '../../app/metrics/segmentationMetrics.js';
import { accumulateLogits, classMapsFromLogits, contentSize } from '../../app/metrics/evaluateLogits.js';
import { resizeLabelsNearest } from '../../app/engine/loss.js';
import { assertClose, useWasm } from '../helpers/tfTest.js';

before(async () => {
  await useWasm();
});

test('per-class IoU/Dice, means with and without background, pixel accuracy: hand-computed case', () => {
  const cm = new ConfusionMatrix(4);
  cm.add([0, 1, 1, 1, 2, 0, 0, 2], [0, 0, 1, 1, 2, 2, 0, 1]);
  const m = computeMetrics(cm, ['background', 'inclusion', 'patches', 'scratches']);
  assert.deepEqual(m.perClass.map((c) => [c.tp, c.fp, c.fn, c.support]), [[2, 1, 1, 3], [2, 1, 1, 3], [1, 1, 1, 2], [0, 0, 0, 0]]);
  assertClose(m.perClass.slice(0, 3).map((c) => c.iou!), [0.5, 0.5, 1 / 3], 'IoU', 1e-12);
  assertClose(m.perClass.slice(0, 3).map((c) => c.dice!), [2 / 3, 2 / 3, 0.5], 'Dice', 1e-12);
  // Class 3 is absent from both: null and excluded from every mean.
  assert.equal(m.perClass[3].iou, null);
  assert.equal(m.perClass[3].dice, null);
  assertClose([m.mIoU!, m.mDice!, m.mIoUDefects!, m.mDiceDefects!, m.pixelAccuracy!], [4 / 9, 11 / 18, 5 / 12, 7 / 12, 5 / 8], 'means', 1e-12);
  assert.equal(m.pixels, 8);
  assert.equal(m.perClass[2].name, 'patches');
});

test('dataset-level accumulation equals scoring all pixels at once; ignore index and bad classes', () => {
  const pred = [0, 1, 1, 2, 2, 0, 1, 1, 0];
  const gt = [0, 1, 2, 2, 2, 1, 1, 0, 0];
  const whole = new ConfusionMatrix(3);
  whole.add(pred, gt);
  const parts = new ConfusionMatrix(3);
  parts.add(pred.slice(0, 4), gt.slice(0, 4));
  const other = new ConfusionMatrix(3);
  other.add(pred.slice(4), gt.slice(4));
  parts.merge(other);
  assert.deepEqual(parts.toJSON(), whole.toJSON());
  // Dataset-level IoU is not the mean of per-image IoUs: class 1 here.
  const m = computeMetrics(whole);
  assert.equal(m.perClass[1].iou, 2 / 5);

  const ign = new ConfusionMatrix(3, 255);
  ign.add([0, 1, 2], [0, 255, 2]);
  assert.equal(computeMetrics(ign).pixels, 2);
  assert.equal(computeMetrics(ign).mIoU, 1);
  assert.throws(() => ign.add([0, 3], [0, 1], 'img_007.png'), /img_007\.png: predicted class 3 at pixel 1 is outside 0\.\.2/);
  assert.throws(() => ign.add([0, 1], [0, 5], 'img_008.png'), /img_008\.png: ground-truth class 5 at pixel 1/);
  assert.throws(() => ign.add([0], [0, 1], 'img_009.png'), /img_009\.png: prediction has 1 pixels, ground truth 2/);
  // A class only ever predicted scores 0 (not null); empty matrices give null means.
  const fpOnly = new ConfusionMatrix(3);
  fpOnly.add([2, 0], [0, 0]);
  assert.equal(computeMetrics(fpOnly).perClass[2].iou, 0);
  assert.equal(computeMetrics(new ConfusionMatrix(2)).mIoU, null);
});

test('contentSize follows SAM ResizeLongestSide (longest side → S, int(x + 0.5))', () => {
  assert.deepEqual(contentSize({ height: 100, width: 200 }, 1024), { height: 512, width: 1024 });
  assert.deepEqual(contentSize({ height: 200, width: 200 }, 256), { height: 256, width: 256 });
  assert.deepEqual(contentSize({ height: 3, width: 5 }, 8), { height: 5, width: 8 }); // 4.8 → 5
  assert.deepEqual(contentSize({ height: 5, width: 16 }, 8), { height: 3, width: 8 }); // 2.5 → 3
});

test('class maps come back at the original resolution with the padding cropped away', () => {
  // A 100×200 image in a 64×64 input fills the top 32 rows; the logits (16×16 = S/4) say class 1
  // over the image and class 2 over the padding. Without the crop, the lower half would be class 2.
  const S = 64, h = 16, C = 3;
  const logits = new Float32Array(h * h * C);
  for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) logits[(y * h + x) * C + (y < 8 ? 1 : 2)] = 5;
  const [map] = tf.tidy(() => classMapsFromLogits(tf.tensor4d(logits, [1, h, h, C]), S, [{ height: 100, width: 200 }]));
  assert.equal(map.length, 100 * 200);
  assert.ok(map.every((c) => c === 1), 'only the image region is scored');
});

test('a 2-pixel scratch at 200×200 survives low-res logits → S×S → crop → original size → argmax', () => {
  // Ground truth: a vertical scratch (class 3) in columns 99–100, rows 20–179, and a patch (class 2).
  const H = 200, S = 256, h = S / 4, C = 4;
  const gt = new Uint8Array(H * H);
  for (let y = 20; y < 180; y++) gt[y * H + 99] = gt[y * H + 100] = 3;
  for (let y = 30; y < 60; y++) for (let x = 20; x < 60; x++) gt[y * H + x] = 2;
  // What a perfectly trained decoder outputs: one-hot logits of the label resized nearest to the
  // logits grid (the training target, PA-SAM.md §2).
  const low = resizeLabelsNearest(gt, H, H, h, h);
  const logits = new Float32Array(h * h * C);
  low.forEach((c, i) => (logits[i * C + c] = 8));
  const cm = new ConfusionMatrix(C);
  const [map] = tf.tidy(() => accumulateLogits(cm, tf.tensor4d(logits, [1, h, h, C]), S, [{ height: H, width: H, mask: gt, name: 'scratch.png' }]));
  assert.equal(map.length, H * H);
  for (let y = 24; y < 176; y++) {
    const cols = [];
    for (let x = 0; x < H; x++) if (map[y * H + x] === 3) cols.push(x);
    assert.ok(cols.length >= 1 && cols.length <= 4, `row ${y}: scratch ${cols.length} px wide`);
    assert.ok(cols.every((x) => x >= 97 && x <= 103), `row ${y}: scratch at ${cols}`);
  }
  const m = computeMetrics(cm);
  // PyTorch-nearest label resizing samples each cell's top-left pixel, which shifts the 1-cell-wide
  // scratch target ~1.5 px right; the map still overlaps the true scratch in every row.
  assert.ok(m.perClass[3].iou! > 0.2, `scratch IoU ${m.perClass[3].iou}`);
  assert.ok(m.perClass[2].iou! > 0.8, `patch IoU ${m.perClass[2].iou}`);
  assert.throws(() => classMapsFromLogits(tf.zeros([2, 4, 4, 2]) as tf.Tensor4D, 16, [{ height: 4, width: 4 }]), /1 image sizes for a batch of 2/);
});
