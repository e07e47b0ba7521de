import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore, CLASS_PALETTE, type NewImage } from '../../app/store/projectStore.js';
import { sha256Hex } from '../../app/store/contentStore.js';
import { LATEST_VERSION } from '../../app/store/migrations.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pasam-store-'));
}

/** Inserts `n` fake w×h images (real files in the content store) through commitImport. */
function addImages(store: ProjectStore, n: number, w = 4, h = 3, split: NewImage['split'] = 'train'): number[] {
  const images: NewImage[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = Buffer.from(`image-${i}-${Math.random()}`);
    const { sha256 } = store.content.put('images', bytes, 'png');
    images.push({ sha256, ext: 'png', originalName: `img_${i}.png`, sourcePath: null, width: w, height: h, split, groupKey: null, conversion: null, status: 'new' });
  }
  return store.commitImport({ source: 'test', format: 'test', report: {} }, images).imageIds;
}

test('create → open round trip keeps the project, classes with palette colours, and the layout', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(join(dir, 'proj'), { name: 'Steel', classes: ['scratch', 'inclusion'] });
    assert.equal(s.info().name, 'Steel');
    assert.equal(s.info().schemaVersion, LATEST_VERSION);
    s.close();
    for (const d of ['project.db', 'images', 'masks', 'models', 'runs']) assert.ok(existsSync(join(dir, 'proj', d)), d);
    const o = ProjectStore.open(join(dir, 'proj'));
    assert.deepEqual(o.listClasses(), [
      { index: 1, name: 'scratch', color: CLASS_PALETTE[0] },
      { index: 2, name: 'inclusion', color: CLASS_PALETTE[1] },
    ]);
    assert.equal(o.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(o.db.pragma('foreign_keys', { simple: true }), 1);
    o.close();
    assert.throws(() => ProjectStore.create(join(dir, 'proj'), { name: 'again' }), /already holds a project/);
    assert.throws(() => ProjectStore.open(dir), /not a pasam project/);
    assert.throws(() => ProjectStore.open(join(dir, 'missing')), /no such folder/);
    assert.throws(() => ProjectStore.create(join(dir, 'p2'), { name: 'x', classes: ['a', 'A'] }), /listed twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classes: add, rename, refuse duplicates and background', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(dir, { name: 'p' });
    assert.deepEqual(s.addClass('scratch'), { index: 1, name: 'scratch', color: CLASS_PALETTE[0] });
    assert.equal(s.addClass('dent', '#ABCDEF').color, '#abcdef');
    assert.throws(() => s.addClass('Scratch'), /already exists/);
    assert.throws(() => s.addClass('background'), /class 0/);
    assert.throws(() => s.addClass('a,b'), /commas/);
    assert.equal(s.renameClass('dent', 'pit').index, 2);
    assert.throws(() => s.renameClass('pit', 'scratch'), /already exists/);
    assert.throws(() => s.renameClass('nope', 'x'), /no class named 'nope'/);
    assert.deepEqual(s.listClasses().map((c) => c.name), ['scratch', 'pit']);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mask versions: every save is a new version, files are never overwritten, status follows manual saves', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(dir, { name: 'p', classes: ['a', 'b'] });
    const [id] = addImages(s, 1, 4, 3);
    assert.equal(s.latestMask(id!), null);
    const m1 = new Uint8Array([0, 1, 1, 0, 0, 2, 2, 0, 0, 0, 0, 0]);
    const v1 = s.addMaskVersion(id!, m1, { source: 'sam' });
    assert.equal(s.getImage(id!)!.status, 'new', 'a SAM proposal does not annotate');
    const bytes1 = readFileSync(s.maskPath(v1));
    const m2 = m1.slice();
    m2[0] = 2;
    const v2 = s.addMaskVersion(id!, m2, { source: 'manual', note: 'fix' });
    assert.equal(s.getImage(id!)!.status, 'annotated');
    assert.deepEqual([v1.version, v2.version], [1, 2]);
    assert.notEqual(v1.sha256, v2.sha256);
    assert.deepEqual(readFileSync(s.maskPath(v1)), bytes1, 'the first version file is untouched');
    assert.equal(sha256Hex(bytes1), v1.sha256);
    assert.deepEqual(s.readMask(v1), m1);
    assert.deepEqual(s.readMask(v2), m2);
    assert.equal(s.latestMask(id!)!.id, v2.id);
    assert.deepEqual(s.maskHistory(id!).map((v) => [v.version, v.source, v.note]), [
      [1, 'sam', null],
      [2, 'manual', 'fix'],
    ]);
    assert.deepEqual([...s.maskClassPixels(v2.id)].sort(), [[1, 2], [2, 3]]);
    // identical content saved again: new version row, same single file
    const v3 = s.addMaskVersion(id!, m1, { source: 'model', runId: 7 });
    assert.equal(v3.version, 3);
    assert.equal(v3.sha256, v1.sha256);
    assert.equal(v3.runId, 7);
    s.setStatus([id!], 'reviewed');
    s.addMaskVersion(id!, m2, { source: 'manual' });
    assert.equal(s.getImage(id!)!.status, 'reviewed', 'reviewed stays reviewed');
    assert.throws(() => s.addMaskVersion(id!, new Uint8Array(5), { source: 'manual' }), /has 5 values, expected 4×3/);
    assert.throws(() => s.addMaskVersion(id!, new Uint8Array(12).fill(3), { source: 'manual' }), /class value\(s\) 3 but the project has 2/);
    assert.throws(() => s.addMaskVersion(999, m1, { source: 'manual' }), /no image with id 999/);
    assert.equal(s.maskHistory(id!).length, 4, 'failed saves add nothing');
    // a damaged mask file is detected, not silently read
    writeFileSync(s.maskPath(v2), Buffer.from('garbage'));
    assert.throws(() => s.readMask(v2), /does not match its sha256/);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images: list filters, counts, bulk split/status/group', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(dir, { name: 'p', classes: ['a', 'b'] });
    const ids = addImages(s, 6, 2, 2);
    s.setSplit(ids.slice(0, 2), 'val', { lock: true });
    s.setSplit([ids[2]!], 'test');
    s.setGroup(ids.slice(3, 5), 'part-7');
    s.addMaskVersion(ids[0]!, new Uint8Array([0, 1, 0, 0]), { source: 'manual' });
    s.addMaskVersion(ids[0]!, new Uint8Array([0, 2, 0, 0]), { source: 'manual' }); // latest has only class 2
    s.addMaskVersion(ids[1]!, new Uint8Array([1, 1, 1, 0]), { source: 'model' });
    assert.deepEqual(s.listImages({ split: 'val' }).map((i) => i.id), ids.slice(0, 2));
    assert.ok(s.getImage(ids[0]!)!.splitLocked);
    assert.ok(!s.getImage(ids[2]!)!.splitLocked);
    assert.deepEqual(s.listImages({ split: ['val', 'test'] }).map((i) => i.id), ids.slice(0, 3));
    assert.deepEqual(s.listImages({ classIndex: 1 }).map((i) => i.id), [ids[1]], 'class filter looks at the latest mask only');
    assert.deepEqual(s.listImages({ classIndex: 2 }).map((i) => i.id), [ids[0]]);
    assert.deepEqual(s.listImages({ hasPrediction: true }).map((i) => i.id), [ids[1]]);
    assert.equal(s.countImages({ hasMask: false }), 4);
    assert.deepEqual(s.listImages({ groupKey: 'part-7' }).map((i) => i.id), ids.slice(3, 5));
    assert.deepEqual(s.listImages({ nameContains: 'IMG_5' }).map((i) => i.id), [ids[5]]);
    assert.deepEqual(s.listImages({ nameContains: '%' }), [], 'LIKE wildcards are literal');
    assert.deepEqual(s.listImages({ limit: 2, offset: 3 }).map((i) => i.id), ids.slice(3, 5));
    assert.deepEqual(s.listImages({ ids: [ids[4]!, ids[1]!] }).map((i) => i.id), [ids[1], ids[4]]);
    assert.equal(s.countImages({ status: 'annotated' }), 1);
    assert.throws(() => s.setSplit(ids, 'nope' as never), /unknown split/);
    const c = s.counts();
    assert.equal(c.images, 6);
    assert.equal(c.withMask, 2);
    assert.deepEqual(c.bySplit, { train: 3, val: 2, test: 1, unassigned: 0 });
    assert.deepEqual(c.byStatus, { new: 5, annotated: 1, reviewed: 0 });
    assert.deepEqual(c.byClass, [
      { index: 1, name: 'a', images: 1, pixels: 3 },
      { index: 2, name: 'b', images: 1, pixels: 1 },
    ]);
    assert.ok(existsSync(s.imagePath(s.getImage(ids[0]!)!)));
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('class removal refuses while latest masks use it, remaps on request and keeps indices contiguous', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(dir, { name: 'p', classes: ['a', 'b', 'c'] });
    const [i1, i2] = addImages(s, 2, 2, 2);
    const old = s.addMaskVersion(i1!, new Uint8Array([1, 2, 3, 0]), { source: 'manual' });
    s.addMaskVersion(i2!, new Uint8Array([3, 3, 0, 0]), { source: 'model', runId: 4 });
    assert.throws(() => s.removeClass('b'), /used by the latest mask of 1 image/);
    assert.deepEqual(s.listClasses().map((c) => c.name), ['a', 'b', 'c'], 'refusal changes nothing');
    const r = s.removeClass('b', { remapTo: 'c' });
    assert.equal(r.masksRewritten, 2);
    assert.deepEqual(s.listClasses().map((c) => [c.index, c.name]), [
      [1, 'a'],
      [2, 'c'],
    ]);
    assert.deepEqual(s.readMask(s.latestMask(i1!)!), new Uint8Array([1, 2, 2, 0]));
    const l2 = s.latestMask(i2!)!;
    assert.deepEqual(s.readMask(l2), new Uint8Array([2, 2, 0, 0]));
    assert.equal(l2.source, 'model');
    assert.equal(l2.runId, 4);
    assert.deepEqual(s.readMask(old), new Uint8Array([1, 2, 3, 0]), 'old versions are kept as saved');
    // an unused class goes without touching masks below it
    s.addClass('d');
    assert.equal(s.removeClass('d').masksRewritten, 0);
    assert.equal(s.removeClass('a', { remapTo: 'background' }).masksRewritten, 2);
    assert.deepEqual(s.readMask(s.latestMask(i1!)!), new Uint8Array([0, 1, 1, 0]));
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('training runs, epochs, run mask versions, checkpoints, base models, batch jobs, embeddings', () => {
  const dir = tempDir();
  try {
    const s = ProjectStore.create(dir, { name: 'p', classes: ['a'] });
    const [img] = addImages(s, 1, 2, 2);
    const mv = s.addMaskVersion(img!, new Uint8Array([1, 0, 0, 0]), { source: 'manual' });
    const bm = s.addBaseModel({ name: 'sam-b', kind: 'sam-vit-b', path: 'models/sam_b.safetensors', config: { dim: 768 } });
    assert.deepEqual(s.listBaseModels()[0]!.config, { dim: 768 });
    const run = s.createRun({ name: 'r1', baseModelId: bm.id, config: { lr: 1e-4 } });
    assert.equal(run.status, 'queued');
    assert.equal(s.updateRun(run.id, { status: 'running' }).startedAt !== null, true);
    s.addRunEpoch(run.id, 1, { loss: 0.5 });
    s.addRunEpoch(run.id, 2, { loss: 0.4 });
    s.addRunEpoch(run.id, 2, { loss: 0.3 });
    assert.deepEqual(s.listRunEpochs(run.id).map((e) => e.metrics.loss), [0.5, 0.3]);
    s.setRunMaskVersions(run.id, [{ maskVersionId: mv.id, split: 'train' }]);
    assert.deepEqual(s.runMaskVersions(run.id), [{ maskVersionId: mv.id, split: 'train' }]);
    assert.throws(() => s.setRunMaskVersions(run.id, [{ maskVersionId: 999, split: 'train' }]), /FOREIGN KEY/);
    const ck = s.addCheckpoint({ runId: run.id, epoch: 2, path: 'runs/1/ep2.bin', metrics: { miou: 0.7 } });
    const done = s.updateRun(run.id, { status: 'completed', metrics: { miou: 0.7 } });
    assert.ok(done.finishedAt);
    assert.deepEqual(done.metrics, { miou: 0.7 });
    assert.deepEqual(s.listCheckpoints(run.id).map((c) => c.id), [ck.id]);
    const job = s.createBatchJob({ kind: 'segment-folder', checkpointId: ck.id, source: '/in', output: '/out', items: ['/in/a.png', '/in/b.png'] });
    const items = s.listBatchJobItems(job.id);
    assert.equal(items.length, 2);
    s.updateBatchJobItem(items[0]!.id, { status: 'done', result: { pixels: 3 } });
    s.updateBatchJobItem(items[1]!.id, { status: 'failed', error: 'b.png: corrupt' });
    assert.deepEqual(s.batchJobProgress(job.id), { pending: 0, done: 1, failed: 1, skipped: 0 });
    assert.deepEqual(s.listBatchJobItems(job.id, { status: 'done' })[0]!.result, { pixels: 3 });
    assert.equal(s.updateBatchJob(job.id, { status: 'completed' }).status, 'completed');
    s.putEmbedding({ imageId: img!, modelKey: 'abc', path: 'runs/emb/1.bin' });
    assert.equal(s.getEmbedding(img!, 'abc')!.path, 'runs/emb/1.bin');
    assert.equal(s.deleteEmbeddings('abc'), 1);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
