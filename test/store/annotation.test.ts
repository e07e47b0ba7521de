// The annotation rules of app/store/annotation.ts on a real project: which saves annotate an
// image, and the value table a class removal applies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { removalLut, saveUserMask, statusAfterSave } from '../../app/store/annotation.js';

function oneImageProject(dir: string): { store: ProjectStore; id: number } {
  const store = ProjectStore.create(dir, { name: 'p', classes: ['a', 'b'] });
  const { imageIds } = store.commitImport({ source: 'test', format: 'folder', report: {} }, [
    { sha256: 'f'.repeat(64), ext: 'png', originalName: 'x.png', sourcePath: null, width: 2, height: 2, split: 'train', groupKey: null, conversion: null, status: 'new' },
  ]);
  return { store, id: imageIds[0]! };
}

test('status rule: manual saves and user-accepted SAM masks annotate a new image; nothing else does', () => {
  assert.equal(statusAfterSave('new', 'manual', false), 'annotated');
  assert.equal(statusAfterSave('new', 'sam', true), 'annotated');
  assert.equal(statusAfterSave('new', 'sam', false), 'new');
  assert.equal(statusAfterSave('new', 'model', true), 'new');
  assert.equal(statusAfterSave('new', 'import', true), 'new');
  assert.equal(statusAfterSave('reviewed', 'manual', true), 'reviewed');
  assert.equal(statusAfterSave('annotated', 'model', false), 'annotated');
});

test('a SAM mask the user saves annotates the image; the same mask saved by a program does not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pasam-annot-'));
  try {
    const { store, id } = oneImageProject(dir);
    store.addMaskVersion(id, new Uint8Array([0, 1, 1, 0]), { source: 'sam' });
    assert.equal(store.getImage(id)!.status, 'new');
    const v = saveUserMask(store, id, new Uint8Array([0, 1, 2, 0]), { source: 'sam', note: 'accepted' });
    assert.equal(store.getImage(id)!.status, 'annotated');
    assert.deepEqual([v.version, v.source, v.note], [2, 'sam', 'accepted']);
    assert.throws(() => saveUserMask(store, id, new Uint8Array([3, 0, 0, 0]), { source: 'manual' }), /class value\(s\) 3/);
    assert.equal(store.maskHistory(id).length, 2, 'a refused save adds nothing');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('class removal table: lower values stay, the removed value becomes the target, higher values move down', () => {
  const lut = removalLut(2, 4); // remove class 2 of 4, its pixels → class 4 (which becomes 3)
  assert.deepEqual([...lut.slice(0, 6)], [0, 1, 3, 2, 3, 4]);
  const toBackground = removalLut(1, 0);
  assert.deepEqual([...toBackground.slice(0, 4)], [0, 0, 1, 2]);
  assert.equal(toBackground[255], 254);
});
