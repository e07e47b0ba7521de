// The ORT StepEngine as the trainer uses it: same loss, logits and gradients as the tfjs StepEngine
// (PA-SAM on sam-tiny, NEU-Seg batch), forward logits as the model's, a smaller last micro-batch,
// the content-hashed graph cache reused by a second engine, and clear errors on bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import { createTfjsStepEngine, readParams } from '../../app/engine/stepEngine.js';
import { createOrtStepEngine } from '../../app/onnx/training/ortStepEngine.js';
import { loadFixture, type SamFixture } from '../helpers/samFixture.js';
import { fixtureSamWeights } from '../helpers/pasamTestUtils.js';
import { perturbTrainables } from './onnxTestUtils.js';
import { assertGradParity, neuBatch, NEU_IDS, relL2 } from './ortTrainTestUtils.js';

let fx: SamFixture;
let sam: SamWeights;
const cacheDir = mkdtempSync(join(tmpdir(), 'pasam-ort-cache-'));
before(async () => {
  await initBackend();
  fx = loadFixture();
  sam = await fixtureSamWeights(fx);
});
after(() => {
  disposeSamWeights(sam);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('ORT StepEngine: step, forward and a smaller batch match the tfjs StepEngine; the graph cache is reused', async () => {
  const model = PasamModel.fromSam(sam, fx.config, { inputSize: 64 }, { numClasses: 4, seed: 3 });
  const loss = { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false };
  try {
    perturbTrainables(model, 4000);
    const batch = await neuBatch(model, NEU_IDS.slice(0, 2), 16);
    const params = readParams(model);
    const ort = await createOrtStepEngine(model, { batch: 2, loss, mode: 'train', cacheDir });
    const ref = createTfjsStepEngine(model, loss);
    try {
      assert.equal(ort.name, 'ort');
      assert.equal(ort.executionProvider, 'cpu');
      const o = await ort.step(params, batch.images, batch.labels);
      const r = await ref.step(params, batch.images, batch.labels);
      assert.ok(Math.abs(o.loss - r.loss) <= 1e-5 * r.loss);
      assert.equal(o.logits.length, 2 * 16 * 16 * 4);
      assert.ok(relL2(o.logits, r.logits) < 1e-5, 'logits the loss saw, NHWC');
      assertGradParity(o, r, [...params.keys()]);
      assert.equal(o.grads.size, params.size);

      const fwd = await ort.forward(params, batch.images);
      const expected = tf.tidy(() => model.predictClassLogits(tf.tensor4d(batch.images, [2, 64, 64, 3])).dataSync() as Float32Array);
      assert.ok(relL2(fwd, expected) < 1e-5);

      // The last micro-batch of an epoch may hold fewer images: its own graph.
      const one = { images: batch.images.subarray(0, 64 * 64 * 3), labels: batch.labels.subarray(0, 16 * 16) };
      const o1 = await ort.step(params, one.images, one.labels);
      const r1 = await ref.step(params, one.images, one.labels);
      assert.ok(Math.abs(o1.loss - r1.loss) <= 1e-5 * r1.loss);

      await assert.rejects(ort.step(params, batch.images, batch.labels.subarray(0, 100)), /labels must be \(2, 16, 16\)/);
      const missing = new Map(params);
      missing.delete([...params.keys()][0]!);
      await assert.rejects(ort.step(missing, batch.images, batch.labels), /no value for trainable tensor/);
    } finally {
      await ort.dispose();
    }
    const files = readdirSync(cacheDir).sort();
    assert.equal(files.length, 3, `train B=2, forward B=2, train B=1: ${files.join(', ')}`);
    const again = await createOrtStepEngine(model, { batch: 2, loss, mode: 'train', cacheDir });
    try {
      const o2 = await again.step(params, batch.images, batch.labels);
      assert.deepEqual(readdirSync(cacheDir).sort(), files, 'a second engine reuses the cached graph');
      assert.ok(Number.isFinite(o2.loss));
    } finally {
      await again.dispose();
    }
  } finally {
    model.dispose();
  }
});
