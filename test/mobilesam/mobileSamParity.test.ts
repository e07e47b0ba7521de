// Acceptance test: MobileSAM (TinyViT encoder + SAM prompt encoder / mask decoder) imported from
// the official `.pt` reproduces every tensor the reference implementation produced. The fixture
// folder comes from PASAM_MOBILESAM_FIXTURE (default ../shared/fixtures/mobile-sam); the
// architecture is read from the checkpoint's shapes and must agree with the manifest's config.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, statSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { loadModelWeights } from '../../app/model/library.js';
import { SamModel } from '../../app/model/sam/samModel.js';
import { SamPredictor, type SamPrompt } from '../../app/model/sam/predictor.js';
import { preprocessImage } from '../../app/model/sam/transforms.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { compareTensors, fixtureImage, fixtureTensor, loadFixture, nhwcToNchw, useTempPasamHome, FIXTURE_DIR as SAM_TINY_DIR, type SamFixture } from '../helpers/samFixture.js';

const FIXTURE_DIR = process.env.PASAM_MOBILESAM_FIXTURE ?? join(SHARED_DIR, 'fixtures', 'mobile-sam');
let fx: SamFixture;
const home = useTempPasamHome('pasam-mobilesam-');

before(async () => {
  await initBackend();
  fx = loadFixture(FIXTURE_DIR);
});

test('MobileSAM from the official .pt reproduces every reference tensor (1e-4), architecture read from the shapes', async () => {
  const file = join(fx.dir, fx.manifest.checkpoints.pt ?? Object.values(fx.manifest.checkpoints)[0]);
  const { manifest } = await importCheckpoint(file, { name: 'mobile-fixture', preset: 'auto' });
  assert.equal(manifest.preset, 'mobile_sam');
  // Everything the weights say agrees with what the reference was built with.
  // (Stage 0 is MBConv only: its heads and window size are unused and not in the weights.)
  const comparable = (c: typeof fx.config) => ({ ...c, imgSize: 0, tinyVit: { ...c.tinyVit!, numHeads: c.tinyVit!.numHeads.slice(1), windowSizes: c.tinyVit!.windowSizes.slice(1) } });
  assert.deepEqual(comparable(manifest.config), comparable(fx.config));

  const tensorsBefore = tf.memory().numTensors;
  const { weights } = await loadModelWeights(manifest.name);
  const model = new SamModel(manifest.config, weights, fx.config.imgSize);
  const failures: string[] = [];
  const checked = new Set<string>();
  const check = (name: string, actual: ArrayLike<number>) => {
    const problem = compareTensors(actual, fixtureTensor(fx, name).data);
    if (problem) failures.push(`${name}: ${problem}`);
    checked.add(name);
  };
  try {
    const img = await fixtureImage(fx);
    assert.deepEqual([img.height, img.width], fx.manifest.image_size_hw);
    const s = model.inputSize;
    const g = model.grid;
    const c = fx.config.promptEmbedDim;
    const { input } = preprocessImage(img, s, fx.config.pixelMean, fx.config.pixelStd);
    check('input_preprocessed', nhwcToNchw(input.dataSync() as Float32Array, s, s, 3));
    const emb = model.encodeImage(input, {
      onTap: (name, t) => {
        if (!fx.manifest.tensors[name]) return;
        // patch_embed is NCHW in the fixture; the stages are token sequences (1, N, C) as ours.
        if (name === 'patch_embed') check(name, nhwcToNchw(t.dataSync() as Float32Array, t.shape[1]!, t.shape[2]!, t.shape[3]!));
        else check(name, t.dataSync() as Float32Array);
      },
    });
    check('image_embeddings', nhwcToNchw(emb.dataSync() as Float32Array, g, g, c));
    tf.dispose([input, emb]);
    check('dense_pe', nhwcToNchw(model.densePe().dataSync() as Float32Array, g, g, c));

    const predictor = new SamPredictor(model, manifest.modelId);
    await predictor.setImage(img);
    for (const [caseName, p] of Object.entries(fx.manifest.prompts)) {
      const prompt: SamPrompt = { points: p.point_coords ?? undefined, labels: p.point_labels ?? undefined, box: p.box ?? undefined };
      for (const [mode, multimask] of [['multi', true], ['single', false]] as const) {
        const key = `${caseName}_${mode}`;
        if (!fx.manifest.tensors[`${key}_masks`]) continue;
        const out = predictor.predict({ ...prompt, multimask });
        const flat = (arrs: Float32Array[]) => Float32Array.from(arrs.flatMap((a) => Array.from(a)));
        check(`${key}_masks`, flat(out.maskLogits));
        check(`${key}_iou`, out.iouScores);
        if (fx.manifest.tensors[`${key}_low_res`]) check(`${key}_low_res`, flat(out.lowResLogits));
      }
    }
    predictor.reset();
  } finally {
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, 'loading, running and disposing the model leaves no tensor behind');
  const unchecked = Object.keys(fx.manifest.tensors).filter((n) => !checked.has(n));
  assert.deepEqual(unchecked, [], 'every fixture tensor is compared');
  assert.deepEqual(failures, [], `tensors differ from the reference:\n${failures.join('\n')}`);
});

test('a truncated MobileSAM file and a ViT checkpoint passed as MobileSAM are refused, naming the file and the problem', async () => {
  const file = join(fx.dir, fx.manifest.checkpoints.pt ?? Object.values(fx.manifest.checkpoints)[0]);
  const truncated = join(home.dir, 'truncated_mobile_sam.pt');
  copyFileSync(file, truncated);
  const size = statSync(truncated).size;
  const fd = openSync(truncated, 'r+');
  try {
    // Keep the first two thirds: the zip's central directory (at the end) is gone.
    const { ftruncateSync } = await import('node:fs');
    ftruncateSync(fd, Math.floor((size * 2) / 3));
    writeSync(fd, Buffer.alloc(0));
  } finally {
    closeSync(fd);
  }
  await assert.rejects(importCheckpoint(truncated, { name: 'trunc', preset: 'mobile_sam' }), (err: Error) => {
    assert.match(err.message, /truncated_mobile_sam\.pt/);
    return true;
  });
  const vit = join(SAM_TINY_DIR, 'sam_tiny.pth');
  await assert.rejects(importCheckpoint(vit, { name: 'vit-as-mobile', preset: 'mobile_sam' }), (err: Error) => {
    assert.match(err.message, /sam_tiny\.pth/);
    assert.match(err.message, /not a MobileSAM checkpoint: its image encoder is a SAM ViT/);
    return true;
  });
  await assert.rejects(importCheckpoint(file, { name: 'mobile-as-vit', preset: 'vit_b' }), /MobileSAM \(TinyViT\) checkpoint, not SAM vit_b/);
});
