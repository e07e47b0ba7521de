// No leaks on the ONNX Runtime engine: resident memory stays flat over 200 training steps (tiny
// model, S = 32, batch 1, a validation pass and checkpoints every 4 steps) and the tfjs tensor
// count (AdamW, accumulation) does not grow. RSS is compared between the second and the last
// quarter of the run, after ORT's arena and the sessions have settled.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR, trainInProcess } from '../helpers/engineTestUtils.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  process.env.PASAM_TRAIN_ENGINE = 'ort';
  await initBackend();
});

const MiB = 1024 ** 2;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

test('ORT: resident memory and tensor count stay flat over 200 steps', async () => {
  const dir = await makeNeuProject(MIXED_FOUR);
  const rss: number[] = [];
  const tensors: number[] = [];
  const run = await trainInProcess(dir, config({ model: { preset: 'tiny', base: null }, inputSize: 32, epochs: 50, batchSize: 1, learningRate: 1e-3, valFraction: 0, seed: 3 }), {
    onEvent: (e) => {
      if (e.type !== 'progress') return;
      rss[e.step - 1] = process.memoryUsage().rss;
      tensors[e.step - 1] = tf.memory().numTensors;
    },
  });
  assert.equal(run.status, 'completed', run.error);
  assert.equal(rss.length, 200);
  const store = ProjectStore.open(dir);
  try {
    assert.equal((store.getRun(run.runId)!.metrics.trainedWith as { engine: string }).engine, 'ort');
  } finally {
    store.close();
  }
  const early = median(rss.slice(50, 100));
  const late = median(rss.slice(150, 200));
  assert.ok(late - early < 24 * MiB, `RSS grew ${((late - early) / MiB).toFixed(1)} MiB between steps 50–100 (${(early / MiB).toFixed(0)} MiB) and 150–200 (${(late / MiB).toFixed(0)} MiB)`);
  assert.equal(tensors[199], tensors[49], `tfjs tensors: ${tensors[49]} at step 50, ${tensors[199]} at step 200`);
});
