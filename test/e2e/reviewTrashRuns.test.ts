// Review workflow, store and Runs side (issue 14 item 5), in Chromium against the real `pasam serve`:
// images to a recoverable Trash and back (bytes and mask intact, counts right), permanent deletion
// (their files gone, every other image intact, an image a run trained on kept), and on the Runs
// page: the test evaluation kept with the run (Test mIoU column after a reload), rename (seen on
// the Runs and Fine-tune pages), export to ONNX (loaded by ONNX Runtime here), and delete (the
// active model: asked, then cleared). One tiny run (S = 32, one epoch) serves every Runs test.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServedUi, startNeuProject, tempDir, browserSkipReason, screenshot, NEU_TRAIN_FOUR, WASM_ENV } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
const TEST = ['test_000001', 'test_000201'];
const BARE = ['test_000002'];

interface Row { id: number; name: string; split: string }
interface Image { id: number; sha256: string; ext: string }
interface RunRow { id: number; name: string; status: string; active: boolean; test: { mIoU: number | null; iou: (number | null)[]; at: string; inputSize: number } | null }
let projectDir = '';
let runId = 0;
let ids: Record<string, number> = {};

const imageFile = (img: Image) => join(projectDir, 'images', img.sha256.slice(0, 2), `${img.sha256}.${img.ext}`);
const maskFile = (sha256: string) => join(projectDir, 'masks', sha256.slice(0, 2), `${sha256}.png`);
const image = async (id: number) => (await ui.serve.rpc<{ image: Image; latestMask: { sha256: string } | null }>('images.get', { id }));
const mask = async (id: number) => (await ui.serve.rpc<{ mask: { data: Uint8Array } | null }>('masks.get', { imageId: id })).mask!.data;
const runs = () => ui.serve.rpc<RunRow[]>('training.runs');
const gridCount = () => ui.page.locator('[data-testid=grid-cell]').count();
/** Waits until a chip counts `n` (the counts are read back after the grid reloads). */
const chipReads = (testid: string, n: number) => ui.page.waitForFunction(([t, v]) => document.querySelector(`[data-testid=${t}] .chip-count`)?.textContent === v, [testid, String(n)] as const);

before(async () => {
  if (skip) return;
  ({ serve: ui.serve, projectDir, ids } = await startNeuProject('review', 'NEU review', { train: NEU_TRAIN_FOUR, test: TEST, bare: BARE }, WASM_ENV));
  ({ runId } = await ui.serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 32, epochs: 1, batchSize: 2 }, name: 'tiny' }));
  const t0 = Date.now();
  for (;;) {
    const r = (await runs()).find((x) => x.id === runId)!;
    if (r.status === 'completed') break;
    if (['failed', 'cancelled'].includes(r.status) || Date.now() - t0 > 240_000) throw new Error(`run ${runId}: ${r.status}`);
    await new Promise((res) => setTimeout(res, 300));
  }
  await ui.openPage();
  await ui.page.goto(ui.serve.url);
  await ui.page.waitForSelector('[data-testid=grid-cell]');
});

test('trash an image from the grid and restore it: counts follow, bytes and mask come back intact', { skip }, async () => {
  const id = ids[TEST[0]!]!;
  const before = await image(id);
  const bytes = readFileSync(imageFile(before.image));
  const m = await mask(id);
  assert.equal(await gridCount(), 7);
  await chipReads('filter-split-test', 2);

  await ui.page.click(`[data-testid=grid-cell][data-image-id="${id}"]`);
  await ui.page.click('[data-testid=bulk-trash]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 6);
  await chipReads('trash-button', 1);
  await chipReads('filter-split-test', 1);
  assert.equal((await ui.serve.rpc<{ total: number }>('images.list', {})).total, 6);
  // Out of evaluation as well: the test split the run would be scored on has one image left.
  assert.deepEqual((await ui.serve.rpc<{ items: Row[] }>('images.list', { filter: { split: ['test'] } })).items.map((r) => r.id), [ids[TEST[1]!]]);

  await ui.page.click('[data-testid=trash-button]');
  await ui.page.waitForSelector(`[data-testid=trash-item][data-image-id="${id}"]`);
  await screenshot(ui.page, 'trash-view');
  await ui.page.click('[data-testid=trash-restore]');
  await ui.page.waitForSelector('.toast:has-text("Restored 1 image to the dataset")');
  await ui.page.click('[data-testid=trash-close]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 7);
  await chipReads('trash-button', 0);
  await chipReads('filter-split-test', 2);
  const after = await image(id);
  assert.deepEqual(readFileSync(imageFile(after.image)), bytes);
  assert.deepEqual(await mask(id), m);
  assert.equal(after.latestMask!.sha256, before.latestMask!.sha256);
});

test('delete permanently: the images and their own files go, every other image stays whole, an image a run trained on is kept', { skip }, async () => {
  const [t2, u, trained] = [ids[TEST[1]!]!, ids[BARE[0]!]!, ids[NEU_TRAIN_FOUR[0]!]!];
  const gone = await Promise.all([t2, u].map(image));
  const others = await Promise.all(Object.values(ids).filter((id) => id !== t2 && id !== u).map(image));
  const otherBytes = others.map((o) => readFileSync(imageFile(o.image)));

  await ui.page.click(`[data-testid=grid-cell][data-image-id="${t2}"]`);
  await ui.page.click(`[data-testid=grid-cell][data-image-id="${u}"]`, { modifiers: ['Control'] });
  await ui.page.click(`[data-testid=grid-cell][data-image-id="${trained}"]`, { modifiers: ['Control'] });
  await ui.page.click('[data-testid=bulk-trash]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 4);
  await ui.page.click('[data-testid=trash-button]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=trash-item]').length === 3);
  await ui.page.click('[data-testid=trash-delete]');
  await ui.page.waitForSelector('[data-testid=trash-delete-dialog]');
  await ui.page.click('[data-testid=confirm-ok]');
  await ui.page.waitForSelector(`.toast:has-text("Deleted 2 images permanently")`);
  assert.match((await ui.page.textContent('.toast:has-text("Deleted 2 images permanently")'))!, new RegExp(`kept 1 image a training run used \\(${NEU_TRAIN_FOUR[0]}\\.jpg: run ${runId}\\)`));
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=trash-item]').length === 1);

  for (const g of gone) {
    assert.ok(!existsSync(imageFile(g.image)), `${imageFile(g.image)} removed`);
    if (g.latestMask) assert.ok(!existsSync(maskFile(g.latestMask.sha256)), 'its mask file removed');
    await assert.rejects(image(g.image.id), /no image with id/);
  }
  others.forEach((o, i) => assert.deepEqual(readFileSync(imageFile(o.image)), otherBytes[i], `image ${o.image.id} intact`));
  for (const o of others) if (o.latestMask) assert.ok(existsSync(maskFile(o.latestMask.sha256)));

  // The run-used image goes back to the dataset.
  await ui.page.click('[data-testid=trash-restore]');
  await ui.page.click('[data-testid=trash-close]');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 5);
  await chipReads('trash-button', 0);
});

test('evaluate a run on the test split: the Test mIoU column and per-class detail persist after a reload', { skip }, async () => {
  await ui.page.click('role=tab[name="Runs"]');
  const row = `[data-testid=run-row][data-run-id="${runId}"]`;
  await ui.page.waitForSelector(row);
  assert.equal((await ui.page.textContent(`${row} [data-testid=run-test-miou]`))!.trim(), '–');
  await ui.page.click(row);
  await ui.page.click('[data-testid=evaluate-test]');
  await ui.page.waitForSelector('[data-testid=eval-summary]', { timeout: 120_000 });
  await ui.page.waitForFunction((sel) => /^\d+\.\d$/.test(document.querySelector(`${sel} [data-testid=run-test-miou]`)?.textContent?.trim() ?? ''), row);
  const stored = (await runs()).find((r) => r.id === runId)!.test!;
  assert.equal(stored.inputSize, 32);
  assert.ok(Date.now() - Date.parse(stored.at) < 300_000);
  const shown = (await ui.page.textContent(`${row} [data-testid=run-test-miou]`))!.trim();
  assert.equal(shown, (100 * stored.mIoU!).toFixed(1));

  await ui.page.reload();
  await ui.page.click('role=tab[name="Runs"]');
  await ui.page.waitForSelector(row);
  assert.equal((await ui.page.textContent(`${row} [data-testid=run-test-miou]`))!.trim(), shown);
  assert.match((await ui.page.getAttribute(`${row} [data-testid=run-test-miou]`, 'title'))!, /Test split, 1 images,[^\n]*\nwhole image at S = 32\nbackground: \d+\.\d %\ninclusion: /);
  await ui.page.click(row);
  await ui.page.waitForSelector('[data-testid=stored-test-eval]');
  assert.equal(await ui.page.locator('[data-testid=stored-test-per-class] tbody tr').count(), 4);
  await screenshot(ui.page, 'runs-test-miou');
});

test('rename a run: the new name shows on the Runs and Fine-tune pages', { skip }, async () => {
  const row = `[data-testid=run-row][data-run-id="${runId}"]`;
  await ui.page.click(`${row} [data-testid=run-rename]`);
  await ui.page.fill('[data-testid=run-name-input]', '  steel v2 — night shift  ');
  await ui.page.press('[data-testid=run-name-input]', 'Enter');
  await ui.page.waitForFunction((sel) => document.querySelector(`${sel} [data-testid=run-name]`)?.textContent === 'steel v2 — night shift', row);
  assert.equal((await runs()).find((r) => r.id === runId)!.name, 'steel v2 — night shift');
  await ui.page.click('role=tab[name="Fine-tune"]');
  await ui.page.waitForSelector('[data-testid=run-title]:has-text("steel v2 — night shift")');
  await ui.page.click('role=tab[name="Runs"]');
  await ui.page.waitForSelector(row);
});

test('export a run to ONNX from the Runs page: the file loads in ONNX Runtime; a non-empty folder is refused in words', { skip }, async () => {
  const out = join(tempDir('review-export'), 'model');
  const row = `[data-testid=run-row][data-run-id="${runId}"]`;
  await ui.page.click(`${row} [data-testid=run-export]`);
  await ui.page.waitForSelector('[data-testid=run-export-dialog]');
  assert.match(await ui.page.inputValue('[data-testid=run-export-out]'), new RegExp(`/exports/steel_v2_night_shift-run${runId}-onnx$`));
  await ui.page.fill('[data-testid=run-export-out]', out);
  await ui.page.click('[data-testid=run-export-run]');
  await ui.page.waitForSelector('[data-testid=run-export-result]', { timeout: 120_000 });
  await ui.page.waitForSelector(`.toast:has-text("exported to ONNX in ${out}")`);
  const modelPath = join(out, 'model.onnx');
  assert.ok(readFileSync(modelPath).length > 1000);
  const card = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { name: string; classes: { name: string }[]; preprocessing: { inputSize: number } };
  assert.deepEqual([card.name, card.classes.map((c) => c.name), card.preprocessing.inputSize], ['steel v2 — night shift', ['background', 'inclusion', 'patches', 'scratches'], 32]);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelPath);
  assert.ok(session.inputNames.length >= 1 && session.outputNames.includes('logits'), `inputs ${session.inputNames}, outputs ${session.outputNames}`);
  await session.release();
  await ui.page.click('[data-testid=run-export-dialog] button:has-text("Close")');

  // The same folder again: it is not empty now, and the dialog says so.
  await ui.page.click(`${row} [data-testid=run-export]`);
  await ui.page.fill('[data-testid=run-export-out]', out);
  await ui.page.click('[data-testid=run-export-run]');
  await ui.page.waitForSelector('[data-testid=run-export-error]', { timeout: 60_000 });
  assert.match((await ui.page.textContent('[data-testid=run-export-error]'))!, /^Export failed: .*is not an empty folder; choose an empty or new folder/);
  await ui.page.click('[data-testid=run-export-dialog] button:has-text("Close")');
});

test('delete the active run: asked with a warning, then gone from the table and the disk, and no active model', { skip }, async () => {
  await ui.serve.rpc('model.setActive', { runId });
  await assert.rejects(ui.serve.rpc('training.delete', { runId }), /is the active model; confirm/);
  const row = `[data-testid=run-row][data-run-id="${runId}"]`;
  await ui.page.waitForSelector(`${row} .st.active`);
  await ui.page.click(`${row} [data-testid=run-delete]`);
  await ui.page.waitForSelector('[data-testid=run-delete-dialog] [data-testid=run-delete-active]');
  await ui.page.click('[data-testid=confirm-ok]');
  await ui.page.waitForSelector(`.toast:has-text("Deleted run ${runId}")`);
  await ui.page.waitForFunction((sel) => !document.querySelector(sel), row);
  assert.equal((await runs()).length, 0);
  assert.ok(!existsSync(join(projectDir, 'runs', String(runId))), 'the run folder is removed');
  assert.deepEqual(await ui.serve.rpc('model.active'), { runId: null, name: null });
  assert.equal((await ui.serve.rpc<{ total: number }>('images.list', {})).total, 5, 'no image went with the run');
  assert.deepEqual(ui.errors, []);
});
