// Acceptance: the `tiny` preset trained from scratch overfits four NEU-Seg images of the
// `patches` class (large regions): mIoU > 0.8 on those images, measured at their original
// resolution by the evaluation the CLI uses, from the run's saved best checkpoint.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { loadSplit } from '../../app/engine/dataPipeline.js';
import { evaluateSamples } from '../../app/engine/evaluate.js';
import { loadRunSegmenter } from '../../app/engine/runModel.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, trainInProcess } from '../helpers/engineTestUtils.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

test('the tiny preset from scratch overfits four patches images (mIoU > 0.8 at original resolution)', async () => {
  const dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000502', 'train'],
    ['train_000503', 'train'],
    ['train_000504', 'train'],
  ]);
  // S = 112 (logits 28×28) keeps a step cheap; no augmentation or weight decay: the point is
  // to memorise. lr 5e-3 with a gentle decay; 1e-2 collapses to all-background.
  const cfg = config({ model: { preset: 'tiny', base: null }, inputSize: 112, epochs: 55, batchSize: 4, learningRate: 0.005, warmupFraction: 0, weightDecay: 0, polyPower: 0.5, augmentation: false, valFraction: 0, seed: 42 });
  const result = await trainInProcess(dir, cfg);
  assert.equal(result.status, 'completed', result.error);
  assert.ok(result.best && result.best.mIoU !== null && result.best.mIoU > 0.8, `validation mIoU ${result.best?.mIoU}`);
  const store = ProjectStore.open(dir);
  try {
    const loaded = await loadRunSegmenter(store, result.runId, 'best');
    try {
      const samples = await loadSplit(store, 'train', cfg.inputSize);
      const ev = evaluateSamples(loaded.model, samples);
      assert.equal(ev.images, 4);
      assert.ok(ev.metrics.mIoU! > 0.8, `mIoU ${ev.metrics.mIoU}`);
      assert.ok(ev.metrics.perClass[2]!.iou! > 0.65, `patches IoU ${ev.metrics.perClass[2]!.iou}`);
      // Classes absent from truth and prediction are not scored (null), never counted as 0 or 1.
      assert.equal(ev.metrics.perClass[1]!.iou, null);
      // The stored epoch metrics match what the best checkpoint reproduces.
      const epochs = store.listRunEpochs(result.runId);
      assert.equal(epochs.length, 55);
      const bestEpoch = epochs.find((e) => e.epoch === result.bestEpoch)!;
      assert.ok(Math.abs((bestEpoch.metrics.val as { mIoU: number }).mIoU - ev.metrics.mIoU!) < 1e-9);
    } finally {
      loaded.model.dispose();
    }
  } finally {
    store.close();
  }
});
