// Acceptance: a short MSPCA-LoRA run from the sam-tiny checkpoint as base at least halves the
// loss on four NEU-Seg images (measured the same way before and after: the full 0.2·CE + 0.8·Dice
// on all four images, no augmentation, eval-mode forward).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { inputBatch, labelBatch, loadRunData } from '../../app/engine/dataPipeline.js';
import { buildSegmenter } from '../../app/engine/modelFactory.js';
import { loadRunSegmenter } from '../../app/engine/runModel.js';
import { segmentationLoss } from '../../app/engine/loss.js';
import type { TrainableSegmenter } from '../../app/model/segmenterTypes.js';
import type { Sample } from '../../app/engine/dataPipeline.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR, samTinyLibrary, trainInProcess } from '../helpers/engineTestUtils.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  // The reference engine's acceptance test. On ONNX Runtime the same run (lr 0.01, 22 Adam steps)
  // reaches 0.89 → 0.52, not half: gradients agree with tfjs within 1e-5 and 20-step trajectories
  // within 5e-4 at lr 5e-4, but at this learning rate Adam amplifies the float32-noise gradients of
  // shift-invariant tensors differently — open in issue 12, see the ORT trajectory test.
  process.env.PASAM_TRAIN_ENGINE = 'tfjs';
  await initBackend();
  await samTinyLibrary();
});

function lossOn(model: TrainableSegmenter, samples: Sample[]): number {
  const d = model.describe();
  return tf.tidy(() => {
    const x = inputBatch(samples, d.inputSize, d.pixelMean, d.pixelStd);
    const y = labelBatch(samples, d.inputSize, d.logitsSize);
    return segmentationLoss(model.forward(x, { training: false }), y).loss.dataSync()[0]!;
  });
}

test('a short LoRA run from the sam-tiny base at least halves the loss on four NEU-Seg images', async () => {
  const dir = await makeNeuProject(MIXED_FOUR);
  const cfg = config({ model: { base: 'sam-tiny', preset: null }, inputSize: 96, epochs: 22, batchSize: 4, learningRate: 0.01, warmupFraction: 0, augmentation: false, valFraction: 0, seed: 3 });
  const result = await trainInProcess(dir, cfg);
  assert.equal(result.status, 'completed', result.error);
  const store = ProjectStore.open(dir);
  try {
    const data = await loadRunData(store, store.runMaskVersions(result.runId), 'train', cfg.inputSize);
    assert.equal(data.train.length, 4);
    const initial = await buildSegmenter(cfg, 4);
    const before = lossOn(initial.model, data.train);
    initial.model.dispose();
    const trained = await loadRunSegmenter(store, result.runId, 'last');
    const after = lossOn(trained.model, data.train);
    const names = [...trained.model.trainableVariables().keys()];
    trained.model.dispose();
    assert.ok(Number.isFinite(before) && before > 0.3, `initial loss ${before}`);
    assert.ok(after <= before / 2, `loss ${before.toFixed(4)} → ${after.toFixed(4)} did not halve`);
    // Only the trained tensors were saved: LoRA, IPEG and decoder, not the frozen SAM encoder.
    assert.deepEqual(trained.meta.tensors.filter((t) => t.group === 'model').map((t) => t.name).sort(), [...names].sort());
    assert.ok(names.some((n) => /lora/i.test(n)) && names.some((n) => /ipeg/i.test(n)) && names.some((n) => /decoder/i.test(n)), names.slice(0, 10).join(', '));
    assert.ok(!names.some((n) => /^encoder\.(?!.*\.lora\.)/.test(n)), 'the frozen encoder must not be trained');
    assert.equal(trained.meta.base?.name, 'sam-tiny');
    assert.match(trained.meta.base?.sha256 ?? '', /^[0-9a-f]{64}$/);
  } finally {
    store.close();
  }
});
