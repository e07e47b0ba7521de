// The dataset browser with 2,000 images: a virtualised grid (only what is on screen is in the DOM)
// that scrolls to the end, filters, searches and sets the split of a multi-selection.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SHARED_DIR } from '../helpers/cli.js';
import { useServedUi, startServe, tempDir, browserSkipReason, screenshot, NEU_CLASSES } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
const NEU = join(SHARED_DIR, 'datasets', 'neu-seg');
const COUNT = 2000;
const WITH_MASKS = 200;
let added = 0;

before(async () => {
  if (skip) return;
  const workspace = tempDir('grid');
  const images = tempDir('grid-img');
  const masks = join(images, '..', `${images.split('/').pop()}-masks`);
  mkdirSync(masks);
  // Links, not copies: the shared data set stays where it is.
  // Masks for the first 200 only: enough for the class filter, and the import stays quick.
  readdirSync(join(NEU, 'images')).sort().slice(0, COUNT).forEach((name, i) => {
    symlinkSync(join(NEU, 'images', name), join(images, name));
    if (i < WITH_MASKS) symlinkSync(join(NEU, 'masks', name.replace(/\.jpg$/, '.png')), join(masks, name.replace(/\.jpg$/, '.png')));
  });
  ui.serve = await startServe(['--workspace', workspace], { PASAM_HOME: tempDir('grid-home') });
  await ui.serve.rpc('projects.create', { dir: join(workspace, 'neu'), name: 'NEU 2000', classes: NEU_CLASSES });
  const report = await ui.serve.rpc<{ added: number; withMasks: number; problems: { reason: string }[] }>('images.import', { path: images, masks });
  // NEU-Seg holds a few byte-identical images; the import skips them as duplicates.
  const duplicates = report.problems.filter((p) => p.reason === 'duplicate').length;
  assert.equal(report.added + duplicates, COUNT);
  assert.ok(report.added >= COUNT - 10);
  assert.ok(report.withMasks >= WITH_MASKS - 10 && report.withMasks <= WITH_MASKS);
  added = report.added;
  await ui.openPage();
});

const cellCount = (p: Page) => p.locator('[data-testid=grid-cell]').count();

test('the grid holds 2,000 images but renders only the visible cells, and scrolls to the last one', { skip }, async () => {
  await ui.page.goto(ui.serve.url);
  await ui.page.waitForSelector('[data-testid=grid-cell]');
  await ui.page.waitForFunction((n) => document.querySelector('[data-testid=status-text]')?.textContent?.startsWith(`${n.toLocaleString('en-US')} images`), added);
  const initial = await cellCount(ui.page);
  assert.ok(initial > 0 && initial < 150, `${initial} cells in the DOM for 2,000 images`);
  const names: string[] = [];
  for (let step = 1; step <= 5; step++) {
    await ui.page.evaluate((f) => {
      const el = document.querySelector('[data-testid=grid]')!;
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    }, step / 5);
    await ui.page.waitForTimeout(100);
    assert.ok((await cellCount(ui.page)) < 150);
    names.push((await ui.page.locator('[data-testid=grid-cell] .cell-name').last().textContent())!);
  }
  const lastName = (await ui.serve.rpc<{ items: { name: string }[] }>('images.list', {})).items.at(-1)!.name;
  assert.equal(names.at(-1), lastName, 'the last image is reachable');
  await ui.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=grid-cell] img')].every((i) => i.complete && i.naturalWidth > 0), undefined, { timeout: 30_000 });
  await screenshot(ui.page, 'dataset-grid-2000-bottom');
});

test('search, filter by class and multi-select to set the split', { skip }, async () => {
  await ui.page.fill('[data-testid=search]', 'test_00010');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 10);
  const cells = ui.page.locator('[data-testid=grid-cell]');
  await cells.nth(0).click();
  await cells.nth(3).click({ modifiers: ['Shift'] });
  await ui.page.waitForSelector('[data-testid=bulk-actions]');
  await ui.page.selectOption('[data-testid=bulk-split]', 'val');
  await ui.page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell] .split-val').length === 4);
  const val = await ui.serve.rpc<{ total: number; items: { name: string }[] }>('images.list', { filter: { split: ['val'] } });
  assert.deepEqual(val.items.map((i) => i.name), ['test_000100.jpg', 'test_000101.jpg', 'test_000102.jpg', 'test_000103.jpg']);
  await screenshot(ui.page, 'dataset-grid-selection');
  await ui.page.fill('[data-testid=search]', '');
  let classIndex = 0;
  let total = 0;
  for (let k = 1; k <= 3 && total === 0; k++) {
    classIndex = k;
    total = (await ui.serve.rpc<{ total: number }>('images.list', { filter: { classIndex: k } })).total;
  }
  assert.ok(total > 0 && total <= WITH_MASKS, `class ${classIndex}: ${total} images`);
  await ui.page.selectOption('select[aria-label="Class filter"]', String(classIndex));
  await ui.page.waitForFunction((n) => document.querySelector('[data-testid=status-text]')?.textContent?.startsWith(`${n.toLocaleString('en-US')} image`), total);
  const dots = await ui.page.locator('[data-testid=grid-cell]').first().locator('.dots i').count();
  assert.ok(dots >= 1, 'cells show the classes of their masks');
});
