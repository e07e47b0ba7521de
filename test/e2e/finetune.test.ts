// One-click fine-tuning in Chromium against `pasam serve`: the tiny preset (shrunk in the Advanced
// panel to S = 64 and 2 epochs so that it stays short) trains on a small NEU-Seg subset and the page
// shows progress, curves and per-class metrics; a second run, the runs list, the confusion heat map,
// the side-by-side comparison (click → annotator), the active model and pre-annotations.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../helpers/cli.js';
import { useServedUi, startServe, tempDir, browserSkipReason, screenshot, NEU_CLASSES } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
const NEU = join(SHARED_DIR, 'datasets', 'neu-seg');
const TRAIN = ['train_000201', 'train_000501', 'train_000601', 'train_003591', 'train_000202', 'train_000502'];
const TEST = ['test_000001', 'test_000201', 'test_000401'];
const UNLABELLED = ['test_000002', 'test_000202'];

interface Row { id: number; name: string }
interface RunRow { id: number; status: string; best: { mIoU: number | null } | null; active: boolean }

before(async () => {
  if (skip) return;
  const workspace = tempDir('ft-ws');
  const labelled = tempDir('ft-img');
  const masks = tempDir('ft-masks');
  const bare = tempDir('ft-bare');
  for (const id of [...TRAIN, ...TEST]) {
    symlinkSync(join(NEU, 'images', `${id}.jpg`), join(labelled, `${id}.jpg`));
    symlinkSync(join(NEU, 'masks', `${id}.png`), join(masks, `${id}.png`));
  }
  for (const id of UNLABELLED) symlinkSync(join(NEU, 'images', `${id}.jpg`), join(bare, `${id}.jpg`));
  mkdirSync(join(workspace, 'x'), { recursive: true });
  ui.serve = await startServe(['--workspace', workspace], { PASAM_HOME: tempDir('ft-home'), PASAM_BACKEND: 'wasm' });
  await ui.serve.rpc('projects.create', { dir: join(workspace, 'neu'), name: 'NEU fine-tune', classes: NEU_CLASSES });
  await ui.serve.rpc('images.import', { path: labelled, masks });
  await ui.serve.rpc('images.import', { path: bare });
  const rows = (await ui.serve.rpc<{ items: Row[] }>('images.list', {})).items;
  const idsOf = (names: string[]) => rows.filter((r) => names.includes(r.name.replace(/\.jpg$/, ''))).map((r) => r.id);
  await ui.serve.rpc('images.setSplit', { ids: idsOf(TRAIN), split: 'train' });
  await ui.serve.rpc('images.setSplit', { ids: idsOf(TEST), split: 'test' });
  await ui.openPage();
});

async function waitRun(id: number, timeoutMs = 240_000): Promise<RunRow> {
  const t0 = Date.now();
  for (;;) {
    const r = (await ui.serve.rpc<RunRow[]>('training.runs')).find((x) => x.id === id)!;
    if (['completed', 'failed', 'cancelled'].includes(r.status)) return r;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} still ${r.status}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

test('one click fine-tunes the tiny preset: progress, live curves, per-class metrics', { skip }, async () => {
  await ui.page.goto(ui.serve.url);
  await ui.page.click('role=tab[name="Fine-tune"]');
  await ui.page.waitForSelector('[data-testid=preset-label]');
  // The preset for this machine (wasm, no vit_b in the library) and this data (200 px images).
  assert.match((await ui.page.textContent('[data-testid=preset-label]'))!, /^tiny from scratch · S=208 · batch 4 · \d+ epochs$/);
  assert.match((await ui.page.textContent('[data-testid=preset-reasons]'))!, /no SAM vit_b in the model library/);
  assert.match((await ui.page.textContent('[data-testid=preset-data]'))!, /6 train · 0 val/);
  await screenshot(ui.page, 'finetune-preset');
  // Keep the test short: S = 64, 2 epochs.
  await ui.page.click('[data-testid=advanced-toggle]');
  await ui.page.fill('[data-testid=adv-inputSize]', '64');
  await ui.page.fill('[data-testid=adv-epochs]', '2');
  await ui.page.fill('[data-testid=run-name]', 'first');
  await screenshot(ui.page, 'finetune-advanced');
  await ui.page.click('[data-testid=finetune-start]');
  await ui.page.waitForSelector('[data-testid=run-title]:has-text("first")');
  // Live: progress events arrive (images/s shown), then the run completes.
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=images-per-second]')?.textContent !== '–', undefined, { timeout: 120_000 });
  await screenshot(ui.page, 'finetune-running');
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'completed', undefined, { timeout: 240_000 });
  assert.equal(await ui.page.getAttribute('[data-testid=progress-bar]', 'data-fraction'), '1.000');
  assert.match((await ui.page.textContent('[data-testid=progress-text]'))!, /^Completed 2 epochs in/);
  // Curves: loss per step and per epoch, validation mIoU/mDice for both epochs.
  assert.ok(Number(await ui.page.getAttribute('[data-testid=loss-chart]', 'data-points')) >= 4);
  assert.equal(await ui.page.getAttribute('[data-testid=metric-chart]', 'data-points'), '4');
  // Per-class table: background + 3 classes with numbers.
  const cells = await ui.page.locator('[data-testid=per-class-table] tbody tr').allTextContents();
  assert.equal(cells.length, 4);
  assert.match(cells[0]!, /^background\d+\.\d\d+\.\d/);
  assert.match((await ui.page.textContent('[data-testid=best-miou]'))!, /^\d+\.\d %$/);
  await screenshot(ui.page, 'finetune-completed');
  assert.deepEqual(ui.errors, []);
});

test('runs list, confusion heat map, active model and pre-annotations', { skip }, async () => {
  // A second run (through the API, as another client would) for the comparison.
  const { runId } = await ui.serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 64, epochs: 1, learningRate: 1e-3 }, name: 'second' });
  const second = await waitRun(runId);
  assert.equal(second.status, 'completed');
  await ui.page.click('role=tab[name="Runs"]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 2);
  const rows = await ui.page.locator('[data-testid=run-row]').allTextContents();
  assert.match(rows[0]!, /2 · second.*completed.*tiny \(scratch\)64/);
  assert.match(rows[1]!, /1 · first.*completed/);
  await ui.page.click('[data-testid=run-row][data-run-id="1"]');
  await ui.page.waitForSelector('[data-testid=runs-per-class]');
  await ui.page.click('[data-testid=evaluate-test]');
  await ui.page.waitForSelector('[data-testid=confusion-heatmap]', { timeout: 120_000 });
  assert.match((await ui.page.textContent('[data-testid=eval-summary]'))!, /^3 test images at original resolution/);
  assert.equal(await ui.page.locator('[data-testid=confusion-heatmap] td.hm-cell').count(), 16);
  await screenshot(ui.page, 'runs-heatmap');

  // Active model → pre-annotations on the two unlabelled images only.
  await ui.page.click('[data-testid=run-row][data-run-id="1"] [data-testid=set-active]');
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=active-model]')?.textContent?.includes('run 1'));
  await ui.page.click('[data-testid=preannotate]');
  await ui.page.waitForSelector('.toast:has-text("2 image(s) received a pre-annotation from run 1")', { timeout: 120_000 });
  const predicted = (await ui.serve.rpc<{ items: Row[] }>('images.list', { filter: { hasPrediction: true } })).items;
  assert.deepEqual(predicted.map((r) => r.name).sort(), UNLABELLED.map((n) => `${n}.jpg`));
  const versions = await ui.serve.rpc<{ source: string; runId: number | null }[]>('masks.versions', { imageId: predicted[0]!.id });
  assert.deepEqual(versions.map((v) => [v.source, v.runId]), [['model', 1]]);
  // "Predict" in the annotator uses the active model too: a class map at the image's size.
  const pred = await ui.serve.rpc<{ mask: { width: number; height: number; data: Uint8Array }; model: string }>('model.predict', { imageId: predicted[0]!.id });
  assert.deepEqual([pred.mask.width, pred.mask.height, pred.mask.data.length, pred.model], [200, 200, 40000, 'first']);
  // A bad Advanced setting is refused with the key named; nothing starts.
  await assert.rejects(ui.serve.rpc('training.start', { config: { epochs: 0 } }), /'epochs' must be ≥ 1/);
  assert.equal((await ui.serve.rpc<RunRow[]>('training.runs')).length, 2);
  await screenshot(ui.page, 'runs-list');
});

test('the comparison view shows two runs on the same test images, worst first, and opens one in the annotator', { skip }, async () => {
  const ticks = ui.page.locator('[data-testid=run-tick]');
  await ticks.nth(0).check();
  await ticks.nth(1).check();
  await ui.page.click('[data-testid=compare-button]');
  await ui.page.waitForSelector('[data-testid=compare-images]', { timeout: 120_000 });
  assert.match((await ui.page.textContent('[data-testid=compare-card-a]'))!, /run 1 · first/);
  assert.match((await ui.page.textContent('[data-testid=compare-card-b]'))!, /run 2 · second/);
  const rows = ui.page.locator('[data-testid=compare-row]');
  assert.equal(await rows.count(), 3);
  // Worst first: the lower of the two IoUs ascends down the list.
  const values = await rows.evaluateAll((trs) => trs.map((tr) => Math.min(Number(tr.children[1]!.textContent), Number(tr.children[2]!.textContent))));
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  await screenshot(ui.page, 'runs-compare');
  const name = (await rows.nth(0).locator('td').first().textContent())!;
  await rows.nth(0).click();
  try {
    await ui.page.waitForFunction((n) => document.querySelector('[data-testid=image-name]')?.textContent === n, name);
  } finally {
    await screenshot(ui.page, 'runs-compare-opened');
  }
  assert.deepEqual(ui.errors, []);
});
