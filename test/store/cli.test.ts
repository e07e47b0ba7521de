// The project CLI end to end, as a user runs it, on temporary folders with awkward names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli, runCliInProcess as cli, SHARED_DIR } from '../helpers/cli.js';
import { bmpOf, noise, pngOf } from '../helpers/images.js';
import { ProjectStore } from '../../app/store/projectStore.js';

const NEU = join(SHARED_DIR, 'datasets', 'neu-seg');
const NEU_IDS = ['train_000201', 'train_000202', 'train_000203', 'test_000001', 'test_000002'];

/** Class pixel counts of NEU-Seg images from its manifest (independent of our mask reader). */
function manifestPixels(ids: string[]): number[] {
  const rows = readFileSync(join(NEU, 'manifest.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const sums = [0, 0, 0];
  for (const r of rows) if (ids.includes(r[0]!)) for (let c = 0; c < 3; c++) sums[c]! += Number(r[5 + c]);
  return sums;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

function json(r: { code: number; stdout: string; stderr: string }): any {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('CLI: init, class, import, info end to end (good import, failing import, duplicates)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam cli ü-'));
  try {
    const proj = join(root, 'Projekt Stahl ä');
    const src = join(root, 'Bilder Linie 2 ü');
    const masks = join(root, 'Masken ö');
    mkdirSync(join(src, 'sub dir'), { recursive: true });
    mkdirSync(join(masks, 'sub dir'), { recursive: true });
    for (const id of NEU_IDS) {
      copyFileSync(join(NEU, 'images', `${id}.jpg`), join(src, `${id}.jpg`));
      copyFileSync(join(NEU, 'masks', `${id}.png`), join(masks, `${id}.png`));
    }
    // a BMP with a mask at the same relative path, an unannotated grey PNG, a 16-bit PNG
    const bw = 30;
    const bh = 20;
    writeFileSync(join(src, 'sub dir', 'tafel ä.bmp'), bmpOf({ width: bw, height: bh, bpp: 24, pixels: noise(bw * bh * 3, 21) }));
    const tafelMask = new Uint8Array(bw * bh).map((_, i) => (i % bw < 5 ? 3 : i % bw < 8 ? 1 : 0));
    writeFileSync(join(masks, 'sub dir', 'tafel ä.png'), await pngOf(tafelMask, bw, bh, 1));
    writeFileSync(join(src, 'sub dir', 'grau.PNG'), await pngOf(noise(40 * 40, 22), 40, 40, 1));
    const v16 = new Uint16Array(16 * 16).map((_, i) => 200 + i * 10);
    writeFileSync(join(src, 'tief.tif'), await sharp(v16, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('grey16').png().toBuffer());
    writeFileSync(join(src, 'README.txt'), 'not an image');
    writeFileSync(join(src, '.DS_Store'), 'junk');

    // --- init and class ---
    let r = runCli(['init', proj, '--name', 'Stahl', '--classes', 'inclusion,patches,scratches', '--json']);
    const created = json(r);
    assert.deepEqual(created.classes.map((c: any) => [c.index, c.name]), [
      [1, 'inclusion'],
      [2, 'patches'],
      [3, 'scratches'],
    ]);
    r = await cli(['init', proj, '--name', 'again']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already holds a project/);
    assert.equal((await cli(['init', join(root, 'x')])).code, 2, 'missing --name is bad usage');

    assert.equal(json(await cli(['class', proj, 'add', 'rust', '--color', '#aa5500', '--json'])).added.index, 4);
    assert.equal(json(await cli(['class', proj, 'rename', 'rust', 'Rost', '--json'])).renamed.name, 'Rost');
    r = await cli(['class', proj, 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 {2}Rost {2}#aa5500/);
    assert.deepEqual(json(await cli(['class', proj, 'remove', 'Rost', '--json'])).classes.length, 3);
    assert.equal((await cli(['class', proj, 'frobnicate', 'x'])).code, 2);
    assert.equal((await cli(['class', proj, 'rename', 'inclusion'])).code, 2);
    r = await cli(['class', proj, 'rename', 'nope', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no class named 'nope'/);

    // --- a good import: NEU JPEGs, BMP, grey PNG, 16-bit image with a .tif name, a text file ---
    r = runCli(['import', proj, src, '--masks', masks, '--split', 'train', '--json']);
    const report = json(r);
    assert.equal(report.failed, false);
    assert.equal(report.added, 8);
    assert.equal(report.withMasks, 6);
    assert.deepEqual(report.problems.map((p: any) => [p.file, p.reason]), [[join(src, 'README.txt'), 'unsupported']]);
    assert.deepEqual(report.conversions.map((c: any) => c.file), [join(src, 'tief.tif')]);
    assert.match(report.conversions[0].conversion, /16-bit → 8-bit \(values 200–2750/);

    const info = json(runCli(['info', proj, '--json']));
    assert.equal(info.images, 8);
    assert.equal(info.withMask, 6);
    assert.deepEqual(info.bySplit, { train: 8, val: 0, test: 0, unassigned: 0 });
    assert.deepEqual(info.byStatus, { new: 2, annotated: 6, reviewed: 0 });
    const neuPx = manifestPixels(NEU_IDS);
    const tafelPx = [3 * bh, 0, 5 * bh];
    assert.deepEqual(
      info.byClass.map((c: any) => c.pixels),
      neuPx.map((p, i) => p + tafelPx[i]!),
      'class pixel counts equal the NEU manifest plus the generated mask',
    );
    r = await cli(['info', proj]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /images: 8 \(6 with a mask\)/);

    // stored content: masks equal the source, names keep sub-folders and non-ASCII
    const store = ProjectStore.open(proj);
    try {
      const tafel = store.listImages({ nameContains: 'tafel' })[0]!;
      assert.equal(tafel.originalName, 'sub dir/tafel ä.bmp');
      assert.deepEqual([tafel.width, tafel.height, tafel.ext], [bw, bh, 'png']);
      assert.deepEqual(store.readMask(store.latestMask(tafel.id)!), tafelMask);
      const neu = store.listImages({ nameContains: 'train_000202' })[0]!;
      assert.ok(readFileSync(store.imagePath(neu)).equals(readFileSync(join(NEU, 'images', 'train_000202.jpg'))));
      const neuMask = new Uint8Array(await sharp(join(NEU, 'masks', 'train_000202.png')).extractChannel(0).raw().toBuffer());
      assert.deepEqual(store.readMask(store.latestMask(neu.id)!), neuMask);
      assert.equal(store.latestMask(neu.id)!.source, 'import');
      assert.equal(store.latestMask(store.listImages({ nameContains: 'grau' })[0]!.id), null);
    } finally {
      store.close();
    }

    // --- a failing import: corrupt JPEG, wrong-size mask, unknown class value; nothing changes ---
    const bad = join(root, 'bad ü');
    const badMasks = join(root, 'bad masks');
    mkdirSync(bad);
    mkdirSync(badMasks);
    copyFileSync(join(NEU, 'images', 'train_000204.jpg'), join(bad, 'fine.jpg'));
    copyFileSync(join(NEU, 'masks', 'train_000204.png'), join(badMasks, 'fine.png'));
    const jpg = readFileSync(join(NEU, 'images', 'train_000205.jpg'));
    writeFileSync(join(bad, 'broken.jpg'), jpg.subarray(0, jpg.length >> 1));
    writeFileSync(join(bad, 'wrong size.png'), await pngOf(noise(50 * 40 * 3, 31), 50, 40, 3));
    writeFileSync(join(badMasks, 'wrong size.png'), await pngOf(new Uint8Array(40 * 50), 40, 50, 1));
    writeFileSync(join(bad, 'unknown.png'), await pngOf(noise(20 * 20 * 3, 32), 20, 20, 3));
    writeFileSync(join(badMasks, 'unknown.png'), await pngOf(new Uint8Array(400).map((_, i) => (i === 5 ? 7 : 1)), 20, 20, 1));
    writeFileSync(join(bad, 'notes.txt'), 'hello');
    const filesBefore = listFiles(proj).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm') && !f.endsWith('project.db'));
    r = runCli(['import', proj, bad, '--masks', badMasks]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /import failed: 3 bad file\(s\); nothing was added/);
    assert.ok(r.stderr.includes(`${join(bad, 'broken.jpg')}: corrupt: damaged JPEG file`), r.stderr);
    assert.ok(r.stderr.includes(`${join(badMasks, 'wrong size.png')}: mask size mismatch: mask is 40×50 but image ${join(bad, 'wrong size.png')} is 50×40`), r.stderr);
    assert.ok(r.stderr.includes(`${join(badMasks, 'unknown.png')}: unknown class value: mask has value(s) 7 (1 px) but the project has 3 class(es)`), r.stderr);
    assert.ok(r.stderr.includes(`${join(bad, 'notes.txt')}: unsupported: not an image file`), r.stderr);
    assert.deepEqual(json(runCli(['info', proj, '--json'])), info, 'the project is exactly as before');
    assert.deepEqual(listFiles(proj).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm') && !f.endsWith('project.db')), filesBefore, 'no stray content files');
    r = await cli(['import', proj, bad, '--masks', badMasks, '--json']);
    assert.equal(r.code, 1);
    const badReport = JSON.parse(r.stdout);
    assert.equal(badReport.failed, true);
    assert.equal(badReport.added, 0);

    // --- importing the same images again: duplicates are skipped and reported, not an error ---
    const again = json(await cli(['import', proj, src, '--masks', masks, '--json']));
    assert.equal(again.added, 0);
    assert.equal(again.problems.filter((p: any) => p.reason === 'duplicate').length, 8);
    assert.match(again.problems.find((p: any) => p.file.endsWith('train_000201.jpg')).detail, /already in the project as image #\d+ \(train_000201\.jpg\)/);

    // --- class removal refuses while masks use the class, remaps on request ---
    r = await cli(['class', proj, 'remove', 'inclusion']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /class 'inclusion' is used by the latest mask of \d+ image/);
    const removed = json(await cli(['class', proj, 'remove', 'inclusion', '--remap', 'background', '--json']));
    assert.ok(removed.masksRewritten >= 6);
    const after = json(await cli(['info', proj, '--json']));
    assert.deepEqual(after.byClass.map((c: any) => [c.index, c.name, c.pixels]), [
      [1, 'patches', neuPx[1]],
      [2, 'scratches', neuPx[2]! + tafelPx[2]!],
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('CLI: usage errors exit 2, failures exit 1 naming the path, every command has --help', async () => {
  for (const cmd of ['init', 'class', 'import', 'info']) {
    const h = await cli([cmd, '--help']);
    assert.equal(h.code, 0);
    assert.ok(h.stdout.startsWith(`pasam ${cmd} `), h.stdout);
  }
  assert.equal((await cli(['import'])).code, 2);
  assert.equal((await cli(['import', 'a', 'b', '--split', 'bogus'])).code, 2);
  assert.equal((await cli(['info', 'a', '--bogus'])).code, 2);
  const missing = join(tmpdir(), 'pasam-no-such-project-ä');
  const r = await cli(['info', missing]);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(missing), r.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'pasam-'));
  try {
    const r2 = await cli(['import', dir, dir]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /not a pasam project, project\.db not found/);
    await cli(['init', join(dir, 'p'), '--name', 'p']);
    const r3 = await cli(['import', join(dir, 'p'), join(dir, 'nope')]);
    assert.equal(r3.code, 1);
    assert.ok(r3.stderr.includes(`${join(dir, 'nope')}: no such file or folder`), r3.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
