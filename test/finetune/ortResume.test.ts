// Cancel and resume on the ONNX Runtime engine: a run cancelled mid-epoch (its `last` checkpoint
// saved at the cancel) and resumed ends bit-identical — weights, AdamW moments, best epoch — to an
// uninterrupted run with the same seed. Both runs record that ONNX Runtime trained them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { checkpointDir, readCheckpoint } from '../../app/engine/runCheckpoint.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR, resumeInProcess, trainInProcess } from '../helpers/engineTestUtils.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  // This test is about the ORT engine: it must not silently fall back to tfjs.
  process.env.PASAM_TRAIN_ENGINE = 'ort';
  await initBackend();
});

const SETTINGS = { model: { preset: 'tiny', base: null }, inputSize: 32, epochs: 3, batchSize: 1, learningRate: 2e-3, valFraction: 0, checkpointEverySteps: 1, seed: 7 };

test('ORT: a run cancelled mid-epoch and resumed ends bit-identical to an uninterrupted run', async () => {
  const dir = await makeNeuProject(MIXED_FOUR);
  const cut = await trainInProcess(dir, config(SETTINGS), { cancelWhen: (e) => e.type === 'progress' && e.step === 6 });
  assert.equal(cut.status, 'cancelled', cut.error);
  assert.equal(cut.step, 6);
  const resumed = await resumeInProcess(dir, cut.runId, true);
  assert.equal(resumed.status, 'completed', resumed.error);
  assert.ok(resumed.events.some((e) => e.type === 'started' && e.resumedAt?.step === 6), 'resumed at step 6');
  const whole = await trainInProcess(dir, config(SETTINGS));
  assert.equal(whole.status, 'completed', whole.error);

  const store = ProjectStore.open(dir);
  try {
    for (const id of [cut.runId, whole.runId]) {
      const t = store.getRun(id)!.metrics.trainedWith as { engine: string; executionProvider: string };
      assert.equal(t.engine, 'ort');
      assert.equal(t.executionProvider, 'cpu');
    }
  } finally {
    store.close();
  }
  for (const kind of ['last', 'best'] as const) {
    const a = readCheckpoint(checkpointDir(dir, cut.runId, kind));
    const b = readCheckpoint(checkpointDir(dir, whole.runId, kind));
    if (kind === 'last') assert.equal(a.meta.position.step, 12);
    assert.equal(a.meta.position.step, b.meta.position.step);
    assert.equal(a.meta.position.bestEpoch, b.meta.position.bestEpoch);
    for (const [name, t] of a.model) assert.deepEqual(t.data, b.model.get(name)!.data, `${kind}: tensor ${name} differs`);
    for (const [name, t] of a.optimizer) assert.deepEqual(t.data, b.optimizer.get(name)!.data, `${kind}: optimiser tensor ${name} differs`);
    assert.equal(a.meta.dataSha256, b.meta.dataSha256);
  }
});
