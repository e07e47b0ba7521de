// The review view's predictions through the real job worker on a tiny run trained on four NEU-Seg
// images: the run's real class map scored against the image's mask; one job per (image, checkpoint,
// mask version) — asked again it is the kept answer, a new mask version is a new job; the next
// images are predicted ahead in one job, and asking for one of them then starts none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiService } from '../../app/api/apiService.js';
import { PredictionReviewCache, predictInJobWorker, predictionReviewHandlers } from '../../app/api/predictionReviews.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decodeImageRgb } from '../../app/images/imageIO.js';
import { openRunSegmentation } from '../../app/onnx/runExport.js';
import { imageIoU } from '../../app/finetune/predictionReview.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';
import { tempDir } from '../helpers/tempDir.js';

let dir: string;
let runId: number;
let store: ProjectStore;
const jobs: number[][] = [];
const cache = new PredictionReviewCache((projectDir, run, ids) => {
  jobs.push(ids);
  return predictInJobWorker(projectDir, run, ids);
});

before(async () => {
  ({ dir, runId } = await trainedTinyNeuProject());
  store = ProjectStore.open(dir);
});
after(() => store?.close());

test('one job per image and mask version; the real prediction scored against the real mask', async () => {
  const [a, b, c] = store.listImages({});
  const first = await cache.get(store, a!, runId);
  assert.deepEqual(jobs, [[a!.id]]);

  const engine = await openRunSegmentation(store, runId, { checkpoint: 'auto' });
  try {
    const [expected] = await engine.segment([await decodeImageRgb(readFileSync(store.imagePath(a!)), a!.originalName)]);
    assert.deepEqual(first.prediction.data, expected, 'the run’s own class map');
  } finally {
    engine.dispose();
  }
  const latest = store.latestMask(a!.id)!;
  assert.equal(first.truth?.maskVersionId, latest.id);
  const names = ['background', ...store.listClasses().map((k) => k.name)];
  assert.deepEqual(first.iou, imageIoU(store.readMask(latest), first.prediction.data, names));

  assert.equal(await cache.get(store, a!, runId), first, 'asked again: the kept answer, no job');
  assert.equal(jobs.length, 1);

  // The next images ahead, in one job; asking for one of them meanwhile waits for that job.
  cache.prefetch(store, runId, [b!.id, c!.id]);
  const ahead = await cache.get(store, b!, runId);
  assert.deepEqual(jobs.slice(1), [[b!.id, c!.id]]);
  assert.equal(ahead.imageId, b!.id);
  await cache.get(store, c!, runId);
  assert.equal(jobs.length, 2);

  // A new mask version is scored anew, against the new mask.
  const edited = store.readMask(latest).slice();
  edited.fill(1, 0, edited.length / 4);
  const v = store.addMaskVersion(a!.id, edited, { source: 'manual' });
  const rescored = await cache.get(store, a!, runId);
  assert.equal(jobs.length, 3);
  assert.equal(rescored.truth?.version, v.version);
  assert.deepEqual(rescored.prediction.data, first.prediction.data);
  assert.deepEqual(rescored.iou, imageIoU(edited, first.prediction.data, names));
});

test('the API method: the active model by default, clear errors without one or for a run without a model', async () => {
  const api = new ApiService({ transport: 'http', projectDir: dir, home: tempDir('review-home') });
  try {
    const image = (await api.invoke('images.list', {})).items[0]!;
    await assert.rejects(api.invoke('model.reviewPrediction', { imageId: image.id }), /no active model: choose one/);
    await assert.rejects(api.invoke('model.reviewPrediction', { imageId: image.id, runId: 999 }), /no training run with id 999/);
    await assert.rejects(api.invoke('model.reviewPrediction', { imageId: 999_999, runId }), /no image with id 999999/);
    await api.invoke('model.setActive', { runId });
    const handlers = predictionReviewHandlers({ requireStore: () => store, requireImage: (id) => store.getImage(id)! }, cache);
    const viaActive = await handlers['model.reviewPrediction']({ imageId: image.id });
    assert.equal(viaActive.runId, runId);
  } finally {
    api.close();
  }
});
