import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectStore } from '../../app/store/projectStore.js';
import { augmentBatch, chooseRunMasks, labelBatch, labelOnGrid, loadRunData, mixSeed } from '../../app/engine/dataPipeline.js';
import { makeNeuProject } from '../helpers/neuProject.js';

test('a run takes the latest mask version of each image and records exactly those', async () => {
  const dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000502', 'train'],
    ['test_000001', 'val'],
    ['test_000002', 'test'],
  ]);
  const store = ProjectStore.open(dir);
  try {
    const [a] = store.listImages({ split: 'train' });
    const original = store.latestMask(a!.id)!;
    const edited = store.readMask(original);
    edited.fill(0, 0, 200 * 20); // the engineer erased the top rows
    const v2 = store.addMaskVersion(a!.id, edited, { source: 'manual' });
    const chosen = chooseRunMasks(store, { seed: 1, valFraction: 0.5 });
    assert.equal(chosen.valSource, 'val');
    assert.ok(chosen.used.some((u) => u.maskVersionId === v2.id && u.split === 'train'));
    assert.ok(!chosen.used.some((u) => u.maskVersionId === original.id), 'the superseded version is not used');
    assert.equal(chosen.used.filter((u) => u.split === 'val').length, 1);
    assert.equal(chosen.used.length, 3, 'test images are never used for training or validation');
    const run = store.createRun({ name: 'r' });
    store.setRunMaskVersions(run.id, chosen.used);
    // A newer edit after the run started does not change what the run trains on.
    store.addMaskVersion(a!.id, store.readMask(v2).fill(2, 0, 10), { source: 'manual' });
    const data = await loadRunData(store, store.runMaskVersions(run.id), 'val', 224);
    const sample = data.train.find((s) => s.imageId === a!.id)!;
    assert.equal(sample.maskVersionId, v2.id);
    assert.deepEqual(sample.label, store.readMask(v2));
    assert.equal(sample.resized.width, 224);
    assert.equal(sample.resizedLabel.length, 224 * 224);
  } finally {
    store.close();
  }
});

test("an unreviewed model prediction is no ground truth: the human version before it trains, until the image is reviewed", async () => {
  const dir = await makeNeuProject([
    ['train_000501', 'train'],
    ['train_000502', 'train'],
  ]);
  const store = ProjectStore.open(dir);
  try {
    const [a, b] = store.listImages({ split: 'train' });
    const imported = store.latestMask(a!.id)!;
    const prediction = store.addMaskVersion(a!.id, new Uint8Array(200 * 200).fill(1), { source: 'model' });
    let used = chooseRunMasks(store, { seed: 1, valFraction: 0 }).used.map((u) => u.maskVersionId);
    assert.ok(used.includes(imported.id) && !used.includes(prediction.id), 'the imported mask trains, not the unreviewed prediction');
    store.setStatus([a!.id], 'reviewed');
    used = chooseRunMasks(store, { seed: 1, valFraction: 0 }).used.map((u) => u.maskVersionId);
    assert.ok(used.includes(prediction.id), 'once reviewed, the accepted prediction is ground truth');
    assert.ok(used.includes(store.latestMask(b!.id)!.id), 'images without predictions keep their latest mask');
  } finally {
    store.close();
  }
});

test('without val images a seeded share of train is held out (the same for the same seed)', async () => {
  const ids = ['train_000501', 'train_000502', 'train_000503', 'train_000504', 'train_000505', 'train_000506'];
  const dir = await makeNeuProject(ids.map((id) => [id, 'train']));
  const store = ProjectStore.open(dir);
  try {
    const a = chooseRunMasks(store, { seed: 7, valFraction: 0.34 });
    const b = chooseRunMasks(store, { seed: 7, valFraction: 0.34 });
    assert.equal(a.valSource, 'held-out');
    assert.deepEqual(a.used, b.used);
    assert.equal(a.used.filter((u) => u.split === 'val').length, 2);
    const seeds = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => JSON.stringify(chooseRunMasks(store, { seed: s, valFraction: 0.34 }).used)));
    assert.ok(seeds.size > 1, 'the held-out share depends on the seed');
    const none = chooseRunMasks(store, { seed: 7, valFraction: 0 });
    assert.equal(none.valSource, 'train');
    assert.ok(none.used.every((u) => u.split === 'train'));
  } finally {
    store.close();
  }
});

test('labels on the logits grid are nearest samples at cell centres, padding is background', () => {
  // A 6×3 resized label (w 6, h 3) inside S = 8, grid 4 (cells of 2 px, centres at 1, 3, 5, 7).
  const w = 6;
  const h = 3;
  const lab = Uint8Array.from({ length: w * h }, (_, i) => (i % w) + 10 * Math.floor(i / w));
  const g = labelOnGrid(lab, w, h, 8, 4);
  assert.deepEqual([...g], [11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const t = labelBatch([{ resized: { width: w, height: h, data: new Uint8Array(w * h * 3) }, resizedLabel: lab }], 8, 4);
  assert.deepEqual(t.shape, [1, 4, 4]);
  assert.equal(t.dtype, 'int32');
  t.dispose();
});

test('augmentation is seeded per batch, moves image and label together, and can be switched off', () => {
  const w = 4;
  const img = Uint8Array.from({ length: w * w * 3 }, (_, i) => Math.floor(i / 3) * 10);
  const label = Uint8Array.from({ length: w * w }, (_, i) => i);
  const sample = { imageId: 1, maskVersionId: 1, name: 'x', width: w, height: w, resized: { width: w, height: w, data: img }, label, resizedLabel: label };
  const aug = { hflip: true, vflip: true, rot90: true, brightness: 0, contrast: 0 };
  const a = augmentBatch([sample], aug, mixSeed(42, 0, 3));
  const b = augmentBatch([sample], aug, mixSeed(42, 0, 3));
  assert.deepEqual(a, b);
  // Geometry only: pixel value/10 still names its label after any flip/rotation.
  for (let i = 0; i < w * w; i++) assert.equal(a[0]!.resized.data[3 * i]! / 10, a[0]!.resizedLabel[i]);
  const differs = [1, 2, 3, 4, 5, 6].some((k) => JSON.stringify([...augmentBatch([sample], aug, mixSeed(42, 0, k))[0]!.resizedLabel]) !== JSON.stringify([...label]));
  assert.ok(differs);
  const off = augmentBatch([sample], { hflip: false, vflip: false, rot90: false, brightness: 0, contrast: 0 }, 5);
  assert.equal(off[0]!.resizedLabel, label);
});
