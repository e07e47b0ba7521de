// Issue 12: a GPU execution provider that is installed (or listed) but cannot run here must not
// fail the run — the engine falls back to ONNX Runtime's CPU provider and the run's record says why.
// ONNX Runtime builds its sessions lazily, so such a provider fails at the engine's first step, not
// when the engine is created. Here the CUDA provider library is absent, so a session on 'cuda'
// fails for real at that first step (the choice is given as the policy would make it on a Linux
// machine that lists CUDA); a provider forced with PASAM_ORT_EP is never replaced.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { readParams } from '../../app/engine/stepEngine.js';
import { defaultTrainConfig } from '../../app/engine/trainConfig.js';
import { createStepEngine, type TrainEngineChoice } from '../../app/finetune/trainEngineChoice.js';
import { neuBatch, NEU_IDS } from '../onnx/ortTrainTestUtils.js';

before(async () => {
  await initBackend();
});

test('ORT on a GPU provider that fails at its first step falls back to the CPU provider and records why', async () => {
  const model = PasamModel.fromScratch('tiny', { inputSize: 64 }, { numClasses: 3, seed: 2 });
  try {
    const config = { ...defaultTrainConfig(), inputSize: 64, batchSize: 2 };
    const batch = await neuBatch(model, NEU_IDS.slice(0, 2), 16);
    const params = readParams(model);
    const cuda: TrainEngineChoice = { engine: 'ort', executionProvider: 'cuda', forcedBy: null, skipped: [{ option: 'dml', reason: 'DirectML exists on Windows only' }] };

    const { engine, trainedWith } = await createStepEngine(cuda, model, config, { recompute: false });
    const cpu = await createStepEngine({ ...cuda, executionProvider: 'cpu' }, model, config, { recompute: false });
    try {
      assert.equal(engine.executionProvider, 'cuda', 'sessions are built lazily: nothing has failed yet');
      const r = await engine.step(params, batch.images, batch.labels);
      assert.equal(engine.executionProvider, 'cpu');
      assert.equal(trainedWith.executionProvider, 'cpu', 'the run records the provider that trained it');
      const skippedCuda = trainedWith.skipped.find((s) => s.option === 'cuda');
      assert.ok(skippedCuda, 'the run records the provider it skipped');
      assert.match(skippedCuda.reason, /failed at its first step: .+/);
      assert.deepEqual(trainedWith.skipped.map((s) => s.option), ['dml', 'cuda']);
      const c = await cpu.engine.step(params, batch.images, batch.labels);
      assert.ok(Number.isFinite(r.loss) && Math.abs(r.loss - c.loss) <= 1e-6 * Math.abs(c.loss), `loss ${r.loss} vs CPU engine ${c.loss}`);
      // Later calls stay on CPU: the forward graph is built there too.
      const logits = await engine.forward(params, batch.images);
      assert.deepEqual(logits, await cpu.engine.forward(params, batch.images));
    } finally {
      await engine.dispose();
      await cpu.engine.dispose();
    }

    const forced = await createStepEngine({ ...cuda, forcedBy: 'PASAM_ORT_EP=cuda' }, model, config, { recompute: false });
    try {
      await assert.rejects(forced.engine.step(params, batch.images, batch.labels), /cuda/i, 'a forced provider fails loudly instead');
      assert.equal(forced.trainedWith.executionProvider, 'cuda');
    } finally {
      await forced.engine.dispose();
    }
  } finally {
    model.dispose();
  }
});
