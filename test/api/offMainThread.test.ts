// The serve / Electron main thread never runs a model: evaluation, comparison, pre-annotation,
// batch segmentation, run export and training started through the API run in worker threads. The test counts,
// on this (main) thread, every tfjs kernel and tensor and every ONNX Runtime session created while
// the API does that work — workers have their own module instances, so only main-thread work counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { tf } from '../../app/tensor/tf.js';
import { ApiService } from '../../app/api/apiService.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';
import { tempDir } from '../e2e/helpers/serveProcess.js';

let dir: string;
let runId: number;
let api: ApiService;
const mainThread = { kernels: 0, tensors: 0, ortSessions: 0 };

before(async () => {
  ({ dir, runId } = await trainedTinyNeuProject());
  api = new ApiService({ transport: 'http', projectDir: dir, home: tempDir('offmain-home') });
  // Instrument only now: the fixture above trained in this thread on purpose (it is not the API).
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown; makeTensor: (...a: unknown[]) => unknown };
  const runKernel = engine.runKernel.bind(engine);
  const makeTensor = engine.makeTensor.bind(engine);
  engine.runKernel = (...a) => (mainThread.kernels++, runKernel(...a));
  engine.makeTensor = (...a) => (mainThread.tensors++, makeTensor(...a));
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (...a: unknown[]) => unknown;
  (ort.InferenceSession as unknown as { create: (...a: unknown[]) => unknown }).create = (...a) => (mainThread.ortSessions++, create(...a));
});

after(() => api?.close());

async function until<T>(what: string, poll: () => Promise<T | null>, timeoutMs = 240_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await poll();
    if (v !== null) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('evaluate, compare, pre-annotate, batch, export and training run in worker threads, not on the main thread', async () => {
  // The instrumentation itself works: one op here counts.
  tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
  assert.ok(mainThread.kernels >= 1 && mainThread.tensors >= 2, JSON.stringify(mainThread));
  Object.assign(mainThread, { kernels: 0, tensors: 0, ortSessions: 0 });

  const ev = await api.invoke('training.evaluate', { runId, split: 'train' });
  assert.equal(ev.images, 4);
  assert.ok(ev.summary.mIoU !== null && ev.summary.mIoU > 0, `mIoU ${ev.summary.mIoU}`);
  const cmp = await api.invoke('training.compare', { a: runId, b: runId, split: 'train' });
  assert.equal(cmp.images.length, 4);

  await api.invoke('model.setActive', { runId });
  const pre = await api.invoke('model.preannotate', {});
  // All four images carry imported (human) masks: none is overwritten.
  assert.deepEqual([pre.created, pre.skipped, pre.runId], [0, 4, runId]);

  const input = tempDir('offmain-in');
  for (const id of ['test_000001', 'test_000002']) copyFileSync(join(SHARED_DIR, 'datasets', 'neu-seg', 'images', `${id}.jpg`), join(input, `${id}.jpg`));
  const output = join(tempDir('offmain-out'), 'masks');
  const { jobId } = await api.invoke('batch.start', { input, output, runId });
  const job = await until('the batch job', async () => {
    const j = (await api.invoke('batch.jobs', {})).find((r) => r.id === jobId);
    return j && (j.status === 'completed' || j.status === 'failed') ? j : null;
  });
  assert.equal(job.status, 'completed', JSON.stringify(job));
  assert.ok(existsSync(output) && readdirSync(output).filter((f) => f.endsWith('.png')).length >= 2, `outputs: ${existsSync(output) ? readdirSync(output) : 'none'}`);

  // Export (the Runs page's Export…) runs in a job worker too; here as a Triton repository.
  const repo = join(tempDir('offmain-export'), 'triton');
  const exported = await api.invoke('training.export', { runId, format: 'triton', out: repo, name: 'steel' });
  assert.equal(exported.modelPath, join(repo, 'steel', '1', 'model.onnx'));
  assert.ok(existsSync(exported.modelPath) && existsSync(join(repo, 'steel', 'config.pbtxt')));
  assert.deepEqual(readdirSync(repo), ['steel'], 'no staging folder left behind');

  const { runId: trained } = await api.invoke('training.start', { config: { model: { preset: 'tiny', base: null }, inputSize: 64, epochs: 1, batchSize: 2, valFraction: 0 } });
  // A run that trains cannot be deleted.
  await assert.rejects(api.invoke('training.delete', { runId: trained }), /is training; cancel it before deleting it/);
  const run = await until('the training run', async () => {
    const r = (await api.invoke('training.runs', {})).find((x) => x.id === trained);
    return r && !r.live && (r.status === 'completed' || r.status === 'failed') ? r : null;
  });
  assert.equal(run.status, 'completed', JSON.stringify(run));

  assert.deepEqual(mainThread, { kernels: 0, tensors: 0, ortSessions: 0 });
});
