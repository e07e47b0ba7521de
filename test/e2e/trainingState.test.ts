// Training state is one truth (issue 14 item 4): cancel a run on the Fine-tune page while a second
// tab shows the Runs page — both show the run cancelled (from the run record) within one second of
// each other, the Fine-tune page says why and what to do, and the Runs table offers Resume.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { ServeHandle } from './helpers/serveProcess.js';
import { startNeuTrainProject } from './helpers/neuServeProject.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';

const skip = browserSkipReason();
const TRAIN = ['train_000201', 'train_000501', 'train_000601', 'train_003591'];
let serve: ServeHandle;
let browser: Browser;
let fineTune: Page;
let runs: Page;

before(async () => {
  if (skip) return;
  ({ serve } = await startNeuTrainProject('state', 'NEU state', TRAIN, { PASAM_BACKEND: 'wasm' }));
  browser = await launchBrowser();
  ({ page: fineTune } = await newPage(browser));
  ({ page: runs } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

/** Resolves with the time the run's status pill on `page` reads `state`. */
function when(page: Page, selector: string, state: string, timeout: number): Promise<number> {
  return page.waitForFunction(([sel, st]) => document.querySelector(`${sel} [data-state]`)?.getAttribute('data-state') === st, [selector, state] as const, { timeout, polling: 50 }).then(() => Date.now());
}

test('cancel a run: Fine-tune and Runs pages agree within one second, and Resume is offered in both', { skip }, async () => {
  const { runId } = await serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 32, epochs: 40, batchSize: 2, valFraction: 0 }, name: 'to cancel' });
  await fineTune.goto(serve.url);
  await fineTune.click('role=tab[name="Fine-tune"]');
  await runs.goto(serve.url);
  await runs.click('role=tab[name="Runs"]');
  const row = `[data-testid=run-row][data-run-id="${runId}"]`;
  await when(fineTune, '[data-testid=run-status]', 'training', 120_000);
  await when(runs, row, 'training', 30_000);
  await fineTune.waitForSelector('[data-testid=run-cancel]');

  await fineTune.click('[data-testid=run-cancel]');
  const [a, b] = await Promise.all([when(fineTune, '[data-testid=run-status]', 'cancelled', 60_000), when(runs, row, 'cancelled', 60_000)]);
  assert.ok(Math.abs(a - b) <= 1000, `Fine-tune page and Runs page disagreed for ${Math.abs(a - b)} ms`);
  const rec = (await serve.rpc<{ id: number; status: string }[]>('training.runs')).find((r) => r.id === runId)!;
  assert.equal(rec.status, 'cancelled');

  // The Fine-tune page shows no stale progress: why it stopped and what to do, and Resume.
  await fineTune.waitForSelector('[data-testid=run-resume]');
  assert.equal(await fineTune.locator('[data-testid=run-cancel]').count(), 0);
  assert.match((await fineTune.textContent('[data-testid=progress-text]'))!, /^Cancelled after \d+ of 40 epochs \(stopped with Cancel\)\. .*Resume/);
  await runs.waitForSelector(`${row} [data-testid=runs-resume]`);
  await screenshot(fineTune, 'finetune-cancelled');
  await screenshot(runs, 'runs-cancelled');
});
