import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { ContentStore, sha256Hex } from '../../app/store/contentStore.js';
import { IMPORT_POLICY, runImport } from '../../app/dataset/importPipeline.js';
import { importFolder, scanFolder } from '../../app/dataset/folderImport.js';
import type { ImportCandidate } from '../../app/dataset/importTypes.js';
import { noise, pngOf } from '../helpers/images.js';

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pasam-imp-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(png|jpg)$/.test(f)).sort();
}

test('content store: identical content is stored once, atomically, under images/<aa>/<sha>.<ext>', withDir((dir) => {
  const cs = new ContentStore(dir);
  const bytes = Buffer.from('hello mask');
  const a = cs.put('masks', bytes, 'png');
  assert.equal(a.sha256, sha256Hex(bytes));
  assert.equal(a.path, join(dir, 'masks', a.sha256.slice(0, 2), `${a.sha256}.png`));
  assert.equal(a.created, true);
  assert.equal(cs.put('masks', bytes, 'png').created, false);
  assert.deepEqual(readdirSync(join(dir, 'masks', a.sha256.slice(0, 2))), [`${a.sha256}.png`], 'no temp files left behind');
  assert.ok(cs.read('masks', a.sha256, 'png').equals(bytes));
  assert.throws(() => cs.path('images', '../etc', 'png'), /not a sha256/);
}));

test('runImport: duplicates within an import and against the project are skipped and reported', withDir(async (dir) => {
  const s = ProjectStore.create(dir, { name: 'p', classes: ['a'] });
  const img = await pngOf(noise(8 * 8 * 3, 1), 8, 8, 3);
  const other = await pngOf(noise(8 * 8 * 3, 2), 8, 8, 3);
  const c = (name: string, bytes: Buffer, extra: Partial<ImportCandidate> = {}): ImportCandidate => ({ sourcePath: `/src/${name}`, originalName: name, imageBytes: bytes, ...extra });
  async function* lazy(): AsyncGenerator<ImportCandidate> {
    yield c('one.png', img, { split: 'val', groupKey: 'g1' });
    yield c('copy.png', img);
    yield c('two.png', other, { mask: { width: 8, height: 8, data: new Uint8Array(64).fill(1), sourcePath: '/m/two.png' } });
  }
  const r = await runImport(s, lazy(), { format: 'test', source: '/src', split: 'train' });
  assert.equal(r.failed, false);
  assert.equal(r.added, 2);
  assert.equal(r.withMasks, 1);
  assert.deepEqual(r.problems, [{ file: '/src/copy.png', reason: 'duplicate', detail: 'same image content as /src/one.png in this import; skipped' }]);
  const one = s.listImages({ nameContains: 'one' })[0]!;
  assert.deepEqual([one.split, one.groupKey, one.status, one.importId], ['val', 'g1', 'new', r.importId]);
  const two = s.listImages({ nameContains: 'two' })[0]!;
  assert.deepEqual([two.split, two.status], ['train', 'annotated']);
  const again = await runImport(s, [c('three.png', other)], { format: 'test', source: '/src' });
  assert.equal(again.added, 0);
  assert.match(again.problems[0]!.detail, new RegExp(`already in the project as image #${two.id} \\(two.png\\)`));
  assert.equal(s.listImports().length, 1, 'an import that adds nothing leaves no record');
  s.close();
}));

test('runImport: one bad file fails the whole import, lists every bad file and leaves no files behind', withDir(async (dir) => {
  const s = ProjectStore.create(dir, { name: 'p', classes: ['a', 'b'] });
  const before = files(dir);
  const good = await pngOf(noise(6 * 4 * 3, 5), 6, 4, 3);
  const cands: ImportCandidate[] = [
    { sourcePath: '/s/good.png', originalName: 'good.png', imageBytes: good, mask: { width: 6, height: 4, data: new Uint8Array(24).fill(2), sourcePath: '/m/good.png' } },
    { sourcePath: '/s/bad.png', originalName: 'bad.png', imageBytes: Buffer.from('nope') },
    { sourcePath: '/s/k.png', originalName: 'k.png', imageBytes: await pngOf(noise(6 * 4 * 3, 6), 6, 4, 3), mask: { width: 6, height: 4, data: new Uint8Array(24).fill(3), sourcePath: '/m/k.png' } },
    { sourcePath: '/s/size.png', originalName: 'size.png', imageBytes: await pngOf(noise(6 * 4 * 3, 7), 6, 4, 3), mask: { width: 4, height: 6, data: new Uint8Array(24), sourcePath: '/m/size.png' } },
  ];
  const r = await runImport(s, cands, { format: 'test', source: '/s', problems: [{ file: '/s/x.txt', reason: 'unsupported', detail: 'not an image' }] });
  assert.equal(r.failed, true);
  assert.equal(r.added, 0);
  assert.deepEqual(r.problems.map((p) => [p.file, p.reason]), [
    ['/s/x.txt', 'unsupported'],
    ['/s/bad.png', 'corrupt'],
    ['/m/k.png', 'unknown class value'],
    ['/m/size.png', 'mask size mismatch'],
  ]);
  assert.equal(s.countImages(), 0);
  assert.deepEqual(files(dir), before, 'content files written for the failed import are removed');
  // the policy is one table: making corrupt files skippable lets the rest in
  const saved = IMPORT_POLICY.corrupt;
  IMPORT_POLICY.corrupt = 'skip';
  try {
    const r2 = await runImport(s, [cands[0]!, cands[1]!], { format: 'test', source: '/s' });
    assert.deepEqual([r2.failed, r2.added, r2.skipped], [false, 1, 1]);
  } finally {
    IMPORT_POLICY.corrupt = saved;
  }
  s.close();
}));

test('folder scan: masks by relative path first, then by unique stem; ambiguity and unmatched masks are reported', withDir(async (dir) => {
  const src = join(dir, 'src');
  const masks = join(dir, 'masks');
  for (const d of [join(src, 'a'), join(src, 'b'), join(src, 'c'), join(masks, 'a'), join(masks, 'b'), join(masks, 'elsewhere')]) mkdirSync(d, { recursive: true });
  const px = await pngOf(noise(4 * 4 * 3, 1), 4, 4, 3);
  for (const f of ['a/x.png', 'b/x.PNG', 'c/y.jpg', 'c/z.png', 'c/w.png', 'b/w.tif']) writeFileSync(join(src, f), px);
  for (const f of ['a/x.png', 'b/x.png', 'elsewhere/y.png', 'elsewhere/w.png', 'orphan.png']) writeFileSync(join(masks, f), px);
  symlinkSync(src, join(src, 'c', 'loop'));
  const scan = scanFolder(src, masks);
  assert.deepEqual(scan.images.map((i) => i.rel), ['a/x.png', 'b/w.tif', 'b/x.PNG', 'c/w.png', 'c/y.jpg', 'c/z.png'], 'the symlink loop is not followed twice');
  const m = (rel: string): string | undefined => scan.maskFor.get(join(src, rel))?.rel;
  assert.equal(m('a/x.png'), 'a/x.png');
  assert.equal(m('b/x.PNG'), 'b/x.png');
  assert.equal(m('c/y.jpg'), 'elsewhere/y.png');
  assert.equal(m('c/z.png'), undefined);
  assert.deepEqual(scan.problems.map((p) => [p.file, p.reason]).sort(), [
    [join(src, 'b/w.tif'), 'invalid annotation'],
    [join(src, 'c/w.png'), 'invalid annotation'],
  ]);
  assert.deepEqual(scan.unmatchedMasks, [join(masks, 'orphan.png')]);
}));

test('folder import: a project database that is not SQLite is reported with its path', withDir(async (dir) => {
  mkdirSync(join(dir, 'p'));
  writeFileSync(join(dir, 'p', 'project.db'), 'this is not a database at all, just text padding it out to some length'.repeat(20));
  assert.throws(() => ProjectStore.open(join(dir, 'p')), (e: Error) => e.message.includes(join(dir, 'p', 'project.db')) && /not a database/.test(e.message));
  const s = ProjectStore.create(join(dir, 'q'), { name: 'q' });
  await assert.rejects(importFolder(s, join(dir, 'missing')), /missing: no such folder/);
  writeFileSync(join(dir, 'file.png'), readFileSync(join(dir, 'p', 'project.db')));
  await assert.rejects(importFolder(s, join(dir, 'file.png')), /is not a folder/);
  s.close();
}));
