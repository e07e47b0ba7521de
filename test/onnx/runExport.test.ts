// A `tiny` PA-SAM fine-tuned for a few steps on NEU-Seg images through the real training job,
// then exported: the ONNX model equals the tfjs run model (1e-4), model.json says what a plant
// needs, the Triton repository is complete, `pasam model export` and `pasam segment` work
// through ONNX Runtime, and the export is cached per checkpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { loadRunSegmenter } from '../../app/engine/runModel.js';
import { decodeImageRgb, decodeMaskPng } from '../../app/images/imageIO.js';
import { readModelCard } from '../../app/onnx/modelCard.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { OrtSegmenter, TfjsSegmenter } from '../../app/onnx/ortSegmenter.js';
import { ensureRunOnnx, exportRunOnnx, openRunSegmentation, tritonFromExport } from '../../app/onnx/runExport.js';
import { runCliInProcess } from '../helpers/cli.js';
import { compareTensors } from '../helpers/samFixture.js';
import { config, trainInProcess } from '../helpers/engineTestUtils.js';
import { makeNeuProject, NEU_DIR } from '../helpers/neuProject.js';
import { parsePbtxt } from './pbtxt.js';

const TEST_IMAGES = ['test_000001', 'test_000002'];
let dir: string;
let runId: number;
const tmp = mkdtempSync(join(tmpdir(), 'pasam-run-export-'));

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
  dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000201', 'train'],
    [TEST_IMAGES[0]!, 'test'],
    [TEST_IMAGES[1]!, 'test'],
  ]);
  const cfg = config({ model: { preset: 'tiny', base: null }, inputSize: 112, epochs: 2, batchSize: 2, learningRate: 0.005, augmentation: false, valFraction: 0, seed: 7 });
  const result = await trainInProcess(dir, cfg);
  assert.equal(result.status, 'completed', result.error);
  runId = result.runId;
});
after(async () => {
  await releaseOrtSessions();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

async function testImages() {
  return Promise.all(TEST_IMAGES.map((id) => decodeImageRgb(readFileSync(join(NEU_DIR, 'images', `${id}.jpg`)), id)));
}

test('a fine-tuned tiny run exports to ONNX with a model card, and ONNX Runtime equals tfjs (1e-4)', async () => {
  const store = ProjectStore.open(dir);
  try {
    const out = join(tmp, 'onnx');
    const r = await exportRunOnnx(store, runId, out);
    assert.ok(existsSync(join(out, 'model.onnx')));
    const card = readModelCard(join(out, 'model.json'));
    assert.equal(card.kind, 'pasam');
    assert.deepEqual(card.classes.map((c) => [c.index, c.name]), [[0, 'background'], [1, 'inclusion'], [2, 'patches'], [3, 'scratches']]);
    for (const c of card.classes) assert.match(c.color, /^#[0-9a-f]{6}$/i);
    assert.equal(card.preprocessing.inputSize, 112);
    assert.deepEqual(card.preprocessing.normalize.std, [58.395, 57.12, 57.375]);
    assert.equal(card.source.run, String(runId));
    assert.equal(JSON.parse(String(card.source.dataVersion)).perSplit.train, 2);
    assert.ok(card.metrics && 'test' in card.metrics);
    assert.deepEqual(card.signatures.model!.inputs, [{ name: 'image', dtype: 'float32', shape: ['batch', 3, 112, 112] }]);

    const images = await testImages();
    const ortSeg = await OrtSegmenter.open(out);
    const loaded = await loadRunSegmenter(store, runId, r.checkpoint);
    const tfSeg = new TfjsSegmenter(loaded.model);
    try {
      // Logits: same preprocessing, both engines.
      const ortLogits = await ortSeg.logits(images);
      const d = loaded.model.describe();
      const { preprocessImage, preprocessShape, resizeRgbPil } = await import('../../app/model/sam/transforms.js');
      const parts = images.map((img) => {
        const [h, w] = preprocessShape(img.height, img.width, d.inputSize);
        return preprocessImage(h === img.height && w === img.width ? img : resizeRgbPil(img, w, h), d.inputSize, d.pixelMean, d.pixelStd).input;
      });
      const x = tf.concat(parts, 0) as tf.Tensor4D;
      tf.dispose(parts);
      const logits = tf.tidy(() => loaded.model.forward(x, { training: false }).transpose([0, 3, 1, 2]));
      const expected = logits.dataSync() as Float32Array;
      tf.dispose([x, logits]);
      assert.equal(compareTensors(ortLogits.data as Float32Array, expected), undefined);
      // Class maps at the original size.
      const a = await ortSeg.segment(images);
      const b = await tfSeg.segment(images);
      a.forEach((m, i) => {
        assert.equal(m.length, images[i]!.width * images[i]!.height);
        let differ = 0;
        for (let p = 0; p < m.length; p++) if (m[p] !== b[i]![p]) differ++;
        assert.ok(differ <= m.length * 1e-3, `image ${i}: ${differ} pixels differ (only near-ties may)`);
      });
    } finally {
      tfSeg.dispose();
    }
  } finally {
    store.close();
  }
});

test('the Triton repository holds the model, its config (names, shapes, dynamic batching) and the card', async () => {
  const repo = join(tmp, 'triton');
  const r = tritonFromExport(join(tmp, 'onnx'), repo, { name: 'neu_pasam', maxBatchSize: 4 });
  assert.equal(r.models.length, 1);
  assert.deepEqual(readdirSync(join(repo, 'neu_pasam')).sort(), ['1', 'config.pbtxt', 'model.json']);
  assert.deepEqual(readdirSync(join(repo, 'neu_pasam', '1')), ['model.onnx']);
  assert.deepEqual(readFileSync(join(repo, 'neu_pasam', '1', 'model.onnx')), readFileSync(join(tmp, 'onnx', 'model.onnx')));
  const cfg = parsePbtxt(readFileSync(join(repo, 'neu_pasam', 'config.pbtxt'), 'utf8'));
  assert.equal(cfg.name, 'neu_pasam');
  assert.equal(cfg.platform, 'onnxruntime_onnx');
  assert.equal(cfg.max_batch_size, 4);
  assert.deepEqual(cfg.input, [{ name: 'image', data_type: 'TYPE_FP32', dims: [3, 112, 112] }]);
  assert.deepEqual(cfg.output, [
    { name: 'logits', data_type: 'TYPE_FP32', dims: [4, 28, 28] },
    { name: 'labels', data_type: 'TYPE_INT64', dims: [112, 112] },
  ]);
  assert.deepEqual(cfg.dynamic_batching, { preferred_batch_size: [2, 4], max_queue_delay_microseconds: 2000 });
  assert.deepEqual(cfg.instance_group, [{ count: 1, kind: 'KIND_GPU' }]);
});

test('segmentation uses a cached per-checkpoint export through ONNX Runtime', async () => {
  const store = ProjectStore.open(dir);
  try {
    const first = await ensureRunOnnx(store, runId);
    const second = await ensureRunOnnx(store, runId);
    assert.equal(first.exported, true);
    assert.equal(second.exported, false);
    assert.equal(first.dir, second.dir);
    const engine = await openRunSegmentation(store, runId, { engine: 'auto' });
    assert.equal(engine.engine, 'onnxruntime');
    const tfEngine = await openRunSegmentation(store, runId, { engine: 'tfjs' });
    assert.equal(tfEngine.engine, 'tfjs');
    tfEngine.dispose();
  } finally {
    store.close();
  }
});

test('pasam model export (triton) and pasam segment (ONNX Runtime) from the CLI', async () => {
  const out = join(tmp, 'cli-triton');
  const res = await runCliInProcess(['model', 'export', dir, '--run', String(runId), '--format', 'triton', '--out', out, '--name', 'line3', '--json']);
  assert.equal(res.code, 0, res.stderr);
  const summary = JSON.parse(res.stdout);
  assert.equal(summary.kind, 'pasam');
  assert.deepEqual(summary.classes, ['background', 'inclusion', 'patches', 'scratches']);
  assert.ok(existsSync(join(out, 'line3', 'config.pbtxt')) && existsSync(join(out, 'line3', '1', 'model.onnx')));
  assert.ok(!existsSync(join(out, '.export')), 'the staging folder is removed');
  const usage = await runCliInProcess(['model', 'export', dir, '--format', 'onnx', '--out', join(tmp, 'x')]);
  assert.equal(usage.code, 2, 'no --run / --sam is a usage error');
  const notEmpty = await runCliInProcess(['model', 'export', dir, '--run', String(runId), '--out', out]);
  assert.equal(notEmpty.code, 2);
  assert.match(notEmpty.stderr, /not empty/);

  const input = join(tmp, 'in');
  const { mkdirSync, copyFileSync } = await import('node:fs');
  mkdirSync(input);
  for (const id of TEST_IMAGES) copyFileSync(join(NEU_DIR, 'images', `${id}.jpg`), join(input, `${id}.jpg`));
  const masksOut = join(tmp, 'masks');
  const seg = await runCliInProcess(['segment', dir, '--run', String(runId), input, masksOut, '--json']);
  assert.equal(seg.code, 0, seg.stderr);
  const report = JSON.parse(seg.stdout);
  assert.equal(report.engine, 'onnxruntime');
  assert.equal(report.written.length, 2);
  const mask = await decodeMaskPng(readFileSync(join(masksOut, `${TEST_IMAGES[0]}.png`)), 'mask');
  assert.deepEqual([mask.width, mask.height], [200, 200]);
  assert.ok(Array.from(mask.data).every((v) => v <= 3));
});
