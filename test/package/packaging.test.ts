// The desktop package, built and taken apart here without an Electron binary: `npm run package
// --dir` (the real build and electron-builder) with a stand-in Electron distribution, then checks
// on what it produced: native files outside the asar and working from there in plain Node, only
// this platform's ONNX Runtime, no dev tools or sources, and the pre-built main process, app core,
// CLI and worker bundles running from the package with an `electron` stub. Reports the size; the
// size target itself is measured by bench/packageSize.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFile } from '@electron/asar';
import { asarEntries, materialize, mb, NATIVE_FILE, packageWithStandIn, sizeReport, type AsarEntry, type PackagedApp } from '../../scripts/packagedApp.js';
import { OnnxGraphBuilder } from '../../app/onnx/onnxGraphBuilder.js';
import { encodeGrey8Png } from '../../app/images/greyPng.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { MIXED_FOUR } from '../helpers/engineTestUtils.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pasam-package-'));
const home = join(work, 'home');
const workspace = join(work, 'workspace');
const appDir = join(work, 'app');
let app: PackagedApp;
let entries: AsarEntry[];
let neuProject: string;

/** Runs one of the driver scripts beside this file in plain Node (no tsx) and parses its JSON line. */
function drive<T>(script: string, args: string[]): T {
  const env: NodeJS.ProcessEnv = { ...process.env, PASAM_HOME: home };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [join(HERE, script), ...args], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(r.status, 0, `${script} failed (status ${r.status}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as T;
}

before(
  async () => {
    app = packageWithStandIn(work);
    entries = asarEntries(join(app.resourcesDir, 'app.asar'));
    materialize(app.resourcesDir, appDir);
    mkdirSync(join(appDir, 'node_modules', 'electron'), { recursive: true });
    copyFileSync(join(HERE, 'electronStub.cjs'), join(appDir, 'node_modules', 'electron', 'index.js'));
    // `pasam` as an installed package has it: bin/ beside out/ and no sources (package.json "files").
    mkdirSync(join(appDir, 'bin'));
    copyFileSync(join(PROJECT_ROOT, 'bin', 'pasam.js'), join(appDir, 'bin', 'pasam.js'));
    mkdirSync(home, { recursive: true });
    // A project made by the checkout's code, which the packaged app must list.
    ProjectStore.create(join(workspace, 'line-a'), { name: 'Line A', classes: ['scratch'] }).close();
    neuProject = await makeNeuProject(MIXED_FOUR, mkdtempSync(join(work, 'neu-')));
  },
  { timeout: 300_000 },
);

after(() => rmSync(work, { recursive: true, force: true }));

test('native files sit in app.asar.unpacked; only this platform’s ONNX Runtime; no dev tools, sources or native tfjs', () => {
  const paths = new Set(entries.map((e) => e.path));
  const manifest = JSON.parse(extractFile(join(app.resourcesDir, 'app.asar'), 'package.json').toString('utf8')) as { main: string };
  assert.equal(manifest.main, 'out/electronMain.cjs');
  for (const f of ['electronMain.cjs', 'preload.cjs', 'pasam.cjs', 'trainWorker.cjs', 'tfjsTrainWorker.cjs', 'samWorker.cjs', 'jobWorker.cjs', 'renderer/index.html', 'renderer/app.js', 'renderer/app.css']) {
    assert.ok(paths.has(`out/${f}`), `out/${f} is packaged`);
  }

  // The sandboxed preload can require only `electron` (and has no __filename for a bundle preamble).
  const preload = extractFile(join(app.resourcesDir, 'app.asar'), 'out/preload.cjs').toString('utf8');
  assert.deepEqual([...preload.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]), ['electron']);
  assert.doesNotMatch(preload, /__filename|__dirname/);

  const natives = entries.filter((e) => NATIVE_FILE.test(e.path));
  for (const e of natives) {
    assert.ok(e.unpacked, `${e.path} is inside app.asar, where the OS loader cannot map it`);
    const onDisk = join(app.resourcesDir, 'app.asar.unpacked', e.path);
    assert.equal(statSync(onDisk).size, e.size, `${onDisk} matches the archive's record`);
  }
  const nativeOf = (pkg: string): AsarEntry[] => natives.filter((e) => e.path.startsWith(`node_modules/${pkg}/`));
  assert.ok(nativeOf('better-sqlite3').some((e) => e.path.endsWith('better_sqlite3.node')));
  assert.ok(nativeOf('onnxruntime-node').some((e) => e.path.endsWith('onnxruntime_binding.node')));
  assert.ok(nativeOf(`@img/sharp-${process.platform}-${process.arch}`).length > 0, 'sharp’s addon for this platform');
  for (const e of entries.filter((x) => x.path.startsWith('node_modules/onnxruntime-node/bin/'))) {
    assert.match(e.path, new RegExp(`/napi-v\\d+/${process.platform}/${process.arch}/`), 'no other platform’s ONNX Runtime');
  }
  const wasm = entries.filter((e) => /^out\/[^/]+\.wasm$/.test(e.path));
  assert.ok(wasm.length >= 1 && wasm.every((e) => e.unpacked), 'tfjs-backend-wasm’s .wasm binaries sit unpacked beside the bundles');

  // tfjs is bundled (core, gradients, chained ops, cpu + wasm backends); no @tensorflow package ships.
  const forbidden = /^node_modules\/(tsx|esbuild|@esbuild|typescript|electron-builder|app-builder-lib|playwright-core|react|react-dom|react-konva|konva|onnx-proto|ws|electron|@tensorflow)\//;
  const shipped = entries.filter((e) => forbidden.test(e.path));
  assert.deepEqual(shipped.map((e) => e.path).slice(0, 5), [], 'dev tools, bundled libraries and tfjs packages are not shipped');
  const sources = entries.filter((e) => !e.path.startsWith('node_modules/') && /\.(ts|tsx|mts)$|^(app|main|renderer\/src|bin)\//.test(e.path));
  assert.deepEqual(sources.map((e) => e.path).slice(0, 5), [], 'no TypeScript or source folders');
});

test('better-sqlite3, onnxruntime-node and sharp load in plain Node from app.asar.unpacked and work', () => {
  // y = x·W + b on ONNX Runtime, built with the project's own ONNX graph builder.
  const W = [0.5, -1, 2, 0.25, -3, 1.5];
  const B = [0.1, -0.2];
  const g = new OnnxGraphBuilder('tiny');
  const x = g.input('x', [1, 3]);
  g.op('Add', [g.op('MatMul', [x, g.weight('w', Float32Array.from(W), [3, 2])]), g.weight('b', Float32Array.from(B), [2])], {}, 'y');
  g.output('y', [1, 2]);
  const onnxFile = join(work, 'tiny.onnx');
  writeFileSync(onnxFile, g.serialize());
  const grey = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const pngFile = join(work, 'grey.png');
  writeFileSync(pngFile, encodeGrey8Png(grey, 4, 3));

  const r = drive<{
    sqlite: { id: number; name: string }[];
    onnx: { inputs: string[]; outputs: string[]; y: number[]; dims: number[] };
    sharp: { width: number; height: number; channels: number; pixels: number[] };
    mapped: string[] | null;
  }>('packagedNatives.cjs', [appDir, join(work, 'packaged.db'), onnxFile, pngFile]);

  assert.deepEqual(r.sqlite, [{ id: 1, name: 'packaged' }]);
  assert.deepEqual([r.onnx.inputs, r.onnx.outputs, r.onnx.dims], [['x'], ['y'], [1, 2]]);
  const expected = [0, 1].map((j) => 1 * W[j]! + 2 * W[2 + j]! + 3 * W[4 + j]! + B[j]!);
  r.onnx.y.forEach((v, j) => assert.ok(Math.abs(v - expected[j]!) < 1e-5, `y[${j}] = ${v}, expected ${expected[j]}`));
  assert.deepEqual(r.sharp, { width: 4, height: 3, channels: 1, pixels: Array.from(grey) });

  if (r.mapped) {
    const unpacked = join(app.resourcesDir, 'app.asar.unpacked');
    const ours = r.mapped.filter((p) => /better_sqlite3\.node|onnxruntime|sharp-|libvips/.test(p));
    for (const name of ['better_sqlite3.node', 'onnxruntime_binding.node', 'libonnxruntime', 'sharp-', 'libvips']) {
      assert.ok(ours.some((p) => p.includes(name)), `${name} was mapped (${ours.join(', ')})`);
    }
    for (const p of ours) assert.ok(p.startsWith(unpacked), `${p} was loaded from outside app.asar.unpacked`);
  }
});

type Invoke<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } };

test('the packaged main bundle, with the app core inside, answers the window over IPC and serves the page', () => {
  const newProject = join(workspace, 'packaged');
  const r = drive<{
    windowUrl: string;
    webPreferences: { contextIsolation: boolean; nodeIntegration: boolean; sandbox: boolean; preload: string };
    recentBefore: Invoke<{ dir: string; name: string }[]>;
    created: Invoke<{ name: string }>;
    recentAfter: Invoke<{ dir: string; name: string }[]>;
    samStatus: Invoke<{ available: boolean; reason: string | null }>;
    untrusted: Invoke<unknown>;
    page: { status: number; csp: string | null; body: string };
    script: { status: number; bytes: number };
    quitCalled: boolean;
    errors: string[];
  }>('packagedDesktop.cjs', [appDir, workspace, newProject]);

  assert.equal(r.windowUrl, 'app://pasam/index.html');
  assert.deepEqual([r.webPreferences.contextIsolation, r.webPreferences.nodeIntegration, r.webPreferences.sandbox], [true, false, true]);
  assert.equal(r.webPreferences.preload, join(appDir, 'out', 'preload.cjs'));
  assert.ok(r.recentBefore.ok);
  assert.deepEqual(r.recentBefore.result.map((p) => p.dir), [join(workspace, 'line-a')]);
  assert.ok(r.created.ok, JSON.stringify(r.created));
  assert.ok(r.recentAfter.ok);
  assert.deepEqual(r.recentAfter.result.map((p) => p.dir).sort(), [join(workspace, 'line-a'), newProject].sort());
  assert.ok(ProjectStore.isProject(newProject), 'the checkout opens the project the package created');
  // The SAM worker thread starts from its bundle and reports the empty model library.
  assert.ok(r.samStatus.ok, JSON.stringify(r.samStatus));
  assert.equal(r.samStatus.result.available, false);
  assert.match(r.samStatus.result.reason ?? '', /no SAM model in the library/);
  assert.deepEqual(r.untrusted.ok ? null : r.untrusted.error.code, 'bad-request');
  assert.equal(r.page.status, 200);
  assert.match(r.page.csp ?? '', /default-src 'none'/);
  assert.match(r.page.body, /<script src="app\.js"><\/script>/);
  assert.equal(r.script.status, 200);
  assert.ok(r.script.bytes > 100_000, `app.js is the built renderer (${r.script.bytes} bytes)`);
  assert.ok(r.quitCalled);
  assert.deepEqual(r.errors, []);
});

test('pasam installed without sources picks the shipped tfjs backend and trains in a worker started from its bundle', () => {
  const r = drive<{ doctorCode: number; doctor: string; trainCode: number; train: string; trainErr: string }>('packagedCore.cjs', [appDir, neuProject]);
  assert.equal(r.doctorCode, 0, r.doctor);
  assert.match(r.doctor, /^backend: wasm /m, 'the wasm backend loads its binaries from the package');
  assert.match(r.doctor, /skipped node: @tensorflow\/tfjs-node is not installed/, 'native tfjs is not shipped');
  assert.match(r.doctor, /onnx runtime: \d+\.\d+/);
  assert.equal(r.trainCode, 0, r.trainErr);
  const result = JSON.parse(r.train) as { status: string; epochsDone: number; step: number; error: string | null };
  assert.deepEqual([result.status, result.epochsDone, result.error ?? null], ['completed', 1, null]);
  assert.ok(result.step >= 2, `${result.step} optimiser steps`);
  const store = ProjectStore.open(neuProject);
  try {
    const run = store.listRuns()[0]!;
    assert.equal(run.status, 'completed');
    const epoch = store.listRunEpochs(run.id)[0]!;
    assert.ok(Number.isFinite(Number(epoch.metrics.trainLoss)), `a finite training loss was recorded: ${JSON.stringify(epoch.metrics)}`);
  } finally {
    store.close();
  }
});

test('reports the unpacked size', (t) => {
  const s = sizeReport(app);
  t.diagnostic(`package (${process.platform}-${process.arch}, stand-in Electron): ${mb(s.totalBytes)} unpacked = app.asar ${mb(s.asarBytes)} + app.asar.unpacked ${mb(s.unpackedBytes)} + runtime ${mb(s.runtimeBytes)}; packaged in ${app.seconds.toFixed(0)} s`);
  t.diagnostic(`largest: ${s.top.slice(0, 6).map((x) => `${x.name} ${mb(x.bytes)}`).join(', ')}`);
  // Every file the archive lists is accounted to one contributor; the archive adds only its header.
  const listed = s.top.reduce((n, x) => n + x.bytes, 0);
  assert.ok(listed <= s.asarBytes + s.unpackedBytes && listed > 0.9 * (s.asarBytes + s.unpackedBytes), `${listed} of ${s.asarBytes + s.unpackedBytes} bytes accounted`);
});
