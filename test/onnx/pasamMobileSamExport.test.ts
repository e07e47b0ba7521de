// Acceptance: PA-SAM on a MobileSAM (TinyViT) backbone exports to ONE ONNX graph (TinyViT with the
// MSPCA-LoRA adapter — plain LoRA merged into qkv, MSPCA as a delta subgraph — IPEG, multi-class
// decoder) whose ONNX Runtime logits equal the tfjs PasamModel's within 1e-4, with trained-like
// (non-zero) LoRA/IPEG/decoder weights, fused qkv and per-head q / v targets, padded windows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import type { SamConfig } from '../../app/model/sam/config.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { compareTensors, importMobileSamFixture, useTempPasamHome } from '../helpers/samFixture.js';
import { pseudoRandom } from '../helpers/pasamTestUtils.js';
import { onnxLogits, perturbTrainables, tfjsLogitsNchw } from './onnxTestUtils.js';

const dir = mkdtempSync(join(tmpdir(), 'pasam-onnx-mobilesam-'));
useTempPasamHome('pasam-onnx-mobilesam-home-');
let sam: SamWeights;
let samConfig: SamConfig;

before(async () => {
  await initBackend();
  ({ weights: sam, config: samConfig } = await importMobileSamFixture('mobile-fixture'));
});
after(async () => {
  disposeSamWeights(sam);
  await releaseOrtSessions();
  rmSync(dir, { recursive: true, force: true });
});

const VARIANTS: { name: string; config: Record<string, unknown> }[] = [
  { name: 'defaults-s64', config: { inputSize: 64 } },
  { name: 'qv-proj-unwindowed-dilations-concat-mix-s128', config: { inputSize: 128, lora: { targets: ['q', 'v', 'proj'], spatial: 'unwindowed', scales: 'dilations', aggregation: 'concat', mixChannels: true } } },
  { name: 'plain-lora-qv-proj-s64', config: { inputSize: 64, lora: { targets: ['q', 'v', 'proj'], bottleneck: 'none' }, ipeg: { sparse: 'gap-mlp' } } },
];

for (const variant of VARIANTS) {
  test(`PA-SAM on MobileSAM (${variant.name}): ONNX Runtime logits equal tfjs within 1e-4`, async (t) => {
    const model = PasamModel.fromSam(sam, samConfig, variant.config, { numClasses: 4, seed: 3 });
    const s = model.samConfig.imgSize;
    const images = pseudoRandom([2, s, s, 3], 17, 2) as tf.Tensor4D;
    try {
      const untrained = tfjsLogitsNchw(model, images);
      perturbTrainables(model, 500);
      const expected = tfjsLogitsNchw(model, images);
      assert.ok(compareTensors(untrained, expected, 1e-3) !== undefined, 'the trained weights change the output');
      const { logits, labels } = await onnxLogits(dir, model, `mobile-${variant.name}`, images);
      assert.deepEqual(logits.dims, [2, 4, s / 4, s / 4]);
      assert.deepEqual(labels.dims, [2, s, s]);
      assert.equal(compareTensors(logits.data as Float32Array, expected), undefined);
      const got = logits.data as Float32Array;
      t.diagnostic(`largest |ORT − tfjs| ${expected.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0).toExponential(2)}`);
    } finally {
      images.dispose();
      model.dispose();
    }
  });
}
