// The Trash (store v5): trashed images leave every listing, count and split but keep their rows
// and files; restore brings them back whole; permanent deletion removes rows and the content files
// nothing else references, keeps images a run trained on, and refuses images not in the Trash. A
// version 4 project (before the Trash) opens, migrates, and can trash and restore its images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore, type NewImage } from '../../app/store/projectStore.js';
import { migrate, schemaVersion } from '../../app/store/migrations.js';
import { groundTruthIds } from '../../app/dataset/groundTruth.js';
import { tempDir } from '../helpers/tempDir.js';

function addImages(store: ProjectStore, n: number, split: NewImage['split'] = 'train'): number[] {
  const images: NewImage[] = [];
  for (let i = 0; i < n; i++) {
    const { sha256 } = store.content.put('images', Buffer.from(`image-${i}-${Math.random()}`), 'png');
    images.push({ sha256, ext: 'png', originalName: `img_${i}.png`, sourcePath: null, width: 2, height: 2, split, groupKey: null, conversion: null, status: 'new' });
  }
  return store.commitImport({ source: 'test', format: 'test', report: {} }, images).imageIds;
}

test('trash hides an image from listings, counts and ground truth; restore brings it back with its mask', () => {
  const dir = tempDir('trash');
  const s = ProjectStore.create(dir, { name: 'p', classes: ['scratch'] });
  try {
    const [a, b, c] = addImages(s, 3);
    const mask = new Uint8Array([0, 1, 1, 0]);
    const v = s.addMaskVersion(a!, mask, { source: 'manual' });
    s.addMaskVersion(b!, mask, { source: 'manual' });
    assert.deepEqual(groundTruthIds(s, 'train').length, 2);

    assert.equal(s.trashImages([a!, c!]), 2);
    assert.equal(s.trashImages([a!]), 0, 'already in the Trash');
    assert.deepEqual(s.listImages().map((i) => i.id), [b]);
    assert.deepEqual(s.listImages({ trashed: true }).map((i) => i.id), [a, c]);
    assert.equal(s.countImages({ split: 'train' }), 1);
    const counts = s.counts();
    assert.deepEqual([counts.images, counts.trashed, counts.withMask, counts.bySplit.train, counts.byStatus.annotated, counts.byClass[0]!.images], [1, 2, 1, 1, 1, 1]);
    assert.equal(groundTruthIds(s, 'train').length, 1, 'a trashed image is neither trained nor evaluated on');
    assert.ok(s.getImage(a!)!.trashedAt, 'the record itself stays readable (the Trash view shows it)');

    assert.equal(s.restoreImages([a!]), 1);
    assert.equal(s.getImage(a!)!.trashedAt, null);
    assert.deepEqual(s.listImages().map((i) => i.id), [a, b]);
    assert.equal(s.getImage(a!)!.status, 'annotated');
    assert.deepEqual(s.readMask(s.latestMask(a!)!), mask);
    assert.equal(s.latestMask(a!)!.id, v.id);
    assert.equal(groundTruthIds(s, 'train').length, 2);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('permanent deletion removes rows and unshared files, keeps shared masks, run-used images and everything else', () => {
  const dir = tempDir('trash-del');
  const s = ProjectStore.create(dir, { name: 'p', classes: ['scratch'] });
  try {
    const [a, b, c, d] = addImages(s, 4);
    const shared = new Uint8Array([0, 1, 1, 0]);
    const own = new Uint8Array([1, 1, 1, 0]);
    const ma = s.addMaskVersion(a!, shared, { source: 'manual' });
    const ma2 = s.addMaskVersion(a!, own, { source: 'manual' });
    const mb = s.addMaskVersion(b!, shared, { source: 'manual' }); // identical content: one file, two rows
    const mc = s.addMaskVersion(c!, new Uint8Array([0, 0, 0, 1]), { source: 'manual' });
    const run = s.createRun({ name: 'r' });
    s.setRunMaskVersions(run.id, [{ maskVersionId: mc.id, split: 'train' }]);
    const job = s.createBatchJob({ kind: 'segment-folder', items: ['x.png'] });
    s.updateBatchJobItem(s.listBatchJobItems(job.id)[0]!.id, { status: 'done', imageId: a! });
    const imgA = s.getImage(a!)!;
    const bBytes = s.readImageBytes(s.getImage(b!)!);

    assert.throws(() => s.deleteTrashedImages([a!]), /image \d+ \(img_0\.png\) is not in the Trash/);
    assert.ok(existsSync(s.imagePath(imgA)), 'a refused deletion deletes nothing');

    s.trashImages([a!, c!]);
    const r = s.deleteTrashedImages([a!, c!]);
    assert.deepEqual(r.deleted, [a]);
    assert.deepEqual(r.kept, [{ id: c, name: 'img_2.png', runIds: [run.id] }]);
    assert.equal(r.filesRemoved, 2, "a's image file and its own mask; the mask shared with b stays");
    assert.equal(s.getImage(a!), null);
    assert.equal(s.maskHistory(a!).length, 0);
    assert.ok(!existsSync(s.imagePath(imgA)));
    assert.ok(!existsSync(s.maskPath(ma2)));
    assert.ok(existsSync(s.maskPath(ma)) && ma.sha256 === mb.sha256);
    assert.deepEqual(s.readMask(s.latestMask(b!)!), shared);
    assert.deepEqual(readFileSync(s.imagePath(s.getImage(b!)!)), bBytes);
    assert.ok(s.getImage(c!)!.trashedAt, 'the run-used image stays in the Trash');
    assert.deepEqual(s.runMaskVersions(run.id), [{ maskVersionId: mc.id, split: 'train' }]);
    assert.equal(s.listBatchJobItems(job.id)[0]!.imageId, null);
    assert.ok(s.getImage(d!));
    assert.deepEqual(s.db.pragma('foreign_key_check'), []);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version 4 project (before the Trash) opens, migrates to v5, and its images can be trashed and restored', () => {
  const dir = tempDir('trash-mig');
  try {
    mkdirSync(join(dir, 'images'));
    const db = new Database(join(dir, 'project.db'));
    migrate(db, 4);
    db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'old', '2026-01-01T00:00:00.000Z')").run();
    db.prepare("INSERT INTO images (id, sha256, ext, original_name, width, height, split, created_at) VALUES (1, ?, 'png', 'a.png', 2, 2, 'test', '2026-01-01T00:00:00.000Z')").run('a'.repeat(64));
    db.close();
    const s = ProjectStore.open(dir);
    try {
      assert.ok(schemaVersion(s.db) >= 5);
      assert.equal(s.getImage(1)!.trashedAt, null);
      assert.deepEqual(s.listImages({ split: 'test' }).map((i) => i.id), [1]);
      s.trashImages([1]);
      assert.equal(s.countImages(), 0);
      s.restoreImages([1]);
      assert.equal(s.countImages(), 1);
    } finally {
      s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
