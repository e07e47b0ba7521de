// Acceptance: the exported SAM (encoder; prompt encoder + decoder) run by ONNX Runtime reproduces
// the reference fixture's tensors and our tfjs SAM within 1e-4, and is cached in the library.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../app/tensor/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { loadModelWeights } from '../../app/model/library.js';
import { SamModel } from '../../app/model/sam/samModel.js';
import { SamPredictor, type SamPrompt } from '../../app/model/sam/predictor.js';
import { openOrtSession, releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { OrtSamPredictor } from '../../app/onnx/ortSamPredictor.js';
import { ensureSamOnnx, openInteractivePredictor } from '../../app/onnx/samOnnxLibrary.js';
import { compareTensors, fixtureFile, fixtureImage, fixtureTensor, loadFixture, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
let home: string;
const savedHome = process.env.PASAM_HOME;
const MODEL = 'fixture-tiny';

before(async () => {
  await initBackend();
  fx = loadFixture();
  home = mkdtempSync(join(tmpdir(), 'pasam-onnx-sam-'));
  process.env.PASAM_HOME = home;
  await importCheckpoint(join(fx.dir, fx.manifest.checkpoints.pth!), { name: MODEL, config: fx.config });
});
after(async () => {
  await releaseOrtSessions();
  if (savedHome === undefined) delete process.env.PASAM_HOME;
  else process.env.PASAM_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

function promptOf(name: string): SamPrompt {
  const p = fx.manifest.prompts[name]!;
  return { points: p.point_coords ?? undefined, labels: p.point_labels ?? undefined, box: p.box ?? undefined, maskInput: p.mask_input ? fixtureFile(fx, p.mask_input) : undefined };
}

test('SAM exports once to the model library and the export is reused', async () => {
  const first = await ensureSamOnnx(MODEL);
  assert.equal(first.exported, true);
  assert.equal(first.card.kind, 'sam');
  assert.equal(first.card.preprocessing.inputSize, fx.config.imgSize);
  assert.deepEqual(first.card.preprocessing.normalize.mean, fx.config.pixelMean);
  assert.deepEqual(first.card.signatures.encoder!.inputs[0]!.shape, ['batch', 3, fx.config.imgSize, fx.config.imgSize]);
  const again = await ensureSamOnnx(MODEL);
  assert.equal(again.exported, false, 'an up-to-date export is not redone');
  assert.equal(again.dir, first.dir);
});

test('ONNX SAM graphs reproduce every reference fixture tensor (1e-4)', async () => {
  const { dir } = await ensureSamOnnx(MODEL);
  const encoder = await openOrtSession(join(dir, 'encoder.onnx'));
  const decoder = await openOrtSession(join(dir, 'decoder.onnx'));
  const failures: string[] = [];
  const check = (name: string, actual: ArrayLike<number>) => {
    const problem = compareTensors(actual, fixtureTensor(fx, name).data);
    if (problem) failures.push(`${name}: ${problem}`);
  };
  const input = fixtureTensor(fx, 'input_preprocessed');
  const emb = (await encoder.run({ image: new ort.Tensor('float32', input.data, input.shape) })).image_embeddings!;
  check('image_embeddings', emb.data as Float32Array);
  const g = emb.dims[2]!;
  const [h, w] = fx.manifest.image_size_hw;
  let checked = 0;
  for (const [name, p] of Object.entries(fx.manifest.prompts)) {
    const coords = [...(p.point_coords ?? [])];
    const labels = [...(p.point_labels ?? [])];
    if (p.box) coords.push([p.box[0]!, p.box[1]!], [p.box[2]!, p.box[3]!]), labels.push(2, 3);
    else coords.push([0, 0]), labels.push(-1);
    const out = await decoder.run({
      image_embeddings: emb,
      point_coords: new ort.Tensor('float32', Float32Array.from(coords.flat()), [1, coords.length, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, labels.length]),
      mask_input: new ort.Tensor('float32', p.mask_input ? fixtureFile(fx, p.mask_input) : new Float32Array(16 * g * g), [1, 1, 4 * g, 4 * g]),
      has_mask_input: new ort.Tensor('float32', new Float32Array([p.mask_input ? 1 : 0]), [1]),
      orig_im_size: new ort.Tensor('float32', new Float32Array([h, w]), [2]),
    });
    const masks = out.masks!.data as Float32Array;
    const low = out.low_res_masks!.data as Float32Array;
    const iou = out.iou_predictions!.data as Float32Array;
    assert.deepEqual(out.masks!.dims, [1, 4, h, w]);
    for (const [kind, start, count] of [['multi', 1, 3], ['single', 0, 1]] as const) {
      const key = `${name}_${kind}`;
      if (!fx.manifest.tensors[`${key}_masks`]) continue;
      check(`${key}_masks`, masks.slice(start * h * w, (start + count) * h * w));
      check(`${key}_iou`, iou.slice(start, start + count));
      if (fx.manifest.tensors[`${key}_low_res`]) check(`${key}_low_res`, low.slice(start * 16 * g * g, (start + count) * 16 * g * g));
      checked++;
    }
  }
  assert.ok(checked >= 7, `compared ${checked} prompt outputs`);
  assert.deepEqual(failures, []);
});

test('the ONNX Runtime predictor equals the tfjs predictor on the fixture image (1e-4)', async () => {
  const img = await fixtureImage(fx);
  const ortPredictor = await openInteractivePredictor(MODEL, { engine: 'onnx' });
  assert.ok(ortPredictor instanceof OrtSamPredictor);
  assert.equal(ortPredictor.engine, 'onnxruntime');
  await ortPredictor.setImage(img);
  const { manifest, weights } = await loadModelWeights(MODEL);
  const model = new SamModel(manifest.config, weights);
  const tfPredictor = new SamPredictor(model, manifest.modelId);
  try {
    await tfPredictor.setImage(img);
    const failures: string[] = [];
    for (const name of Object.keys(fx.manifest.prompts)) {
      for (const multimask of [true, false]) {
        const prompt = { ...promptOf(name), multimask };
        const a = await ortPredictor.predict(prompt);
        const b = tfPredictor.predict(prompt);
        assert.equal(a.maskLogits.length, b.maskLogits.length);
        a.maskLogits.forEach((m, i) => {
          const p = compareTensors(m, b.maskLogits[i]!);
          if (p) failures.push(`${name}/${multimask} mask ${i}: ${p}`);
          const q = compareTensors(a.lowResLogits[i]!, b.lowResLogits[i]!);
          if (q) failures.push(`${name}/${multimask} low-res ${i}: ${q}`);
        });
        const q = compareTensors(a.iouScores, b.iouScores);
        if (q) failures.push(`${name}/${multimask} iou: ${q}`);
        assert.deepEqual([a.height, a.width], [b.height, b.width]);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    tfPredictor.reset();
    model.dispose();
  }
});
