// Crash safety: an import killed with SIGKILL at any moment leaves a database that passes
// integrity_check and holds either none or all of that import; the project stays usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ProjectStore } from '../../app/store/projectStore.js';
import { importFolder } from '../../app/dataset/folderImport.js';
import { PASAM_BIN, PROJECT_ROOT, SHARED_DIR } from '../helpers/cli.js';
import { noise, pngOf } from '../helpers/images.js';

const DRIVER = fileURLToPath(new URL('./fixtures/importDriver.ts', import.meta.url));
const N = 200;

interface Outcome {
  integrity: string;
  fkProblems: unknown[];
  baseline: number;
  fromImport: number;
  masksFromImport: number;
  imports: number;
}

function inspect(proj: string, src: string): Outcome {
  const db = new Database(join(proj, 'project.db'));
  try {
    const one = (sql: string, ...p: unknown[]): number => (db.prepare(sql).get(...p) as { n: number }).n;
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      fkProblems: db.pragma('foreign_key_check') as unknown[],
      baseline: one("SELECT COUNT(*) AS n FROM images WHERE original_name LIKE 'train_%'"),
      fromImport: one("SELECT COUNT(*) AS n FROM images WHERE original_name LIKE 'gen_%'"),
      masksFromImport: one("SELECT COUNT(*) AS n FROM mask_versions m JOIN images i ON i.id = m.image_id WHERE i.original_name LIKE 'gen_%'"),
      imports: one('SELECT COUNT(*) AS n FROM imports WHERE source = ?', src),
    };
  } finally {
    db.close();
  }
}

/** Spawns a child, SIGKILLs it when `shouldKill` says so (checked on output and on a poll). */
function runAndKill(args: string[], shouldKill: (stdout: string) => boolean): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const check = (): void => {
      if (!killed && shouldKill(stdout)) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const poll = setInterval(check, 5);
    child.stdout.on('data', (d) => {
      stdout += d;
      check();
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve({ signal, stdout, stderr });
    });
  });
}

function contentFiles(proj: string): number {
  try {
    return readdirSync(join(proj, 'images'), { recursive: true }).filter((f) => String(f).endsWith('.png')).length;
  } catch {
    return 0;
  }
}

test('SIGKILL in the middle of an import leaves none or all of it, with integrity_check ok', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-crash-'));
  try {
    const src = join(root, 'src');
    const masks = join(root, 'masks');
    mkdirSync(src);
    mkdirSync(masks);
    for (let i = 0; i < N; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, N - i) }, async (_, k) => {
          const n = i + k;
          const name = `gen_${String(n).padStart(4, '0')}`;
          writeFileSync(join(src, `${name}.png`), await pngOf(noise(12 * 12 * 3, n + 1), 12, 12, 3));
          if (n % 2 === 0) writeFileSync(join(masks, `${name}.png`), await pngOf(noise(144, n + 7).map((v) => v % 3), 12, 12, 1));
        }),
      );
    }
    // a baseline project with earlier data that must survive every crash unchanged
    const base = join(root, 'base');
    const baseSrc = join(root, 'baseSrc');
    mkdirSync(baseSrc);
    for (const id of ['train_000201', 'train_000202', 'train_000203']) copyFileSync(join(SHARED_DIR, 'datasets', 'neu-seg', 'images', `${id}.jpg`), join(baseSrc, `${id}.jpg`));
    const s = ProjectStore.create(base, { name: 'crash', classes: ['a', 'b'] });
    assert.equal((await importFolder(s, baseSrc)).added, 3);
    s.close();

    const scenarios: { name: string; args: (proj: string) => string[]; kill: (out: string, proj: string) => boolean; expect?: 'none' }[] = [
      { name: 'while validating (driver, after 60 files)', args: (p) => ['--import', 'tsx', DRIVER, p, src, masks, 'validate 60'], kill: (o) => o.includes('hanging'), expect: 'none' },
      { name: 'inside the transaction, after the first row', args: (p) => ['--import', 'tsx', DRIVER, p, src, masks, 'commit 1'], kill: (o) => o.includes('hanging'), expect: 'none' },
      { name: 'inside the transaction, half-way', args: (p) => ['--import', 'tsx', DRIVER, p, src, masks, `commit ${N / 2}`], kill: (o) => o.includes('hanging'), expect: 'none' },
      { name: 'inside the transaction, after the last row', args: (p) => ['--import', 'tsx', DRIVER, p, src, masks, `commit ${N}`], kill: (o) => o.includes('hanging'), expect: 'none' },
      { name: 'the real CLI, once 100 image files are written', args: (p) => [PASAM_BIN, 'import', p, src, '--masks', masks], kill: (_o, p) => contentFiles(p) >= 100 },
      { name: 'the real CLI, once all image files are written', args: (p) => [PASAM_BIN, 'import', p, src, '--masks', masks], kill: (_o, p) => contentFiles(p) >= N },
    ];
    let i = 0;
    for (const sc of scenarios) {
      const proj = join(root, `p${i++}`);
      cpSync(base, proj, { recursive: true });
      const r = await runAndKill(sc.args(proj), (out) => sc.kill(out, proj));
      assert.equal(r.signal, 'SIGKILL', `${sc.name}: the child was killed (stdout: ${r.stdout.slice(-200)} stderr: ${r.stderr.slice(-500)})`);
      const o = inspect(proj, src);
      assert.equal(o.integrity, 'ok', sc.name);
      assert.deepEqual(o.fkProblems, [], sc.name);
      assert.equal(o.baseline, 3, `${sc.name}: earlier images intact`);
      const all = o.fromImport === N && o.masksFromImport === N / 2 && o.imports === 1;
      const none = o.fromImport === 0 && o.masksFromImport === 0 && o.imports === 0;
      assert.ok(all || none, `${sc.name}: partial import ${JSON.stringify(o)}`);
      if (sc.expect === 'none') assert.ok(none, `${sc.name}: killed before commit, so nothing may be there`);
      // the project stays usable: the same import now runs to the end (or finds everything there)
      const store = ProjectStore.open(proj);
      const report = await importFolder(store, src, { masks });
      store.close();
      assert.equal(report.failed, false);
      assert.equal(report.added, none ? N : 0, sc.name);
      const after = inspect(proj, src);
      assert.equal(after.fromImport, N);
      assert.equal(after.masksFromImport, N / 2);
      rmSync(proj, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('two processes importing the same folder at once: both succeed, every image is there once', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-conc-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    const n = 40;
    await Promise.all(Array.from({ length: n }, async (_, i) => writeFileSync(join(src, `gen_${i}.png`), await pngOf(noise(10 * 10 * 3, 1000 + i), 10, 10, 3))));
    const proj = join(root, 'p');
    ProjectStore.create(proj, { name: 'c' }).close();
    const run = (): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [PASAM_BIN, 'import', proj, src, '--json'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const added = JSON.parse(a.stdout).added + JSON.parse(b.stdout).added;
    assert.equal(added, n);
    const o = inspect(proj, src);
    assert.equal(o.integrity, 'ok');
    assert.equal(o.fromImport, n);
    assert.equal(contentFiles(proj), n, 'each image stored once');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
