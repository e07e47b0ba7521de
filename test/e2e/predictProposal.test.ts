// Predict never overwrites a human mask silently (issue 14 item 2): on a test-split image with
// imported ground truth, Predict asks which model to use (none is active), shows the prediction as
// a proposal, and the ground truth stays the stored mask until the user confirms replacing it;
// the accepted version is source 'model' with the run id. Uses the shared tiny trained NEU project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startServe, tempDir, type ServeHandle } from './helpers/serveProcess.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';

const skip = browserSkipReason();
type MaskResult = { version: { version: number; source: string; runId: number | null } | null; mask: { data: Uint8Array } | null };

let serve: ServeHandle;
let browser: Browser;
let page: Page;
let errors: string[];
let runId: number;

before(async () => {
  if (skip) return;
  let dir: string;
  ({ dir, runId } = await trainedTinyNeuProject());
  serve = await startServe([dir], { PASAM_HOME: tempDir('proposal-home'), PASAM_BACKEND: 'wasm' });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

test('Predict on a test image: a proposal over the ground truth, which changes only after confirmation', { skip }, async () => {
  const images = (await serve.rpc<{ items: { id: number; name: string }[] }>('images.list')).items;
  const target = images[0]!;
  await serve.rpc('images.setSplit', { ids: [target.id], split: 'test' });
  const gt = await serve.rpc<MaskResult>('masks.get', { imageId: target.id });
  assert.equal(gt.version?.source, 'import');

  await page.goto(serve.url);
  await page.locator(`[data-testid=grid-cell][data-image-id="${target.id}"]`).dblclick();
  await page.waitForFunction((n) => document.querySelector('[data-testid=image-name]')?.textContent === n, target.name);
  await page.click('[data-testid=predict]');
  // No active model: the user is asked which run to use, and it becomes the active model.
  await page.waitForSelector('[data-testid=model-chooser]');
  await page.click(`[data-testid=choose-run-${runId}]`);
  await page.waitForSelector(`[data-testid=proposal-panel][data-run-id="${runId}"]`, { timeout: 60_000 });
  assert.equal((await serve.rpc<{ runId: number }>('model.active')).runId, runId);
  await page.mouse.move(5, 5);
  await screenshot(page, 'annotator-proposal');

  const untouched = async () => {
    const now = await serve.rpc<MaskResult>('masks.get', { imageId: target.id });
    assert.equal(now.version?.version, gt.version?.version, 'no new mask version');
    assert.deepEqual(now.mask?.data, gt.mask?.data, 'ground truth untouched');
  };
  await untouched();

  // Accepting on a test image asks first; cancelling leaves the ground truth as it was.
  await page.click('[data-testid=proposal-accept-all]');
  await page.waitForSelector('[data-testid=confirm-protected]');
  await screenshot(page, 'annotator-proposal-confirm');
  await page.click('[data-testid=confirm-cancel]');
  await page.waitForSelector('[data-testid=confirm-protected]', { state: 'detached' });
  await new Promise((r) => setTimeout(r, 500));
  await untouched();
  assert.equal(await page.locator('[data-testid=proposal-panel]').count(), 1, 'the proposal is still on offer');

  await page.click('[data-testid=proposal-accept-all]');
  await page.click('[data-testid=confirm-ok]');
  const next = (gt.version?.version ?? 0) + 1;
  await page.waitForSelector(`[data-testid=save-state][data-state=saved][data-version="${next}"]`, { timeout: 20_000 });
  const saved = await serve.rpc<MaskResult>('masks.get', { imageId: target.id });
  assert.equal(saved.version?.source, 'model');
  assert.equal(saved.version?.runId, runId);
  const predicted = await serve.rpc<{ mask: { data: Uint8Array } }>('model.predict', { imageId: target.id });
  assert.deepEqual(saved.mask?.data, predicted.mask.data, 'the accepted mask is the prediction');
  assert.equal(await page.locator('[data-testid=proposal-panel]').count(), 0);
  assert.deepEqual(errors, []);
});
