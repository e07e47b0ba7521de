// Concurrent imports into one project (issue 15): a failing import racing a valid import of the
// same images must not delete files the valid one committed; imports wait for each other with a
// message naming the running one; killed imports' leftovers are removed by `check --repair` and at
// open. All through the real CLI in child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ProjectStore } from '../../app/store/projectStore.js';
import { holderAlive, processStartTime, tryLockProject } from '../../app/store/projectLock.js';
import { IMPORT_LOCK } from '../../app/store/contentRepair.js';
import { PASAM_BIN, PROJECT_ROOT, runCli } from '../helpers/cli.js';
import { noise, pngOf } from '../helpers/images.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], onStderr?: (s: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PASAM_BIN, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** integrity_check, and every file a committed row references. */
function missingFiles(proj: string): { integrity: string; missing: string[]; images: number; masks: number } {
  const db = new Database(join(proj, 'project.db'), { readonly: true });
  try {
    const images = db.prepare('SELECT sha256, ext FROM images').all() as { sha256: string; ext: string }[];
    const masks = db.prepare('SELECT sha256 FROM mask_versions').all() as { sha256: string }[];
    const missing = [
      ...images.map((r) => join(proj, 'images', r.sha256.slice(0, 2), `${r.sha256}.${r.ext}`)),
      ...masks.map((r) => join(proj, 'masks', r.sha256.slice(0, 2), `${r.sha256}.png`)),
    ].filter((p) => !existsSync(p));
    return { integrity: db.pragma('integrity_check', { simple: true }) as string, missing, images: images.length, masks: masks.length };
  } finally {
    db.close();
  }
}

async function writeSources(root: string, n: number): Promise<{ good: string; goodMasks: string; bad: string; badMasks: string }> {
  const good = join(root, 'good');
  const goodMasks = join(root, 'good-masks');
  const bad = join(root, 'bad');
  const badMasks = join(root, 'bad-masks');
  for (const d of [good, goodMasks, bad, badMasks]) mkdirSync(d);
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `img_${String(i).padStart(3, '0')}.png`;
      const img = await pngOf(noise(16 * 16 * 3, 500 + i), 16, 16, 3);
      const mask = await pngOf(noise(256, 900 + i).map((v) => v % 2), 16, 16, 1);
      for (const [d, m] of [[good, goodMasks], [bad, badMasks]] as const) {
        writeFileSync(join(d, name), img);
        writeFileSync(join(m, name), mask);
      }
    }),
  );
  // the failing import: the same images, plus one damaged file at the end of the listing
  writeFileSync(join(bad, 'zz_broken.png'), Buffer.concat([(await pngOf(noise(16 * 16 * 3, 1), 16, 16, 3)).subarray(0, 60)]));
  return { good, goodMasks, bad, badMasks };
}

test('a failing import racing a valid import of the same images loses nothing (repeated)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-race-'));
  try {
    const n = 60;
    const src = await writeSources(root, n);
    for (let trial = 0; trial < 3; trial++) {
      const proj = join(root, `p${trial}`);
      ProjectStore.create(proj, { name: 'race', classes: ['defect'] }).close();
      // alternate which one starts first
      const startGood = (): Promise<Run> => spawnCli(['import', proj, src.good, '--masks', src.goodMasks, '--json']);
      const startBad = (): Promise<Run> => spawnCli(['import', proj, src.bad, '--masks', src.badMasks, '--json']);
      const [good, bad] = trial % 2 === 0 ? await Promise.all([startGood(), startBad()]) : (await Promise.all([startBad(), startGood()])).reverse();
      assert.equal(good!.code, 0, `trial ${trial}: valid import: ${good!.stderr}`);
      assert.equal(bad!.code, 1, `trial ${trial}: the failing import fails: ${bad!.stdout.slice(0, 300)}`);
      assert.equal(JSON.parse(good!.stdout).added, n);
      const state = missingFiles(proj);
      assert.equal(state.integrity, 'ok');
      assert.equal(state.images, n);
      assert.equal(state.masks, n);
      assert.deepEqual(state.missing, [], `trial ${trial}: committed rows lost their files`);
      const out = join(root, `export${trial}`);
      const exp = runCli(['export', proj, out, '--format', 'mask-png']);
      assert.equal(exp.code, 0, `trial ${trial}: export: ${exp.stderr}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a second import waits for the running one and says which import it waits for', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-wait-'));
  try {
    const src = await writeSources(root, 3);
    const proj = join(root, 'p');
    const store = ProjectStore.create(proj, { name: 'wait' });
    // this process plays the running import: it holds the project's import lock
    const held = tryLockProject(store, IMPORT_LOCK, 'import of /data/line-7');
    assert.ok('lock' in held);
    let release: () => void = () => {};
    const waiting = new Promise<void>((res) => (release = res));
    const child = spawnCli(['import', proj, src.good], (err) => err.includes('waiting for') && release());
    await waiting;
    assert.equal(store.countImages(), 0, 'nothing imported while the lock is held');
    held.lock.release();
    const r = await child;
    assert.match(r.stderr, new RegExp(`waiting for import of /data/line-7 \\(process ${process.pid}, since \\d\\d:\\d\\d:\\d\\d UTC\\) to finish`));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(store.countImages(), 3);
    store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('leftovers of a killed import are removed at open and by check --repair, committed files kept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-repair-'));
  try {
    const src = await writeSources(root, 4);
    const proj = join(root, 'p');
    ProjectStore.create(proj, { name: 'repair', classes: ['defect'] }).close();
    assert.equal(runCli(['import', proj, src.good, '--masks', src.goodMasks]).code, 0);
    const orphan = (kind: string, seed: number, ext: string): string => {
      const sha = Buffer.from(noise(32, seed)).toString('hex');
      const dir = join(proj, kind, sha.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${sha}.${ext}`), 'x');
      return join(dir, `${sha}.${ext}`);
    };
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max default: never a running process
    const plant = (): string[] => {
      const files = [orphan('images', 1, 'png'), orphan('masks', 2, 'png'), orphan('images', 3, 'jpg')];
      const tmp = join(proj, 'images', readdirSync(join(proj, 'images'))[0]!, `.tmp-${deadPid}-abcdef`);
      writeFileSync(tmp, 'partial');
      return [...files, tmp];
    };
    // 1. a killed import: its lock row names a dead process → opening the project cleans up
    let planted = plant();
    const s = ProjectStore.open(proj);
    s.setSetting(`lock.${IMPORT_LOCK}`, { pid: deadPid, token: 't', what: 'import of /gone', since: new Date().toISOString() });
    s.close();
    const reopened = ProjectStore.open(proj);
    assert.deepEqual(reopened.repairedAtOpen && { i: reopened.repairedAtOpen.orphanImages, m: reopened.repairedAtOpen.orphanMasks, t: reopened.repairedAtOpen.tmpFiles }, { i: 2, m: 1, t: 1 });
    reopened.close();
    for (const f of planted) assert.equal(existsSync(f), false, f);
    // a lock row whose process id now belongs to another process (its start time differs) is stale too
    assert.equal(holderAlive({ pid: process.ppid, token: 't', what: 'import of /gone', since: '', started: processStartTime(process.ppid) }), true);
    if (processStartTime(process.ppid) !== null) assert.equal(holderAlive({ pid: process.ppid, token: 't', what: 'import of /gone', since: '', started: '1' }), false);
    // a clean open walks nothing
    const clean = ProjectStore.open(proj);
    assert.equal(clean.repairedAtOpen, null);
    clean.close();
    // 2. leftovers without a lock row (e.g. a killed mask save): `pasam check --repair`
    planted = plant();
    const r = runCli(['check', proj, '--repair']);
    assert.match(r.stdout, /repair: removed 2 orphan image file\(s\), 1 orphan mask file\(s\), 1 stale temporary file\(s\)/);
    for (const f of planted) assert.equal(existsSync(f), false, f);
    const state = missingFiles(proj);
    assert.equal(state.images, 4);
    assert.deepEqual(state.missing, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
