// Evaluation against a hand-checked case, and the eval/segment CLI on a trained run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../app/tensor/backend.js';
import { evaluateSamples, summarise } from '../../app/engine/evaluate.js';
import type { Sample } from '../../app/engine/dataPipeline.js';
import type { SegmenterDescription, TrainableSegmenter } from '../../app/model/segmenterTypes.js';
import { decodeMaskPng } from '../../app/images/imageIO.js';
import { runCli } from '../helpers/cli.js';
import { makeNeuProject, NEU_DIR } from '../helpers/neuProject.js';
import { config, trainInProcess } from '../helpers/engineTestUtils.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

/** A fixed segmenter (not under test): class 2 on the left half of its logits grid, background on the right. */
class HalfAndHalf implements TrainableSegmenter {
  constructor(private s: number) {}
  describe(): SegmenterDescription {
    return { kind: 'fixed', inputSize: this.s, numClasses: 4, pixelMean: [0, 0, 0], pixelStd: [1, 1, 1], logitsSize: this.s / 4, trainableParams: 0, totalParams: 0 };
  }
  trainableVariables(): Map<string, tf.Variable> {
    return new Map();
  }
  forward(images: tf.Tensor4D): tf.Tensor4D {
    const g = this.s / 4;
    const b = images.shape[0];
    const v = new Float32Array(b * g * g * 4);
    for (let i = 0; i < b * g * g; i++) v[i * 4 + ((i % g) < g / 2 ? 2 : 0)] = 5;
    return tf.tensor4d(v, [b, g, g, 4]);
  }
  exportTrained(): Map<string, tf.Tensor> {
    return new Map();
  }
  importTrained(): void {}
  dispose(): void {}
}

test('dataset-level metrics at original resolution match a hand-checked case', () => {
  // 200×200 image, S = 32: the prediction is class 2 for x < 100, background for x ≥ 100.
  // Truth: class 2 in the top half. Quadrants of 10 000 px: TP₂ = FN₂ = FP₂ = TN = 10 000.
  const w = 200;
  const label = new Uint8Array(w * w);
  label.fill(2, 0, w * 100);
  const sample: Sample = { imageId: 1, maskVersionId: 1, name: 'q', width: w, height: w, resized: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) }, label, resizedLabel: new Uint8Array(32 * 32) };
  const before = tf.memory().numTensors;
  const r = evaluateSamples(new HalfAndHalf(32), [sample, sample], { batchSize: 2, classNames: ['background', 'inclusion', 'patches', 'scratches'] });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(r.confusion, [
    [20000, 0, 20000, 0],
    [0, 0, 0, 0],
    [20000, 0, 20000, 0],
    [0, 0, 0, 0],
  ]);
  const m = summarise(r);
  assert.deepEqual(m.iou, [1 / 3, null, 1 / 3, null]);
  assert.deepEqual(m.dice, [0.5, null, 0.5, null]);
  assert.equal(m.mIoU, 1 / 3);
  assert.equal(m.mDice, 0.5);
  assert.equal(m.mIoUDefects, 1 / 3);
  assert.equal(m.pixelAccuracy, 0.5);
  assert.equal(r.metrics.perClass[2]!.name, 'patches');
  assert.equal(r.perImage.length, 2);
  assert.equal(r.perImage[0]!.mIoU, 1 / 3);
});

test('eval --json <file> and segment write results for a trained run', async () => {
  const dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000502', 'train'],
    ['test_000001', 'test'],
    ['test_000201', 'test'],
  ]);
  const run = await trainInProcess(dir, config({ model: { preset: 'tiny', base: null }, inputSize: 32, epochs: 2, batchSize: 2, valFraction: 0 }));
  assert.equal(run.status, 'completed', run.error);
  const out = mkdtempSync(join(tmpdir(), 'pasam-eval-'));
  const jsonFile = join(out, 'eval.json');
  const env = { PASAM_BACKEND: process.env.PASAM_BACKEND! };
  const e = runCli(['eval', dir, '--run', String(run.runId), '--json', jsonFile], env);
  assert.equal(e.code, 0, e.stderr);
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  assert.equal(report.split, 'test');
  assert.equal(report.images, 2);
  assert.deepEqual(report.classes, ['background', 'inclusion', 'patches', 'scratches']);
  assert.equal(report.confusion.length, 4);
  const pixels = report.confusion.flat().reduce((a: number, b: number) => a + b, 0);
  assert.equal(pixels, 2 * 200 * 200, 'every original-resolution pixel is counted once');
  assert.equal(report.perImage.length, 2);
  assert.ok(report.mIoU >= 0 && report.mIoU <= 1);
  const correct = report.confusion.reduce((a: number, row: number[], i: number) => a + row[i], 0);
  assert.equal(report.pixelAccuracy, correct / pixels);

  const input = join(out, 'in');
  mkdirSync(join(input, 'sub'), { recursive: true });
  copyFileSync(join(NEU_DIR, 'images', 'test_000002.jpg'), join(input, 'a.jpg'));
  copyFileSync(join(NEU_DIR, 'images', 'test_000003.jpg'), join(input, 'sub', 'b.jpg'));
  writeFileSync(join(input, 'broken.png'), 'not a png');
  const masks = join(out, 'masks');
  const s = runCli(['segment', dir, '--run', String(run.runId), input, masks, '--recursive', '--json'], env);
  assert.equal(s.code, 1, 'a broken input is reported and makes the exit code 1');
  const seg = JSON.parse(s.stdout);
  assert.equal(seg.written.length, 2);
  assert.equal(seg.failed.length, 1);
  assert.match(seg.failed[0].error, /broken\.png/);
  for (const rel of ['a.png', 'sub/b.png']) {
    const m = await decodeMaskPng(readFileSync(join(masks, rel)), rel);
    assert.equal(m.width, 200);
    assert.equal(m.height, 200);
    assert.ok(m.data.every((v) => v <= 3), 'class indices 0..K');
  }
});
