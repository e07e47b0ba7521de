// The interactive predictor holds no tensors beyond the model and one embedding: repeated clicks,
// image switches and the embedding cache leave tf.memory() where it was.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { FileEmbeddingCache } from '../../app/model/sam/embeddingCache.js';
import { loadSamModel } from '../../app/model/sam/loadSam.js';
import { SamPredictor } from '../../app/model/sam/predictor.js';
import { compareTensors, fixtureImage, fixtureTensor, importFixtureModel, loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
const tmp = useTempPasamHome('pasam-pred-');

before(async () => {
  await initBackend();
  fx = loadFixture();
  await importFixtureModel(fx);
});

test('repeated predict calls and image switches leak no tensors; dispose frees the model', async () => {
  const baseline = tf.memory().numTensors;
  const { model, manifest } = await loadSamModel('tiny');
  const predictor = new SamPredictor(model, manifest.modelId);
  const img = await fixtureImage(fx);
  await predictor.setImage(img);
  predictor.predict({ points: [[30, 60]], labels: [1] }); // first call creates the model's dense PE
  const steady = tf.memory().numTensors;
  let lowRes: Float32Array | undefined;
  for (let i = 0; i < 5; i++) {
    const out = predictor.predict({ points: [[30 + i, 60], [70, 50]], labels: [1, 0], box: i % 2 ? [10, 30, 80, 140] : undefined, maskInput: lowRes, multimask: i % 2 === 0 });
    lowRes = out.lowResLogits[0];
    predictor.promptEmbeddings({ box: [5, 20, 90, 150] });
    assert.equal(tf.memory().numTensors, steady, `after predict ${i}`);
  }
  await predictor.setImage({ ...img, data: img.data.map((v) => 255 - v) });
  assert.equal(tf.memory().numTensors, steady, 'after switching images');
  assert.throws(() => predictor.predict({ points: [[1, 2]], labels: [1, 0] }), /one label per point/);
  assert.throws(() => predictor.predict({ maskInput: new Float32Array(3) }), /maskInput must hold 40×40/);
  assert.equal(tf.memory().numTensors, steady, 'after rejected prompts');
  predictor.reset();
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'model.dispose frees every weight');
});

test('the embedding cache persists per image, model and S, and a cached embedding predicts the same', async () => {
  const cacheDir = join(tmp.dir, 'project', 'cache', 'embeddings');
  const { model, manifest } = await loadSamModel('tiny');
  try {
    const img = await fixtureImage(fx);
    const first = new SamPredictor(model, manifest.modelId, new FileEmbeddingCache(cacheDir));
    assert.deepEqual(await first.setImage(img, 'img-1'), { fromCache: false });
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.f32')).length, 1);
    const a = first.predict({ box: [10, 30, 80, 140] });
    first.reset();
    // A fresh predictor (e.g. the project re-opened) loads it instead of running the encoder.
    const second = new SamPredictor(model, manifest.modelId, new FileEmbeddingCache(cacheDir));
    assert.deepEqual(await second.setImage(img, 'img-1'), { fromCache: true });
    const b = second.predict({ box: [10, 30, 80, 140] });
    assert.deepEqual(b.maskLogits, a.maskLogits);
    const expected = fixtureTensor(fx, 'box_multi_masks').data;
    assert.equal(compareTensors(Float32Array.from(b.maskLogits.flatMap((m) => Array.from(m))), expected), undefined);
    // Another model id or S is another key.
    const other = new SamPredictor(model, 'another-model', new FileEmbeddingCache(cacheDir));
    assert.deepEqual(await other.setImage(img, 'img-1'), { fromCache: false });
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.f32')).length, 2);
    assert.ok(!readdirSync(cacheDir).some((f) => f.includes('.tmp')));
    second.reset();
    other.reset();
  } finally {
    model.dispose();
  }
  assert.ok(existsSync(cacheDir));
});
