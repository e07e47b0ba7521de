// The annotator's review workflow (issue 14 item 5) in Chromium over the real `pasam serve`: the
// image strip lists what the API lists for each split/status filter with the API's counts, a click
// opens that image and the keys keep walking the list; the ground truth vs prediction view shows
// the IoU the test counts itself from the API's mask and prediction bytes, and leaves the mask
// byte for byte as it was. Uses the shared tiny trained NEU project (four images, one run).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkipReason, screenshot, startServe, tempDir, useServedUi } from './helpers/fixture.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';

const skip = browserSkipReason();
const ui = useServedUi();

type Row = { id: number; name: string; split: string; status: string };
type MaskResult = { version: { id: number; version: number } | null; mask: { data: Uint8Array } | null };
type Review = { runId: number; runName: string; prediction: { data: Uint8Array }; truth: { version: number } | null; iou: { classes: { iou: number | null }[]; mIoU: number | null } | null };

let runId: number;
let rows: Row[];

const list = async (filter: Record<string, unknown> = {}) => (await ui.serve.rpc<{ items: Row[] }>('images.list', { filter })).items;
const stripIds = () => ui.page.$$eval('[data-testid=strip-item]', (els) => els.map((e) => Number(e.getAttribute('data-image-id'))));
const waitStrip = async (ids: number[]) => {
  await ui.page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('[data-testid=strip-item]')].map((e) => Number(e.getAttribute('data-image-id')));
    return JSON.stringify(got) === JSON.stringify(want);
  }, ids);
  assert.deepEqual(await stripIds(), ids);
};
const openedName = (name: string) => ui.page.waitForFunction((n) => document.querySelector('[data-testid=image-name]')?.textContent === n, name);

before(async () => {
  if (skip) return;
  let dir: string;
  ({ dir, runId } = await trainedTinyNeuProject());
  ui.serve = await startServe([dir], { PASAM_HOME: tempDir('review-home'), PASAM_BACKEND: 'wasm' });
  // Every split and status the chips filter by, on the four images.
  const ids = (await list()).map((r) => r.id);
  await ui.serve.rpc('images.setSplit', { ids: [ids[0]], split: 'test' });
  await ui.serve.rpc('images.setSplit', { ids: [ids[1]], split: 'val' });
  await ui.serve.rpc('images.setStatus', { ids: [ids[0], ids[2]], status: 'reviewed' });
  await ui.serve.rpc('images.setStatus', { ids: [ids[3]], status: 'new' });
  rows = await list();
  await ui.openPage();
});

test('the strip lists and counts what the API lists for each split and status filter; a click opens the image', { skip }, async () => {
  const { page } = ui;
  await page.goto(ui.serve.url);
  await page.locator(`[data-testid=grid-cell][data-image-id="${rows[1]!.id}"]`).dblclick();
  await openedName(rows[1]!.name);
  await waitStrip(rows.map((r) => r.id));
  assert.equal(await page.getAttribute('[data-testid=strip-item][data-current=true]', 'data-image-id'), String(rows[1]!.id), 'the open image is highlighted');

  // Chip counts are the project's, as the API lists them.
  for (const [kind, values] of [['split', ['train', 'val', 'test', 'unassigned']], ['status', ['new', 'annotated', 'reviewed']]] as const) {
    for (const v of values) {
      const expected = rows.filter((r) => r[kind] === v).length;
      await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.textContent === n, [`[data-testid=strip-filter-${kind}-${v}] .chip-count`, String(expected)] as const);
    }
  }

  await page.click('[data-testid=strip-filter-status-reviewed]');
  await waitStrip((await list({ status: ['reviewed'] })).map((r) => r.id));
  await page.click('[data-testid=strip-filter-split-test]');
  const reviewedTest = await list({ status: ['reviewed'], split: ['test'] });
  assert.equal(reviewedTest.length, 1);
  await waitStrip(reviewedTest.map((r) => r.id));
  await page.click('[data-testid=strip-filter-status-reviewed]');
  await page.click('[data-testid=strip-filter-split-val]');
  await waitStrip((await list({ split: ['test', 'val'] })).map((r) => r.id));
  await screenshot(page, 'annotator-strip-filtered');

  // A click on a strip item opens that image; A / D walk the strip's list.
  const target = rows.find((r) => r.split === 'test')!;
  await page.click(`[data-testid=strip-item][data-image-id="${target.id}"]`);
  await openedName(target.name);
  await page.waitForSelector(`[data-testid=strip-item][data-current=true][data-image-id="${target.id}"]`);
  const filtered = await list({ split: ['test', 'val'] });
  const next = filtered[filtered.findIndex((r) => r.id === target.id) + 1] ?? target;
  await page.keyboard.press('d');
  if (next.id !== target.id) await openedName(next.name);
  await page.waitForSelector(`[data-testid=strip-item][data-current=true][data-image-id="${next.id}"]`);

  await page.click('[data-testid=strip-filter-clear]');
  await waitStrip(rows.map((r) => r.id));

  // Beside the strip the options bar keeps one line and still shows the eraser's options and the save state.
  await page.keyboard.press('e');
  const bar = (await page.locator('.optionsbar').boundingBox())!;
  for (const sel of ['[data-testid=erase-any]', '[data-testid=save-state]']) {
    const b = (await page.locator(sel).boundingBox())!;
    assert.ok(b.x >= bar.x && b.x + b.width <= bar.x + bar.width + 0.5 && b.height < bar.height, `${sel} inside the bar: ${JSON.stringify(b)} in ${JSON.stringify(bar)}`);
  }
  await screenshot(page, 'annotator-strip-eraser');
  await page.keyboard.press('b');
  assert.deepEqual(ui.errors, []);
});

/** IoU of class c counted pixel by pixel (null where the class is in neither). */
function countedIoU(truth: Uint8Array, pred: Uint8Array, c: number): number | null {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] === c && pred[i] === c) inter++;
    if (truth[i] === c || pred[i] === c) union++;
  }
  return union ? inter / union : null;
}

test('ground truth vs the run’s prediction: the IoU shown is the one counted from the API’s bytes, and the mask is untouched', { skip }, async () => {
  const { page } = ui;
  const target = rows.find((r) => r.split === 'test')!;
  const before = await ui.serve.rpc<MaskResult>('masks.get', { imageId: target.id });
  const versionsBefore = (await ui.serve.rpc<unknown[]>('masks.versions', { imageId: target.id })).length;
  assert.ok(before.mask && before.version, 'the test image has imported ground truth');

  await page.click(`[data-testid=strip-item][data-image-id="${target.id}"]`);
  await openedName(target.name);
  await page.click('[data-testid=review-open]');
  // No active model: the picker starts on the newest run with a model, here the only one.
  await page.waitForFunction((id) => (document.querySelector('[data-testid=review-run]') as HTMLSelectElement | null)?.value === String(id), runId);
  await page.waitForSelector(`[data-testid=review-panel][data-state=ready][data-run-id="${runId}"]`, { timeout: 90_000 });

  // The run's prediction, as the API gives it (and as Predict would propose it).
  const review = await ui.serve.rpc<Review>('model.reviewPrediction', { imageId: target.id, runId });
  const proposed = await ui.serve.rpc<{ mask: { data: Uint8Array }; runId: number }>('model.predict', { imageId: target.id });
  assert.equal(proposed.runId, runId);
  assert.deepEqual(review.prediction.data, proposed.mask.data, 'the view compares the run’s real prediction');
  assert.equal(review.truth?.version, before.version.version);

  const truth = before.mask.data;
  const pred = proposed.mask.data;
  const classes = review.iou!.classes.length;
  const counted = Array.from({ length: classes }, (_, c) => countedIoU(truth, pred, c));
  const shown = (v: number | null) => (v === null ? '—' : v.toFixed(3));
  for (let c = 0; c < classes; c++) assert.equal(await page.textContent(`[data-testid=review-iou-${c}]`), shown(counted[c]!), `class ${c}`);
  const scored = counted.filter((v): v is number => v !== null);
  assert.equal(await page.textContent('[data-testid=review-miou]'), shown(scored.reduce((a, b) => a + b, 0) / scored.length));

  // The prediction layer: read-only; G toggles back to the ground truth.
  await page.click('[data-testid=review-show-prediction]');
  await page.waitForFunction((name) => document.querySelector('[data-testid=stage-badge]')?.textContent?.includes(name) ?? false, review.runName);
  await screenshot(page, 'annotator-review-prediction');
  const stage = (await page.locator('[data-testid=stage]').boundingBox())!;
  await page.mouse.click(stage.x + stage.width / 2, stage.y + stage.height / 2);
  await page.keyboard.press('Control+z');
  await page.keyboard.press('g');
  await page.waitForSelector('[data-testid=stage-badge]', { state: 'detached' });
  await page.keyboard.press('g');
  await page.waitForSelector('[data-testid=stage-badge]');
  await page.click('[data-testid=review-close]');
  await page.waitForSelector('[data-testid=stage-badge]', { state: 'detached' });
  await page.keyboard.press('Control+s');
  await new Promise((r) => setTimeout(r, 500));

  const after = await ui.serve.rpc<MaskResult>('masks.get', { imageId: target.id });
  assert.equal(after.version?.version, before.version.version, 'no new mask version');
  assert.equal((await ui.serve.rpc<unknown[]>('masks.versions', { imageId: target.id })).length, versionsBefore);
  assert.ok(Buffer.from(after.mask!.data).equals(Buffer.from(truth)), 'the ground truth is byte-identical');

  // An edit (a brush stroke on the ground truth) is scored anew once saved: the cache is per mask version.
  await page.click('[data-testid=review-open]');
  const [cx, cy] = [stage.x + stage.width / 2, stage.y + stage.height / 2];
  await page.mouse.move(cx - 40, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 40, cy, { steps: 8 });
  await page.mouse.up();
  const next = before.version.version + 1;
  await page.waitForSelector(`[data-testid=save-state][data-state=saved][data-version="${next}"]`, { timeout: 20_000 });
  await page.waitForSelector(`[data-testid=review-panel][data-state=ready][data-mask-version="${next}"]`, { timeout: 90_000 });
  const edited = (await ui.serve.rpc<MaskResult>('masks.get', { imageId: target.id })).mask!.data;
  assert.ok(!Buffer.from(edited).equals(Buffer.from(truth)), 'the stroke changed the mask');
  for (let c = 0; c < classes; c++) assert.equal(await page.textContent(`[data-testid=review-iou-${c}]`), shown(countedIoU(edited, pred, c)), `class ${c} after the edit`);

  // A stroke, then at once a click on another image in the strip: the stroke is saved first.
  await page.mouse.move(cx, cy - 40);
  await page.mouse.down();
  await page.mouse.move(cx, cy + 40, { steps: 4 });
  await page.mouse.up();
  const other = rows.find((r) => r.id !== target.id)!;
  await page.click(`[data-testid=strip-item][data-image-id="${other.id}"]`);
  await openedName(other.name);
  assert.equal((await ui.serve.rpc<MaskResult>('masks.get', { imageId: target.id })).version?.version, next + 1, 'the stroke was saved before leaving');
  assert.deepEqual(ui.errors, []);
});
