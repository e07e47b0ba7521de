// Early stopping, cancel (through the worker thread) with resume, and the leak test: repeated
// training steps through the real loop and the real PA-SAM model keep tf.memory().numTensors flat.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { chooseRunMasks, loadRunData } from '../../app/engine/dataPipeline.js';
import { buildSegmenter } from '../../app/engine/modelFactory.js';
import { train } from '../../app/engine/trainer.js';
import { TrainingService } from '../../app/engine/trainingService.js';
import { checkpointDir, readCheckpointMeta } from '../../app/engine/runCheckpoint.js';
import type { TrainEvent } from '../../app/engine/trainEvents.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR, resumeInProcess, trainInProcess } from '../helpers/engineTestUtils.js';

let dir: string;
before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
  dir = await makeNeuProject(MIXED_FOUR);
});

// The tiny preset at S = 32 (logits 8×8): cheap steps, the full model and loop.
const small = (o: Record<string, unknown>) => config({ model: { preset: 'tiny', base: null }, inputSize: 32, batchSize: 2, valFraction: 0, ...o });

test('early stopping: no better validation mIoU for `patience` epochs ends the run', async () => {
  // A learning rate far below float32 resolution leaves the weights, hence the metrics, unchanged.
  const r = await trainInProcess(dir, small({ epochs: 10, patience: 2, learningRate: 1e-15 }));
  assert.equal(r.status, 'completed', r.error);
  assert.equal(r.reason, 'early-stopping');
  assert.equal(r.epochsDone, 3);
  assert.equal(r.bestEpoch, 1);
  const store = ProjectStore.open(dir);
  try {
    assert.equal(store.listRunEpochs(r.runId).length, 3);
    const run = store.getRun(r.runId)!;
    assert.equal(run.status, 'completed');
    assert.equal(run.metrics.reason, 'early-stopping');
    assert.equal(readCheckpointMeta(checkpointDir(dir, r.runId, 'best')).position.epochsDone, 1);
    assert.equal(readCheckpointMeta(checkpointDir(dir, r.runId, 'last')).position.epochsDone, 3);
  } finally {
    store.close();
  }
});

test('cancel stops a worker-thread run after the current step, saving a checkpoint it resumes from', async () => {
  const service = new TrainingService();
  const cfg = small({ epochs: 3, batchSize: 1, learningRate: 1e-3 });
  const handle = service.start(dir, cfg);
  const seen: TrainEvent[] = [];
  handle.onEvent((e) => {
    seen.push(e);
    if (e.type === 'progress' && e.step === 1) handle.cancel();
  });
  const result = await handle.done;
  assert.equal(result.status, 'cancelled', result.error);
  assert.ok(seen.some((e) => e.type === 'started'));
  const saved = readCheckpointMeta(checkpointDir(dir, handle.runId, 'last'));
  assert.ok(saved.position.step >= 1 && saved.position.step < 12, `saved at step ${saved.position.step}`);
  assert.equal(saved.position.step, result.step);
  const store = ProjectStore.open(dir);
  try {
    assert.equal(store.getRun(handle.runId)!.status, 'cancelled');
  } finally {
    store.close();
  }
  const resumed = await resumeInProcess(dir, handle.runId, true);
  assert.equal(resumed.status, 'completed', resumed.error);
  const started = resumed.events.find((e) => e.type === 'started');
  assert.deepEqual(started?.type === 'started' && started.resumedAt, { epochsDone: saved.position.epochsDone, step: saved.position.step });
  const firstProgress = resumed.events.find((e) => e.type === 'progress');
  assert.equal(firstProgress?.type === 'progress' && firstProgress.step, saved.position.step + 1, 'continues with the next step');
  assert.equal(resumed.step, 12);
  assert.equal(resumed.epochsDone, 3);
});

test('no tensor leaks: numTensors stays flat over repeated steps, epochs and checkpoints', async () => {
  const store = ProjectStore.open(dir);
  try {
    for (const o of [{}, { lossOnUpsampledLogits: true, accumulationSteps: 2, checkpointEverySteps: 1, augmentation: { brightness: 0.1 } }]) {
      const cfg = small({ epochs: 3, batchSize: 1, learningRate: 1e-3, ...o });
      const chosen = chooseRunMasks(store, { seed: cfg.seed, valFraction: 0 });
      const data = await loadRunData(store, chosen.used, chosen.valSource, cfg.inputSize);
      const baseline = tf.memory().numTensors;
      const built = await buildSegmenter(cfg, 4);
      const counts: number[] = [];
      const epochCounts: number[] = [];
      let checkpoints = 0;
      await train({
        runId: 0,
        model: built.model,
        config: cfg,
        data,
        hooks: {
          emit: (e) => {
            if (e.type === 'progress') counts.push(tf.memory().numTensors);
            if (e.type === 'epoch') epochCounts.push(tf.memory().numTensors);
          },
          saveCheckpoint: () => void checkpoints++,
          recordEpoch: () => {},
          isCancelled: () => false,
          pause: async () => {},
        },
      });
      built.model.dispose();
      assert.ok(counts.length >= 6, `${counts.length} steps`);
      assert.ok(checkpoints >= 3);
      assert.deepEqual(new Set(counts.slice(1)), new Set([counts[0]]), `tensor count per step: ${counts.join(' ')}`);
      assert.deepEqual(new Set(epochCounts), new Set([epochCounts[0]]), `tensor count per epoch: ${epochCounts.join(' ')}`);
      assert.equal(tf.memory().numTensors, baseline, 'everything the run created is disposed');
    }
  } finally {
    store.close();
  }
});
