// Status text belongs to the context it was written in (issue 14 item 6), in Chromium against
// `pasam serve` (no model needed): an export's "Wrote …" or error disappears as soon as the options
// it ran with change, and a new export starts without the old message; the status bar speaks of the
// page it was written on.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useServedUi, tempDir, startNeuTrainProject, browserSkipReason, NEU_TRAIN_FOUR } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();

before(async () => {
  if (skip) return;
  ({ serve: ui.serve } = await startNeuTrainProject('stale', 'NEU stale status', NEU_TRAIN_FOUR, {}));
  await ui.openPage();
});

test('an export message is cleared when its options change; the status bar is cleared with its page', { skip }, async () => {
  const { page } = ui;
  await page.goto(ui.serve.url);
  await page.click('role=tab[name="Dataset"]');
  const status = page.locator('[data-testid=status-text]');
  await page.waitForFunction(() => document.querySelector('[data-testid=status-text]')?.textContent === '4 images');

  await page.click('[data-testid=export-button]');
  const out = join(tempDir('stale-export'), 'export');
  await page.fill('[data-testid=export-out]', out);
  await page.selectOption('[data-testid=export-format]', 'mask-png');
  await page.click('[data-testid=export-run]');
  const result = page.locator('[data-testid=export-result]');
  await result.waitFor({ timeout: 30_000 });
  assert.match((await result.textContent())!, /Wrote 4 images \(4 with masks\).*export/);
  // Another format: "Wrote …" spoke of the mask-png export, not of this one.
  await page.selectOption('[data-testid=export-format]', 'coco');
  assert.equal(await result.count(), 0, 'the result of the earlier export is gone');
  await page.selectOption('[data-testid=export-format]', 'mask-png');
  assert.equal(await result.count(), 0, 'and does not come back with the old options');

  // An error goes the same way: it names the folder tried; another folder clears it.
  const aFile = join(tempDir('stale-file'), 'not-a-folder');
  writeFileSync(aFile, 'x');
  await page.fill('[data-testid=export-out]', aFile);
  await page.click('[data-testid=export-run]');
  const error = page.locator('[data-testid=export-error]');
  await error.waitFor({ timeout: 30_000 });
  assert.match((await error.textContent())!, /not-a-folder/);
  await page.fill('[data-testid=export-out]', out);
  assert.equal(await error.count(), 0, 'the error of the other folder is gone');
  await page.keyboard.press('Escape');
  await page.mouse.click(5, 400);

  // The status bar: "4 images" is the Dataset page's; the Batch page has none of its own.
  assert.equal(await status.textContent(), '4 images');
  await page.click('role=tab[name="Batch"]');
  await page.waitForSelector('[data-testid=batch-page]');
  assert.equal(await status.textContent(), '');
  assert.deepEqual(ui.errors, []);
});
