// Acceptance test: a SAM built from the fixture manifest, with weights read through the importer
// (.pth and both .safetensors name sets), reproduces every tensor the reference produced.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { loadModelWeights } from '../../app/model/library.js';
import { SamModel } from '../../app/model/sam/samModel.js';
import { SamPredictor, type SamPrompt } from '../../app/model/sam/predictor.js';
import { preprocessImage } from '../../app/model/sam/transforms.js';
import { compareTensors, fixtureFile, fixtureImage, fixtureTensor, importFixtureModel, loadFixture, nhwcToNchw, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
useTempPasamHome('pasam-parity-');

before(async () => {
  await initBackend();
  fx = loadFixture();
});

function check(name: string, actual: ArrayLike<number>, failures: string[]): void {
  const expected = fixtureTensor(fx, name);
  const problem = compareTensors(actual, expected.data);
  if (problem) failures.push(`${name}: ${problem}`);
}

function promptOf(name: string): SamPrompt {
  const p = fx.manifest.prompts[name];
  return {
    points: p.point_coords ?? undefined,
    labels: p.point_labels ?? undefined,
    box: p.box ?? undefined,
    maskInput: p.mask_input ? fixtureFile(fx, p.mask_input) : undefined,
  };
}

async function runParity(checkpointKey: string): Promise<void> {
  const { manifest } = await importFixtureModel(fx, `fixture-${checkpointKey}`, checkpointKey);
  const { weights } = await loadModelWeights(manifest.name);
  const model = new SamModel(manifest.config, weights);
  const failures: string[] = [];
  const checked = new Set<string>();
  const mark = (n: string) => checked.add(n);
  try {
    const img = await fixtureImage(fx);
    assert.deepEqual([img.height, img.width], fx.manifest.image_size_hw);
    const s = model.inputSize;
    const g = model.grid;
    const c = fx.config.promptEmbedDim;

    // Preprocessing and the encoder with every intermediate.
    const { input } = preprocessImage(img, s, fx.config.pixelMean, fx.config.pixelStd);
    check('input_preprocessed', nhwcToNchw(input.dataSync() as Float32Array, s, s, 3), failures);
    mark('input_preprocessed');
    const emb = model.encodeImage(input, {
      onTap: (name, t) => {
        if (fx.manifest.tensors[name]) {
          check(name, t.dataSync() as Float32Array, failures);
          mark(name);
        }
      },
    });
    check('image_embeddings', nhwcToNchw(emb.dataSync() as Float32Array, g, g, c), failures);
    mark('image_embeddings');
    tf.dispose([input, emb]);
    check('dense_pe', nhwcToNchw(model.densePe().dataSync() as Float32Array, g, g, c), failures);
    mark('dense_pe');

    // Every prompt case through the predictor.
    const predictor = new SamPredictor(model, manifest.modelId);
    await predictor.setImage(img);
    for (const caseName of Object.keys(fx.manifest.prompts)) {
      const prompt = promptOf(caseName);
      const t = fx.manifest.tensors;
      if (t[`${caseName}_sparse`]) {
        const e = predictor.promptEmbeddings(prompt);
        check(`${caseName}_sparse`, e.sparse, failures);
        check(`${caseName}_dense`, nhwcToNchw(e.dense, g, g, c), failures);
        mark(`${caseName}_sparse`);
        mark(`${caseName}_dense`);
      }
      for (const [mode, multimask] of [['multi', true], ['single', false]] as const) {
        const key = `${caseName}_${mode}`;
        if (!t[`${key}_masks`]) continue;
        const out = predictor.predict({ ...prompt, multimask });
        const flat = (arrs: Float32Array[]) => Float32Array.from(arrs.flatMap((a) => Array.from(a)));
        check(`${key}_masks`, flat(out.maskLogits), failures);
        check(`${key}_iou`, out.iouScores, failures);
        mark(`${key}_masks`);
        mark(`${key}_iou`);
        if (t[`${key}_low_res`]) {
          check(`${key}_low_res`, flat(out.lowResLogits), failures);
          mark(`${key}_low_res`);
        }
      }
    }
    predictor.reset();
  } finally {
    model.dispose();
  }
  // Inputs to the reference (mask_input) are not outputs; everything else must have been compared.
  const inputsOnly = new Set(Object.values(fx.manifest.prompts).flatMap((p) => (p.mask_input ? [Object.entries(fx.manifest.tensors).find(([, v]) => v.file === p.mask_input)?.[0] ?? ''] : [])));
  const unchecked = Object.keys(fx.manifest.tensors).filter((n) => !checked.has(n) && !inputsOnly.has(n));
  assert.deepEqual(unchecked, [], 'every fixture tensor is compared');
  assert.deepEqual(failures, [], `tensors differ from the reference:\n${failures.join('\n')}`);
}

test('SAM from the official .pth reproduces every reference tensor (1e-4)', async () => {
  await runParity('pth');
});

test('SAM from .safetensors with official names reproduces every reference tensor', async () => {
  await runParity('safetensors_official_names');
});

test('SAM from .safetensors with Hugging Face SamModel names reproduces every reference tensor', async () => {
  await runParity('safetensors_hf_names');
});
