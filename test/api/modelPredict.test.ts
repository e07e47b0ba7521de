// "Predict" in the annotator: the API fills a pre-annotation from the project's newest completed
// fine-tuned run (tiny PA-SAM trained here on four NEU-Seg images), computed in the worker thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { SHARED_DIR } from '../helpers/cli.js';
import { join } from 'node:path';
import { ApiService } from '../../app/api/apiService.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decodeImageRgb } from '../../app/images/imageIO.js';
import { openRunSegmentation } from '../../app/onnx/runExport.js';
import { predictImages } from '../../app/batch/batchPredict.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';
import { tempDir } from '../helpers/tempDir.js';

let dir: string;
let runId: number;
let api: ApiService;

before(async () => {
  ({ dir, runId } = await trainedTinyNeuProject());
  api = new ApiService({ transport: 'http', projectDir: dir, home: tempDir('predict-home') });
});

after(() => api?.close());

test('model.predict returns the active run’s class map at the image’s size', async () => {
  const images = (await api.invoke('images.list', {})).items;
  const target = images[1]!;
  const r = await api.invoke('model.predict', { imageId: target.id });
  assert.deepEqual([r.mask.width, r.mask.height], [target.width, target.height]);
  // The same run's segmentation computed directly.
  const store = ProjectStore.open(dir);
  try {
    const file = store.imagePath(store.getImage(target.id)!);
    const engine = await openRunSegmentation(store, runId, { checkpoint: 'auto' });
    const [expected] = await predictImages(engine, [await decodeImageRgb(readFileSync(file), file)]);
    assert.deepEqual(r.mask.data, expected!.map);
    assert.equal(r.model, store.getRun(runId)!.name);
  } finally {
    store.close();
  }
  // Saved as the UI does it: a 'model' version, which the "has prediction" filter finds.
  await api.invoke('masks.save', { imageId: target.id, mask: r.mask, source: 'model' });
  const predicted = await api.invoke('images.list', { filter: { hasPrediction: true } });
  assert.deepEqual(predicted.items.map((i) => i.id), [target.id]);
});

test('without a fine-tuned run, Predict says what to do', async () => {
  const other = new ApiService({ transport: 'http', home: tempDir('predict-home2') });
  try {
    await other.invoke('projects.create', { dir: join(tempDir('predict-empty'), 'p'), name: 'empty', classes: [{ name: 'x', color: '#ffffff' }] });
    const src = tempDir('predict-src');
    copyFileSync(join(SHARED_DIR, 'datasets', 'neu-seg', 'images', 'test_000001.jpg'), join(src, 'a.jpg'));
    await other.invoke('images.import', { path: src });
    await assert.rejects(other.invoke('model.predict', { imageId: 1 }), /no fine-tuned model yet: train one/);
  } finally {
    other.close();
  }
});
