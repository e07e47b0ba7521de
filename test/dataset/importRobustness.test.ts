// Import robustness through the real CLI: a SIGKILL mid-import, very large and 16-bit images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { PASAM_BIN, runCliInProcess as runCli } from '../helpers/cli.js';
import { encodeIndexPng } from '../../app/dataset/pngPalette.js';
import { grey16Png, indexMaskPng, jpegImage, tempDir, write } from './fixtures.js';
import { newProject, withStore } from './projectFixture.js';

test('SIGKILL during an import leaves no partial import; the import then runs cleanly', async () => {
  const src = tempDir();
  const n = 80;
  for (let i = 0; i < n; i++) {
    write(join(src, 'MT_Crack', 'Imgs', `exp${i}.jpg`), await jpegImage(128, 96, i + 1));
    write(join(src, 'MT_Crack', 'Imgs', `exp${i}.png`), indexMaskPng(128, 96, (x, y) => (x > i % 100 && y < 30 ? 255 : 0)).png);
  }
  const proj = newProject();
  const child = spawn(process.execPath, [PASAM_BIN, 'import', proj, src], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // Kill once the pipeline has started writing content files (mid-validation).
  const deadline = Date.now() + 60_000;
  let killedEarly = false;
  while (Date.now() < deadline && child.exitCode === null) {
    const imgs = join(proj, 'images');
    if (existsSync(imgs) && readdirSync(imgs).length > 0) {
      child.kill('SIGKILL');
      killedEarly = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  assert.ok(killedEarly, 'the import was killed while running');
  withStore(proj, (s) => {
    assert.equal(s.listImages().length, 0);
    assert.equal(s.listImports().length, 0);
    assert.equal(s.listClasses().length, 0);
  });
  const r = await runCli(['import', proj, src, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).added, n);
  withStore(proj, (s) => assert.deepEqual(s.listClasses().map((c) => c.name), ['MT_Crack']));
});

test('an 8k image and a 16-bit grey image import with their masks; the conversion is recorded', async () => {
  const src = tempDir();
  const W = 7680, H = 4320;
  write(join(src, 'images', 'big 8k.png'), await sharp({ create: { width: W, height: H, channels: 3, background: '#406080' } }).png({ compressionLevel: 1 }).toBuffer());
  const big = new Uint8Array(W * H);
  for (let y = 4000; y < 4100; y++) big.fill(1, y * W + 7000, y * W + 7500);
  write(join(src, 'masks', 'big 8k.png'), encodeIndexPng(W, H, big));
  write(join(src, 'images', 'deep.png'), grey16Png(6, 4, Array.from({ length: 24 }, (_, i) => i * 2000)));
  write(join(src, 'masks', 'deep.png'), indexMaskPng(6, 4, (x) => (x > 3 ? 1 : 0)).png);
  const proj = newProject('scratch');
  const r = await runCli(['import', proj, src, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(r.stdout);
  assert.equal(report.added, 2);
  assert.ok(report.conversions.some((c: { file: string; conversion: string }) => c.file.endsWith('deep.png') && /16-bit/.test(c.conversion)), JSON.stringify(report.conversions));
  withStore(proj, (s) => {
    const im = s.listImages().find((i) => i.originalName.includes('big 8k'))!;
    assert.deepEqual([im.width, im.height], [W, H]);
    const m = s.readMask(s.latestMask(im.id)!);
    assert.equal(m.reduce((n, v) => n + v, 0), 100 * 500);
    assert.match(s.listImages().find((i) => i.originalName.includes('deep'))!.conversion ?? '', /16-bit/);
  });
});
