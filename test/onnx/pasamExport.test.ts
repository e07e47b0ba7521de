// Acceptance: the ONNX PA-SAM (one graph: encoder with MSPCA-LoRA, IPEG, multi-class decoder)
// run by ONNX Runtime equals the tfjs PasamModel within 1e-4: `tiny` with trained-like (non-zero)
// LoRA/IPEG/decoder weights across the configuration options (vit_b: pasamVitbExport.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { compareTensors } from '../helpers/samFixture.js';
import { fixtureSamWeights, pseudoRandom } from '../helpers/pasamTestUtils.js';
import { loadFixture } from '../helpers/samFixture.js';
import { disposeSamWeights } from '../../app/model/sam/weights.js';
import { onnxLogits, perturbTrainables, tfjsLogitsNchw } from './onnxTestUtils.js';

const dir = mkdtempSync(join(tmpdir(), 'pasam-onnx-pasam-'));
before(async () => {
  await initBackend();
});
after(async () => {
  await releaseOrtSessions();
  rmSync(dir, { recursive: true, force: true });
});

const TINY_VARIANTS: { name: string; config: unknown }[] = [
  { name: 'defaults', config: {} },
  { name: 'qv-proj-concat-mix', config: { lora: { targets: ['q', 'v', 'proj'], aggregation: 'concat', mixChannels: true } } },
  { name: 'qkv-proj-unwindowed-dilations-gap-nodense', config: { lora: { targets: ['qkv', 'proj'], spatial: 'unwindowed', scales: 'dilations' }, ipeg: { sparse: 'gap-mlp', dense: 'none' } } },
  { name: 'plain-lora-no-sparse-s256', config: { inputSize: 256, lora: { bottleneck: 'none', spatial: 'unwindowed' }, ipeg: { sparse: 'none' } } },
];

for (const variant of TINY_VARIANTS) {
  test(`tiny PA-SAM (${variant.name}): ONNX Runtime logits equal tfjs within 1e-4`, async () => {
    const model = PasamModel.fromScratch('tiny', variant.config, { numClasses: 4, seed: 5 });
    const s = model.samConfig.imgSize;
    const images = pseudoRandom([2, s, s, 3], 99, 2) as tf.Tensor4D;
    try {
      const untrained = tfjsLogitsNchw(model, images);
      perturbTrainables(model, 1000);
      const expected = tfjsLogitsNchw(model, images);
      assert.ok(compareTensors(untrained, expected, 1e-3) !== undefined, 'the trained weights change the output (the test sees the LoRA/IPEG/decoder weights)');
      const { logits, labels } = await onnxLogits(dir, model, `tiny-${variant.name}`, images);
      assert.deepEqual(logits.dims, [2, 4, s / 4, s / 4]);
      assert.deepEqual(labels.dims, [2, s, s]);
      assert.equal(compareTensors(logits.data as Float32Array, expected), undefined);
      // labels = argmax of the logits upsampled (PyTorch-style bilinear) to S×S.
      const argmax = tf.tidy(() => {
        const up = tf.image.resizeBilinear(tf.tensor4d(expected, [2, 4, s / 4, s / 4]).transpose([0, 2, 3, 1]) as tf.Tensor4D, [s, s], false, true);
        return tf.argMax(up, 3);
      });
      const ref = argmax.dataSync();
      argmax.dispose();
      const got = labels.data as BigInt64Array;
      let differ = 0;
      for (let i = 0; i < ref.length; i++) if (Number(got[i]) !== ref[i]) differ++;
      assert.ok(differ <= ref.length * 1e-3, `${differ} of ${ref.length} labels differ (only near-ties may)`);
    } finally {
      images.dispose();
      model.dispose();
    }
  });
}

// PA-SAM on the sam-tiny fixture checkpoint (fromSam): 10×10 grid with 4×4 windows, so windowed
// blocks pad to 12×12 — window-local and un-windowed MSPCA both see the padding.
for (const spatial of ['window', 'unwindowed'] as const) {
  test(`PA-SAM on the sam-tiny checkpoint (MSPCA ${spatial}, padded windows): ONNX Runtime equals tfjs within 1e-4`, async () => {
    const fx = loadFixture();
    const sam = await fixtureSamWeights(fx);
    let model: PasamModel;
    try {
      model = PasamModel.fromSam(sam, fx.config, { lora: { spatial, targets: ['qkv', 'proj'] } }, { numClasses: 3, seed: 2 });
    } finally {
      disposeSamWeights(sam);
    }
    const s = model.samConfig.imgSize;
    const images = pseudoRandom([2, s, s, 3], 5, 2) as tf.Tensor4D;
    try {
      perturbTrainables(model, 3000);
      const expected = tfjsLogitsNchw(model, images);
      const { logits } = await onnxLogits(dir, model, `samtiny-${spatial}`, images);
      assert.deepEqual(logits.dims, [2, 3, s / 4, s / 4]);
      assert.equal(compareTensors(logits.data as Float32Array, expected), undefined);
    } finally {
      images.dispose();
      model.dispose();
    }
  });
}
