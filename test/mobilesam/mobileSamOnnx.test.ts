// MobileSAM on ONNX Runtime — the annotator's SAM path: the exported TinyViT encoder reproduces the
// reference embeddings and the interactive predictor (ORT) reproduces the reference masks (1e-4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../app/tensor/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { openOrtSession, releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { OrtSamPredictor } from '../../app/onnx/ortSamPredictor.js';
import { ensureSamOnnx, openInteractivePredictor } from '../../app/onnx/samOnnxLibrary.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { compareTensors, fixtureImage, fixtureTensor, loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

const FIXTURE_DIR = process.env.PASAM_MOBILESAM_FIXTURE ?? join(SHARED_DIR, 'fixtures', 'mobile-sam');
const MODEL = 'mobile-fixture';
let fx: SamFixture;
useTempPasamHome('pasam-mobilesam-onnx-');

before(async () => {
  await initBackend();
  fx = loadFixture(FIXTURE_DIR);
  await importCheckpoint(join(fx.dir, fx.manifest.checkpoints.pt ?? Object.values(fx.manifest.checkpoints)[0]!), { name: MODEL });
});
after(async () => {
  await releaseOrtSessions();
});

test('the exported MobileSAM encoder reproduces the reference image embeddings on ONNX Runtime (1e-4)', async () => {
  const { dir, card } = await ensureSamOnnx(MODEL, { inputSize: fx.config.imgSize });
  assert.equal(card.preprocessing.inputSize, fx.config.imgSize);
  const encoder = await openOrtSession(join(dir, 'encoder.onnx'));
  const input = fixtureTensor(fx, 'input_preprocessed');
  const emb = (await encoder.run({ image: new ort.Tensor('float32', input.data, input.shape) })).image_embeddings!;
  assert.deepEqual(emb.dims, fixtureTensor(fx, 'image_embeddings').shape);
  assert.equal(compareTensors(emb.data as Float32Array, fixtureTensor(fx, 'image_embeddings').data), undefined);
});

test('the annotator predictor on an imported MobileSAM reproduces the reference masks (ONNX Runtime)', async () => {
  const predictor = await openInteractivePredictor(MODEL, { engine: 'onnx', inputSize: fx.config.imgSize });
  assert.ok(predictor instanceof OrtSamPredictor);
  await predictor.setImage(await fixtureImage(fx));
  const failures: string[] = [];
  let compared = 0;
  for (const [name, p] of Object.entries(fx.manifest.prompts)) {
    for (const [mode, multimask] of [['multi', true], ['single', false]] as const) {
      const key = `${name}_${mode}`;
      if (!fx.manifest.tensors[`${key}_masks`]) continue;
      const out = await predictor.predict({ points: p.point_coords ?? undefined, labels: p.point_labels ?? undefined, box: p.box ?? undefined, multimask });
      const flat = (arrs: Float32Array[]) => Float32Array.from(arrs.flatMap((a) => Array.from(a)));
      for (const [suffix, actual] of [['masks', flat(out.maskLogits)], ['iou', out.iouScores], ['low_res', flat(out.lowResLogits)]] as const) {
        if (!fx.manifest.tensors[`${key}_${suffix}`]) continue;
        const problem = compareTensors(actual, fixtureTensor(fx, `${key}_${suffix}`).data);
        if (problem) failures.push(`${key}_${suffix}: ${problem}`);
        compared++;
      }
    }
  }
  assert.ok(compared >= 6, `compared ${compared} outputs`);
  assert.deepEqual(failures, []);
});
