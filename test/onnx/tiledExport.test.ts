// A run trained tiled (crops of S from native-resolution images) through the real job: its model
// card states the tiling, ONNX Runtime and tfjs segment tile by tile into the same full-resolution
// map, and Predict/batch (predictImages) use the tiles too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decodeImageRgb } from '../../app/images/imageIO.js';
import { readModelCard } from '../../app/onnx/modelCard.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { OrtSegmenter } from '../../app/onnx/ortSegmenter.js';
import { exportRunOnnx, openRunSegmentation } from '../../app/onnx/runExport.js';
import { predictImages } from '../../app/batch/batchPredict.js';
import { config, trainInProcess } from '../helpers/engineTestUtils.js';
import { makeNeuProject, NEU_DIR } from '../helpers/neuProject.js';

let dir: string;
let runId: number;
const tmp = mkdtempSync(join(tmpdir(), 'pasam-tiled-export-'));

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
  dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000201', 'train'],
  ]);
  const cfg = config({ model: { preset: 'tiny', base: null }, inputSize: 64, tileSize: 64, tileOverlap: 16, defectCropShare: 0.5, classWeighting: 'frequency', dicePresentOnly: true, epochs: 1, batchSize: 2, learningRate: 0.005, valFraction: 0, seed: 3 });
  const result = await trainInProcess(dir, cfg);
  assert.equal(result.status, 'completed', result.error);
  runId = result.runId;
  const store = ProjectStore.open(dir);
  try {
    const w = store.getRun(runId)!.metrics.classWeights as number[];
    assert.equal(w.length, 4, 'the run reports its class weights');
  } finally {
    store.close();
  }
});
after(async () => {
  await releaseOrtSessions();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

test('tiled run: the card states the tiling; ONNX Runtime and tfjs give the same tiled map', async () => {
  const store = ProjectStore.open(dir);
  try {
    const out = join(tmp, 'onnx');
    await exportRunOnnx(store, runId, out);
    const card = readModelCard(join(out, 'model.json'));
    assert.deepEqual([card.tiling?.tile, card.tiling?.overlap, card.tiling?.scale], [64, 16, 1]);
    assert.match(card.tiling!.procedure, /64×64 tiles with 16 px overlap/);
    const ort = await OrtSegmenter.open(out);
    assert.deepEqual(ort.tiling, { tile: 64, overlap: 16, scale: 1 });
    const img = await decodeImageRgb(readFileSync(join(NEU_DIR, 'images', 'test_000001.jpg')), 'test_000001');
    const tfSeg = await openRunSegmentation(store, runId, { engine: 'tfjs' });
    try {
      assert.deepEqual(tfSeg.tiling, ort.tiling);
      const [a] = await ort.segment([img]);
      const [b] = await tfSeg.segment([img]);
      assert.equal(a!.length, 200 * 200);
      let differ = 0;
      for (let p = 0; p < a!.length; p++) if (a![p] !== b![p]) differ++;
      assert.ok(differ <= a!.length * 1e-3, `${differ} pixels differ (only near-ties may)`);
      const [pred] = await predictImages(ort, [img]);
      assert.deepEqual(pred!.map, a);
      assert.ok(pred!.meanConfidence > 0 && pred!.meanConfidence <= 1);
    } finally {
      tfSeg.dispose();
    }
  } finally {
    store.close();
  }
});
