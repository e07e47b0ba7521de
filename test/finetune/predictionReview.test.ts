// The per-image IoU of the annotator's ground-truth-vs-prediction view, on real NEU-Seg masks:
// every number is checked against a direct count of intersection and union pixels, a class in
// neither mask is null ("—" in the UI) and stays out of the means, a class only predicted scores 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMaskPng } from '../../app/images/imageIO.js';
import { imageIoU } from '../../app/finetune/predictionReview.js';
import { NEU_CLASSES, NEU_DIR } from '../helpers/neuProject.js';

const NAMES = ['background', ...NEU_CLASSES];

async function neuMask(id: string): Promise<Uint8Array> {
  const path = join(NEU_DIR, 'masks', `${id}.png`);
  const m = await decodeMaskPng(readFileSync(path), path);
  assert.deepEqual([m.width, m.height], [200, 200]);
  return m.data;
}

/** IoU of class c counted pixel by pixel; null where the class is in neither mask. */
function countedIoU(truth: Uint8Array, pred: Uint8Array, c: number): number | null {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] === c;
    const p = pred[i] === c;
    if (t && p) inter++;
    if (t || p) union++;
  }
  return union === 0 ? null : inter / union;
}

function mean(v: (number | null)[]): number | null {
  const s = v.filter((x): x is number => x !== null);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
}

function assertCounted(truth: Uint8Array, pred: Uint8Array): ReturnType<typeof imageIoU> {
  const r = imageIoU(truth, pred, NAMES);
  assert.deepEqual(r.classes.map((c) => c.name), NAMES);
  const expected = NAMES.map((_, c) => countedIoU(truth, pred, c));
  r.classes.forEach((c, k) => {
    if (expected[k] === null) assert.equal(c.iou, null, `${c.name}: absent from both → null`);
    else assert.ok(Math.abs(c.iou! - expected[k]!) < 1e-12, `${c.name}: ${c.iou} vs counted ${expected[k]}`);
    assert.equal(c.truthPixels, truth.filter((v) => v === k).length);
    assert.equal(c.predictedPixels, pred.filter((v) => v === k).length);
  });
  assert.ok(Math.abs(r.mIoU! - mean(expected)!) < 1e-12);
  assert.ok(Math.abs((r.mIoUDefects ?? -1) - (mean(expected.slice(1)) ?? -1)) < 1e-12);
  return r;
}

test('a thin scratch predicted one pixel off: IoU counted per class, absent classes null', async () => {
  const truth = await neuMask('train_000601'); // scratches only
  const shifted = new Uint8Array(truth.length);
  for (let y = 0; y < 200; y++) for (let x = 1; x < 200; x++) shifted[y * 200 + x] = truth[y * 200 + x - 1]!;
  const r = assertCounted(truth, shifted);
  const scratches = r.classes[3]!;
  assert.ok(scratches.iou! > 0 && scratches.iou! < 1, `a one-pixel shift of a thin scratch is neither perfect nor lost: ${scratches.iou}`);
  assert.equal(r.classes[1]!.iou, null);
  assert.equal(r.classes[2]!.iou, null);
});

test('two different real masks: a class only predicted scores 0, the mean leaves out classes in neither', async () => {
  const truth = await neuMask('train_003591'); // inclusion + patches
  const pred = await neuMask('train_000601'); // scratches
  const r = assertCounted(truth, pred);
  assert.equal(r.classes[3]!.iou, 0, 'predicted only → 0, not "—"');
  const self = assertCounted(truth, truth);
  assert.deepEqual(self.classes.map((c) => c.iou), [1, 1, 1, null]);
  assert.equal(self.mIoU, 1);
});

test('a prediction of another size or with an unknown class is refused with the image named', async () => {
  const truth = await neuMask('train_000201');
  assert.throws(() => imageIoU(truth, truth.subarray(1), NAMES, 'a.jpg'), /a\.jpg: prediction has 39999 pixels, ground truth 40000/);
  const bad = truth.slice();
  bad[5] = 7;
  assert.throws(() => imageIoU(truth, bad, NAMES, 'a.jpg'), /a\.jpg: predicted class 7 at pixel 5/);
});
