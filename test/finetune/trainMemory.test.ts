// The training memory plan from the official model shapes: vit_b trains at S=1024 batch 1 on a
// 24 GiB machine; larger runs switch to recomputation, then are refused naming what fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAM_PRESETS } from '../../app/model/sam/config.js';
import { estimateTrainingMemory, planFor, trainingMemoryBudget } from '../../app/finetune/trainMemory.js';

const GiB = 1024 ** 3;
const budget24 = trainingMemoryBudget(24 * GiB);
// Parameter counts of the official checkpoints; ~1 M trainable (MSPCA-LoRA + IPEG + decoder).
const vitB = { totalParams: 93.7e6, trainableParams: 1e6, numClasses: 4 };
const vitL = { totalParams: 312e6, trainableParams: 1e6, numClasses: 4 };
const vitH = { totalParams: 641e6, trainableParams: 1e6, numClasses: 4 };

test('vit_b trains at S=1024, batch 1 within 24 GiB', () => {
  const plan = planFor(SAM_PRESETS.vit_b, vitB, 1024, 1, budget24);
  assert.equal(plan.fits, true, plan.message);
  assert.ok(plan.peakBytes < budget24);
  assert.match(plan.message, /S=1024, batch 1/);
});

test('recomputation keeps one block of activations: far less memory, chosen when the plain graph does not fit', () => {
  const plain = estimateTrainingMemory(SAM_PRESETS.vit_b, vitB, 1024, 2, false);
  const re = estimateTrainingMemory(SAM_PRESETS.vit_b, vitB, 1024, 2, true);
  // The recomputed block's attention maps count twice (measured at S=1024): still far below the plain graph.
  assert.ok(re.activationBytes < plain.activationBytes / 2.5, `${re.activationBytes} vs ${plain.activationBytes}`);
  assert.equal(re.weightsBytes, plain.weightsBytes);
  const plan = planFor(SAM_PRESETS.vit_b, vitB, 1024, 1, budget24);
  assert.equal(plan.fits, true);
  assert.equal(plan.recompute, estimateTrainingMemory(SAM_PRESETS.vit_b, vitB, 1024, 1, false).peakBytes > budget24);
  assert.equal(plan.recompute, true);
  // Activations grow with S² (tokens) and S⁴ (global attention maps): 512 needs much less than 1024.
  assert.ok(estimateTrainingMemory(SAM_PRESETS.vit_b, vitB, 512, 1, false).activationBytes < plain.activationBytes / 8);
});

test('a run that does not fit is refused with the largest S and batch that do', () => {
  const plan = planFor(SAM_PRESETS.vit_l, vitL, 896, 4, budget24);
  assert.equal(plan.fits, false);
  const m = /the largest that fit: batch (\d+) at S=896, or S=(\d+) at batch 4/.exec(plan.message);
  assert.ok(m, plan.message);
  const [b, s] = [Number(m[1]), Number(m[2])];
  assert.equal(s % 16, 0);
  assert.equal(planFor(SAM_PRESETS.vit_l, vitL, 896, b, budget24).fits, true);
  assert.equal(planFor(SAM_PRESETS.vit_l, vitL, 896, b + 1, budget24).fits, false);
  assert.equal(planFor(SAM_PRESETS.vit_l, vitL, s, 4, budget24).fits, true);
  assert.equal(planFor(SAM_PRESETS.vit_l, vitL, s + 16, 4, budget24).fits, false);
  assert.match(plan.message, /needs about [\d.]+ GiB even recomputing activations, but this machine allows 19\.2 GiB/);
  // vit_h at S=1024 fits no batch: only a smaller S is offered.
  assert.match(planFor(SAM_PRESETS.vit_h, vitH, 1024, 1, budget24).message, /the largest that fit: S=\d+ at batch 1$/);
  assert.match(planFor(SAM_PRESETS.vit_h, vitH, 1024, 1, 2 * GiB).message, /weights alone do not fit/);
});

test('the formula matches the measured vit_b run it was calibrated on (S=256, batch 2: 4.54 GiB peak)', () => {
  const e = estimateTrainingMemory(SAM_PRESETS.vit_b, { totalParams: 92.36e6, trainableParams: 5.68e6, numClasses: 4 }, 256, 2, false);
  assert.ok(Math.abs(e.peakBytes / GiB - 4.54) < 0.5, `${(e.peakBytes / GiB).toFixed(2)} GiB`);
});

test('a MobileSAM (TinyViT) run is counted stage by stage, never planned as recomputing, refused plainly when too big', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { configFromReference } = await import('../../app/model/sam/config.js');
  const { SHARED_DIR } = await import('../helpers/cli.js');
  const manifest = JSON.parse(readFileSync(join(SHARED_DIR, 'fixtures', 'mobile-sam', 'manifest.json'), 'utf8')) as { config: Record<string, unknown> };
  const mobile = configFromReference({ ...manifest.config, img_size: 1024 });
  assert.ok(mobile.tinyVit && mobile.encoderDepth === 0, 'a TinyViT config has no ViT blocks');
  const desc = { totalParams: 10e6, trainableParams: 1e6, numClasses: 4 };
  const at1024 = estimateTrainingMemory(mobile, desc, 1024, 2, false);
  const at512 = estimateTrainingMemory(mobile, desc, 512, 2, false);
  assert.ok(at512.activationBytes > 0 && at1024.activationBytes > 3.5 * at512.activationBytes, `${at1024.activationBytes} vs ${at512.activationBytes}`);
  assert.equal(estimateTrainingMemory(mobile, desc, 1024, 2, true).peakBytes, at1024.peakBytes, 'no recomputing graph for TinyViT');
  const plan = planFor(mobile, desc, 1024, 2, budget24);
  assert.equal(plan.fits, true, plan.message);
  assert.equal(plan.recompute, false);
  const refused = planFor(mobile, desc, 1024, 2, at1024.peakBytes / 2);
  assert.equal(refused.fits, false);
  assert.doesNotMatch(refused.message, /recomputing/);
});

test('the recomputing formula matches the measured vit_b run (S=1024, batch 1: 14.3 GiB peak, bench/results/ort-train.json)', () => {
  const e = estimateTrainingMemory(SAM_PRESETS.vit_b, { totalParams: 92.36e6, trainableParams: 5.68e6, numClasses: 4 }, 1024, 1, true);
  assert.ok(e.peakBytes / GiB >= 14.3 && e.peakBytes / GiB < 14.3 * 1.15, `${(e.peakBytes / GiB).toFixed(2)} GiB`);
});
