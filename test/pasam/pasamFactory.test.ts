// createPasam builds PA-SAM on a library model (the fixture checkpoint imported for real) or from
// a preset; the base is reported so trained tensors go back onto the same weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../app/engine/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { createPasam, parsePasamBase } from '../../app/model/pasam/pasamFactory.js';
import { compareTensors, fixtureTensor, loadFixture, type SamFixture } from '../sam/samFixture.js';
import { nchwToNhwc } from './pasamTestUtils.js';

let fx: SamFixture;
let home: string;
const savedHome = process.env.PASAM_HOME;

before(async () => {
  await initBackend();
  fx = loadFixture();
  home = mkdtempSync(join(tmpdir(), 'pasam-factory-'));
  process.env.PASAM_HOME = home;
});
after(() => {
  if (savedHome === undefined) delete process.env.PASAM_HOME;
  else process.env.PASAM_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

test('a library model becomes a PA-SAM whose encoder starts as that SAM; the base id is the model id', async () => {
  const { manifest } = await importCheckpoint(join(fx.dir, fx.manifest.checkpoints.pth), { name: 'tiny-sam', config: fx.config });
  const before = tf.memory().numTensors;
  const { model, baseId } = await createPasam({ base: parsePasamBase('tiny-sam'), config: { lora: { rank: 4 } }, numClasses: 3 });
  assert.equal(baseId, manifest.modelId);
  assert.equal(model.config.lora.rank, 4);
  const t = fixtureTensor(fx, 'input_preprocessed');
  const input = nchwToNhwc(t.data, t.shape);
  const emb = model.imageEmbeddings(input);
  const nchw = tf.tidy(() => emb.transpose([0, 3, 1, 2]).dataSync() as Float32Array);
  assert.equal(compareTensors(nchw, fixtureTensor(fx, 'image_embeddings').data), undefined);
  tf.dispose([input, emb]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'the loaded SAM weights are released');
});

test('scratch presets and bad bases', async () => {
  const { model, baseId } = await createPasam({ base: parsePasamBase('scratch:tiny'), config: { inputSize: 64 }, numClasses: 2, seed: 4 });
  assert.equal(baseId, 'scratch:tiny');
  assert.equal(model.describe().inputSize, 64);
  model.dispose();
  assert.throws(() => parsePasamBase('scratch:vit_q'), /unknown preset in 'scratch:vit_q' \(known: scratch:tiny, scratch:vit_b/);
  await assert.rejects(createPasam({ base: { kind: 'library', model: 'nope' }, numClasses: 2 }), /model 'nope' is not in the library/);
  await assert.rejects(createPasam({ base: { kind: 'scratch', preset: 'tiny' }, config: { lora: { rank: 0 } }, numClasses: 2 }), /lora\.rank must be a positive integer/);
});
