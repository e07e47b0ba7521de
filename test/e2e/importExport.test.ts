// Import and export in the UI are the CLI's (issue 14 item 1): a mask-png folder (images/ +
// masks/) is previewed with its detected layout and counts before anything is
// written, and importing it through the UI gives the same project as `pasam import`; a failed
// import lists every bad file; Export writes the chosen format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runCli } from '../helpers/cli.js';
import { startServe, tempDir, type ServeHandle } from './helpers/serveProcess.js';
import { NEU } from './helpers/neuServeProject.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';
import { ProjectStore } from '../../app/store/projectStore.js';

const skip = browserSkipReason();
const IDS = ['train_000201', 'train_000501', 'train_000601'];
let serve: ServeHandle;
let browser: Browser;
let page: Page;
let errors: string[];
let source: string;
let workspace: string;

before(async () => {
  if (skip) return;
  source = tempDir('maskpng');
  mkdirSync(join(source, 'images'));
  mkdirSync(join(source, 'masks'));
  for (const id of IDS) {
    symlinkSync(join(NEU, 'images', `${id}.jpg`), join(source, 'images', `${id}.jpg`));
    symlinkSync(join(NEU, 'masks', `${id}.png`), join(source, 'masks', `${id}.png`));
  }
  workspace = tempDir('ie-ws');
  serve = await startServe(['--workspace', workspace], { PASAM_HOME: tempDir('ie-home') });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

/** Images (name, split, size) and each latest mask's bytes: what "the same project" means. */
function contents(dir: string) {
  const store = ProjectStore.open(dir);
  try {
    return {
      classes: store.listClasses().map((c) => c.name),
      images: store.listImages({}).map((im) => {
        const m = store.latestMask(im.id);
        return { name: im.originalName, split: im.split, size: [im.width, im.height], mask: m ? Buffer.from(store.readMask(m)).toString('base64') : null, source: m?.source ?? null };
      }).sort((a, b) => a.name.localeCompare(b.name)),
    };
  } finally {
    store.close();
  }
}

test('a mask-png folder through the UI: layout shown first, then the same project as the CLI', { skip }, async () => {
  const cliDir = join(tempDir('ie-cli'), 'p');
  assert.equal(runCli(['init', cliDir, '--name', 'cli', '--classes', 'inclusion,patches,scratches']).code, 0);
  assert.equal(runCli(['import', cliDir, source]).code, 0);

  const uiDir = join(workspace, 'ui');
  await serve.rpc('projects.create', { dir: uiDir, name: 'ui', classes: ['inclusion', 'patches', 'scratches'].map((name, i) => ({ name, color: ['#e6194b', '#3cb44b', '#ffe119'][i] })) });
  await page.goto(serve.url);
  await page.click('[data-testid=import-button]');
  await page.fill('[data-testid=folder-path]', source);
  await page.click('[data-testid=folder-pick]');
  const preview = await page.waitForSelector('[data-testid=import-preview]', { timeout: 30_000 });
  assert.equal(await preview.getAttribute('data-format'), 'mask-png');
  assert.equal(await preview.getAttribute('data-images'), '3');
  assert.equal(await preview.getAttribute('data-masks'), '3');
  await screenshot(page, 'import-preview');
  assert.equal((await serve.rpc<{ imageCount: number }>('projects.current')).imageCount, 0, 'the preview wrote nothing');
  await page.click('[data-testid=import-confirm]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=grid-cell]').length === 3, undefined, { timeout: 30_000 });
  assert.deepEqual(contents(uiDir), contents(cliDir));
  // Item 6 on the way: filter chips count, and `?` opens the help on the Dataset page too.
  await page.waitForFunction(() => document.querySelector('[data-testid=filter-split-unassigned] .chip-count')?.textContent === '3');
  await page.keyboard.press('?');
  assert.match((await page.textContent('[data-testid=help-overlay]'))!, /select every image/);
  await page.keyboard.press('Escape');
  assert.equal(contents(uiDir).images.filter((i) => i.mask).length, 3);
});

test('a failed import lists every bad file; Export writes mask-png from the UI', { skip }, async () => {
  const bad = tempDir('ie-bad');
  for (const n of ['a.jpg', 'b.jpg']) writeFileSync(join(bad, n), 'not a jpeg');
  copyFileSync(join(NEU, 'images', 'train_003591.jpg'), join(bad, 'c.jpg'));
  await page.click('[data-testid=import-button]');
  await page.fill('[data-testid=folder-path]', bad);
  await page.click('[data-testid=folder-pick]');
  await page.waitForSelector('[data-testid=import-preview][data-images="3"]', { timeout: 30_000 });
  await page.click('[data-testid=import-confirm]');
  const list = await page.waitForSelector('[data-testid=import-bad-files]', { timeout: 30_000 });
  const text = (await list.textContent())!;
  assert.match(text, /a\.jpg/);
  assert.match(text, /b\.jpg/);
  await page.click('[data-testid=import-cancel]');

  const out = join(tempDir('ie-out'), 'export');
  await page.click('[data-testid=export-button]');
  await page.fill('[data-testid=export-out]', out);
  await page.selectOption('[data-testid=export-format]', 'mask-png');
  await page.click('[data-testid=export-run]');
  await page.waitForSelector('[data-testid=export-result]', { timeout: 30_000 });
  assert.ok(existsSync(join(out, 'masks')), 'masks/ written');
  assert.equal(readdirSync(join(out, 'masks')).filter((f) => f.endsWith('.png')).length, 3);
  assert.deepEqual(errors, []);
});
