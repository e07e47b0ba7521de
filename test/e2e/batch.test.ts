// The Batch page in Chromium against `pasam serve`: a folder with one damaged file is segmented with
// a trained run (masks, overlays, CSV/JSON report that lists the damaged file); a job killed with
// the server (SIGKILL) mid-way is shown as interrupted after a restart and resumes without
// segmenting finished images again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServe, tempDir, type ServeHandle } from './helpers/serveProcess.js';
import { NEU, startNeuTrainProject } from './helpers/neuServeProject.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decodeMaskPng } from '../../app/images/imageIO.js';

const skip = browserSkipReason();
const TRAIN = ['train_000201', 'train_000501', 'train_000601', 'train_003591'];
const ENV = { PASAM_BACKEND: 'wasm' };
let home: string;
let projectDir: string;
let serve: ServeHandle;
let browser: Browser;
let page: Page;
let errors: string[];
let runId: number;

interface JobRow { id: number; status: string; live: boolean; interrupted: boolean; done: number; failed: number; total: number; pending: number }

before(async () => {
  if (skip) return;
  ({ serve, home, projectDir } = await startNeuTrainProject('batch', 'NEU batch', TRAIN, ENV));
  ({ runId } = await serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 64, epochs: 1, valFraction: 0 }, name: 'batch model' }));
  for (let i = 0; ; i++) {
    const r = (await serve.rpc<{ id: number; status: string }[]>('training.runs')).find((x) => x.id === runId)!;
    if (r.status === 'completed') break;
    assert.ok(!['failed', 'cancelled'].includes(r.status) && i < 600, `training ${r.status}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  await serve.rpc('model.setActive', { runId });
  browser = await launchBrowser();
  ({ page, errors } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await serve?.stop();
});

async function jobs(s = serve): Promise<JobRow[]> {
  return s.rpc<JobRow[]>('batch.jobs');
}

test('a folder with a damaged file: masks, overlays and a report that lists the damaged file', { skip }, async () => {
  const input = tempDir('batch-in');
  for (const id of ['test_000001', 'test_000201', 'test_000401', 'test_000601']) copyFileSync(join(NEU, 'images', `${id}.jpg`), join(input, `${id}.jpg`));
  writeFileSync(join(input, 'damaged.jpg'), Buffer.concat([readFileSync(join(NEU, 'images', 'test_000002.jpg')).subarray(0, 300)]));
  const output = join(tempDir('batch-out'), 'results');
  await page.goto(serve.url);
  await page.click('role=tab[name="Batch"]');
  await page.waitForSelector('[data-testid=batch-page]');
  await page.fill('[data-testid=batch-input]', input);
  await page.fill('[data-testid=batch-output]', output);
  assert.match((await page.locator('[data-testid=batch-model] option').first().textContent())!, new RegExp(`Run ${runId} · batch model \\(active\\)`));
  await screenshot(page, 'batch-form');
  await page.click('[data-testid=batch-start]');
  await page.waitForSelector('[data-testid=batch-job][data-status=completed]', { timeout: 120_000 });
  assert.match((await page.textContent('[data-testid=batch-counts]'))!, /5 \/ 5 files.*4 segmented.*1 failed/);
  await page.click('[data-testid=batch-details]');
  await page.waitForSelector('[data-testid=batch-item][data-status=failed]');
  assert.match((await page.textContent('[data-testid=batch-item][data-status=failed]'))!, /damaged\.jpg.*failed.*damaged\.jpg/);
  await screenshot(page, 'batch-completed');
  for (const id of ['test_000001', 'test_000201', 'test_000401', 'test_000601']) {
    const m = await decodeMaskPng(readFileSync(join(output, `${id}.png`)), id);
    assert.deepEqual([m.width, m.height], [200, 200]);
    assert.ok(existsSync(join(output, 'overlays', `${id}.png`)));
  }
  const csv = readFileSync(join(output, 'report.csv'), 'utf8');
  assert.match(csv, /^damaged\.jpg,failed,.*damaged\.jpg/m);
  const report = JSON.parse(readFileSync(join(output, 'report.json'), 'utf8'));
  assert.deepEqual([report.totals.done, report.totals.failed], [4, 1]);
  assert.equal(report.images.find((i: { file: string }) => i.file === 'damaged.jpg').status, 'failed');
  assert.ok(existsSync(join(output, 'report-classes.csv')));
  // The output may not be the input folder: refused with a clear message, nothing written.
  await page.fill('[data-testid=batch-output]', join(input, 'masks'));
  await page.click('[data-testid=batch-start]');
  await page.waitForSelector('.toast.error:has-text("lies inside the input folder")');
  assert.ok(!existsSync(join(input, 'masks')));
  assert.deepEqual(errors, []);
});

test('kill the server mid-job, restart: the job is interrupted, Resume finishes it without redoing images', { skip }, async () => {
  const input = tempDir('batch-many');
  const names = readdirSync(join(NEU, 'images')).filter((n) => n.startsWith('test_')).sort().slice(0, 150);
  for (const n of names) symlinkSync(join(NEU, 'images', n), join(input, n));
  const output = join(tempDir('batch-many-out'), 'results');
  mkdirSync(output);
  await page.fill('[data-testid=batch-input]', input);
  await page.fill('[data-testid=batch-output]', output);
  await page.click('[data-testid=batch-start]');
  let job: JobRow | undefined;
  for (let i = 0; i < 3000; i++) {
    job = (await jobs()).find((j) => j.total === names.length);
    if (job && job.done >= 10) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(job && job.done >= 10, 'the job got going');
  await serve.kill();
  const store = ProjectStore.open(projectDir);
  const doneBefore = store.listBatchJobItems(job.id).filter((i) => i.status === 'done');
  store.close();
  assert.ok(doneBefore.length < names.length, `killed with ${doneBefore.length} of ${names.length} done`);

  serve = await startServe([projectDir], { PASAM_HOME: home, ...ENV });
  const after = (await jobs()).find((j) => j.id === job!.id)!;
  assert.equal(after.interrupted, true);
  await page.goto(serve.url);
  await page.click('role=tab[name="Batch"]');
  const card = page.locator(`[data-testid=batch-job][data-job-id="${job.id}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-status'), 'interrupted');
  await screenshot(page, 'batch-interrupted');
  await card.locator('[data-testid=batch-resume]').click();
  await page.waitForSelector(`[data-testid=batch-job][data-job-id="${job.id}"][data-status=completed]`, { timeout: 180_000 });
  const s2 = ProjectStore.open(projectDir);
  const items = new Map(s2.listBatchJobItems(job.id).map((i) => [i.id, i]));
  s2.close();
  for (const d of doneBefore) assert.equal(items.get(d.id)!.updatedAt, d.updatedAt, `${d.sourcePath} was not segmented again`);
  assert.ok([...items.values()].every((i) => i.status === 'done'));
  for (const n of names) assert.ok(existsSync(join(output, n.replace(/\.jpg$/, '.png'))), n);
  assert.equal(JSON.parse(readFileSync(join(output, 'report.json'), 'utf8')).totals.done, names.length);
  await screenshot(page, 'batch-resumed');
});
