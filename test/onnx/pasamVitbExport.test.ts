// Acceptance: a vit_b-shaped PA-SAM (random backbone, perturbed LoRA/IPEG/decoder) at S = 256,
// exported to ONNX and run by ONNX Runtime, equals the tfjs model within 1e-4 on one image.
// The slowest ONNX test (building a 90M-parameter model twice); one image keeps memory sane.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { compareTensors } from '../helpers/samFixture.js';
import { pseudoRandom } from '../helpers/pasamTestUtils.js';
import { onnxLogits, perturbTrainables, tfjsLogitsNchw } from './onnxTestUtils.js';

const dir = mkdtempSync(join(tmpdir(), 'pasam-onnx-vitb-'));
before(async () => {
  await initBackend();
});
after(async () => {
  await releaseOrtSessions();
  rmSync(dir, { recursive: true, force: true });
});

test('vit_b-shaped PA-SAM with random weights at S = 256: ONNX Runtime equals tfjs within 1e-4', async () => {
  const model = PasamModel.fromScratch('vit_b', { inputSize: 256 }, { numClasses: 4, seed: 11 });
  const images = pseudoRandom([1, 256, 256, 3], 7, 2) as tf.Tensor4D;
  try {
    perturbTrainables(model, 2000);
    const expected = tfjsLogitsNchw(model, images);
    const { logits } = await onnxLogits(dir, model, 'vitb-256', images);
    assert.deepEqual(logits.dims, [1, 4, 64, 64]);
    assert.equal(compareTensors(logits.data as Float32Array, expected), undefined);
  } finally {
    images.dispose();
    model.dispose();
  }
});
