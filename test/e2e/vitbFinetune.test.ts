// The product's central flow on a CPU machine: a user's SAM vit_b checkpoint (written here: random
// weights, the official state_dict names and shapes; nothing is downloaded) is imported, and
// `pasam train <dir> --base <it> --size 256 --epochs 1` fine-tunes PA-SAM on 40 NEU-Seg images on
// ONNX Runtime; `pasam eval` and `pasam segment` then use that run. The same fine-tune is started
// from the Fine-tune page in Chromium (Advanced panel: the library's vit_b, S = 256, 1 epoch).
// The slowest end-to-end test: two vit_b runs of 18 steps at batch 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runCli } from '../helpers/cli.js';
import { writeRandomSamCheckpoint } from '../helpers/samCheckpoint.js';
import { neuManifest } from '../helpers/neuProject.js';
import { NEU, NEU_CLASSES } from './helpers/neuServeProject.js';
import { startServe, tempDir, type ServeHandle } from './helpers/serveProcess.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';

const skip = browserSkipReason();
const rows = neuManifest();
// 40 training images spread over the dataset (all three classes), 4 test images.
const TRAIN = rows.filter((r) => r.split === 'train').filter((_, i) => i % 90 === 0).slice(0, 40).map((r) => r.id);
const TEST = rows.filter((r) => r.split === 'test').slice(0, 4).map((r) => r.id);
const ENV = { PASAM_BACKEND: 'wasm', PASAM_TRAIN_ENGINE: 'ort' };
const LONG = 1_800_000;
let home: string;
let workspace: string;
let projectDir: string;

before(async () => {
  home = tempDir('vitb-home');
  workspace = tempDir('vitb-ws');
  const ckpt = join(tempDir('vitb-ckpt'), 'sam_vit_b_random.pth');
  writeRandomSamCheckpoint(ckpt, 'vit_b', 5);
  const imp = runCli(['model', 'import', ckpt, '--name', 'vitb'], { ...ENV, PASAM_HOME: home }, 300_000);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /imported 'vitb' \(vit_b, 314 tensors, official names\)/);
  const images = tempDir('vitb-img');
  const masks = tempDir('vitb-masks');
  for (const id of [...TRAIN, ...TEST]) {
    symlinkSync(join(NEU, 'images', `${id}.jpg`), join(images, `${id}.jpg`));
    symlinkSync(join(NEU, 'masks', `${id}.png`), join(masks, `${id}.png`));
  }
  projectDir = join(workspace, 'neu');
  const serve = await startServe(['--workspace', workspace], { ...ENV, PASAM_HOME: home });
  try {
    await serve.rpc('projects.create', { dir: projectDir, name: 'NEU vit_b', classes: NEU_CLASSES });
    await serve.rpc('images.import', { path: images, masks });
    const list = (await serve.rpc<{ items: { id: number; name: string }[] }>('images.list', {})).items;
    const ids = (names: string[]) => list.filter((r) => names.includes(r.name.replace(/\.jpg$/, ''))).map((r) => r.id);
    await serve.rpc('images.setSplit', { ids: ids(TRAIN), split: 'train' });
    await serve.rpc('images.setSplit', { ids: ids(TEST), split: 'test' });
  } finally {
    await serve.stop();
  }
});

test('CLI: pasam train --base <vit_b> --size 256 --epochs 1 on 40 NEU-Seg images, then eval and segment', { timeout: LONG }, () => {
  const env = { ...ENV, PASAM_HOME: home };
  const t0 = Date.now();
  const r = runCli(['train', projectDir, '--base', 'vitb', '--size', '256', '--epochs', '1', '--batch', '2'], env, LONG);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const trainSeconds = (Date.now() - t0) / 1000;
  assert.match(r.stdout, /training engine: ONNX Runtime on cpu/);
  assert.match(r.stdout, /run 1: 36 training \/ 4 validation images \(held-out\), 1 epochs × 18 steps, [\d,]+ of [\d,]+ parameters trained, backend onnxruntime-cpu/);
  assert.match(r.stdout, /run 1 completed \(epochs\) after 1 epochs, 18 steps/);
  console.log(`vit_b S=256 batch 2, 18 steps + validation through the CLI: ${trainSeconds.toFixed(0)} s`);

  const ev = runCli(['eval', projectDir, '--run', '1', '--split', 'test', '--json'], env, LONG);
  assert.equal(ev.code, 0, ev.stderr);
  const report = JSON.parse(ev.stdout) as { images: number; mIoU: number | null; trainedWith: { engine: string; executionProvider: string }; evaluatedWith: string; confusion: number[][] };
  assert.equal(report.images, 4);
  assert.deepEqual([report.trainedWith.engine, report.trainedWith.executionProvider], ['ort', 'cpu']);
  assert.equal(report.evaluatedWith, 'ONNX Runtime (cpu)');
  assert.equal(report.confusion.length, 4);
  // Every pixel of the 4 test images (200×200) is counted once.
  assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), 4 * 200 * 200);

  const input = tempDir('vitb-seg-in');
  for (const id of TEST.slice(0, 2)) symlinkSync(join(NEU, 'images', `${id}.jpg`), join(input, `${id}.jpg`));
  const out = join(tempDir('vitb-seg-out'), 'masks');
  const seg = runCli(['segment', projectDir, '--run', '1', input, out], env, LONG);
  assert.equal(seg.code, 0, seg.stderr + seg.stdout);
  const pngs = readdirSync(out).filter((f) => f.endsWith('.png'));
  assert.equal(pngs.length, 2);
  for (const f of pngs) assert.ok(readFileSync(join(out, f)).length > 50, `${f} is a PNG`);
});

let serve: ServeHandle;
let browser: Browser;
let page: Page;
let errors: string[];

after(async () => {
  await browser?.close();
  await serve?.stop();
});

test('Fine-tune page: the imported vit_b at S = 256 for 1 epoch trains on ONNX Runtime to completion', { skip, timeout: LONG }, async () => {
  serve = await startServe([projectDir], { ...ENV, PASAM_HOME: home });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
  await page.goto(serve.url);
  await page.click('role=tab[name="Fine-tune"]');
  await page.waitForSelector('[data-testid=preset-label]', { timeout: LONG });
  await page.click('[data-testid=advanced-toggle]');
  await page.selectOption('[data-testid=adv-model]', 'base:vitb');
  await page.fill('[data-testid=adv-inputSize]', '256');
  await page.fill('[data-testid=adv-epochs]', '1');
  await page.fill('[data-testid=adv-batchSize]', '2');
  await page.fill('[data-testid=run-name]', 'vitb-ui');
  await page.click('[data-testid=finetune-start]');
  await page.waitForSelector('[data-testid=run-title]:has-text("vitb-ui")');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'completed', undefined, { timeout: LONG });
  assert.match((await page.textContent('[data-testid=progress-text]'))!, /^Completed 1 epoch/);
  await screenshot(page, 'finetune-vitb-completed');
  const runs = await serve.rpc<{ id: number; name: string; status: string; base: string; trainedWith: string | null }[]>('training.runs');
  const ui = runs.find((r) => r.name === 'vitb-ui')!;
  assert.deepEqual([ui.status, ui.base, ui.trainedWith], ['completed', 'vitb', 'ONNX Runtime (cpu)']);
  assert.ok(existsSync(join(projectDir, 'runs', String(ui.id), 'best')));
  assert.deepEqual(errors, []);
});
