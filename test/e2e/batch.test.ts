// The Batch page in Chromium against `pasam serve`: a folder with one damaged file is segmented with
// a trained run (masks, overlays, CSV/JSON report that lists the damaged file) and shown as
// "completed with 1 failure" in amber, the damaged file listed first with its error, the end told
// by a toast on another page; running the folder again asks before replacing its results (cancel
// leaves them byte-identical, a new folder or overwrite write); a job killed with the server
// (SIGKILL) mid-way is shown as interrupted after a restart and resumes without segmenting
// finished images again.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { folderSnapshot } from '../helpers/folderSnapshot.js';
import { decodeMaskPng } from '../../app/images/imageIO.js';
import { useServedUi, startServe, tempDir, NEU, startNeuTrainProject, browserSkipReason, screenshot, NEU_TRAIN_FOUR, WASM_ENV } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
let home: string;
let projectDir: string;
let runId: number;

interface JobRow { id: number; status: string; live: boolean; interrupted: boolean; done: number; failed: number; total: number; pending: number }

before(async () => {
  if (skip) return;
  ({ serve: ui.serve, home, projectDir } = await startNeuTrainProject('batch', 'NEU batch', NEU_TRAIN_FOUR, WASM_ENV));
  ({ runId } = await ui.serve.rpc<{ runId: number }>('training.start', { config: { inputSize: 64, epochs: 1, valFraction: 0 }, name: 'batch model' }));
  for (let i = 0; ; i++) {
    const r = (await ui.serve.rpc<{ id: number; status: string }[]>('training.runs')).find((x) => x.id === runId)!;
    if (r.status === 'completed') break;
    assert.ok(!['failed', 'cancelled'].includes(r.status) && i < 600, `training ${r.status}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  await ui.serve.rpc('model.setActive', { runId });
  await ui.openPage();
});

async function jobs(s = ui.serve): Promise<JobRow[]> {
  return s.rpc<JobRow[]>('batch.jobs');
}

test('a folder with a damaged file: masks, overlays, a report; "completed with 1 failure" in amber, the damaged file first, a toast on another page; running it again asks before replacing the results', { skip }, async () => {
  const input = tempDir('batch-in');
  for (const id of ['test_000001', 'test_000201', 'test_000401', 'test_000601']) copyFileSync(join(NEU, 'images', `${id}.jpg`), join(input, `${id}.jpg`));
  writeFileSync(join(input, 'damaged.jpg'), Buffer.concat([readFileSync(join(NEU, 'images', 'test_000002.jpg')).subarray(0, 300)]));
  const output = join(tempDir('batch-out'), 'results');
  await ui.page.goto(ui.serve.url);
  await ui.page.click('role=tab[name="Batch"]');
  await ui.page.waitForSelector('[data-testid=batch-page]');
  await ui.page.fill('[data-testid=batch-input]', input);
  await ui.page.fill('[data-testid=batch-output]', output);
  assert.match((await ui.page.locator('[data-testid=batch-model] option').first().textContent())!, new RegExp(`Run ${runId} · batch model \\(active\\)`));
  await screenshot(ui.page, 'batch-form');
  await ui.page.click('[data-testid=batch-start]');
  // The end of the job is told on whatever page is open: here the Dataset page.
  await ui.page.click('role=tab[name="Dataset"]');
  const toast = ui.page.locator('.toast.warn', { hasText: 'completed with 1 failure' });
  await toast.waitFor({ timeout: 120_000 });
  assert.match((await toast.textContent())!, /^Batch job \d+ completed with 1 failure: 4 of 5 images segmented into .*results; the failed file is listed first under Files$/);
  assert.equal(await ui.page.locator('[data-testid=batch-page]').count(), 0, 'the toast came while the Batch page was not open');
  await ui.page.click('role=tab[name="Batch"]');
  const card = ui.page.locator('[data-testid=batch-job][data-status=completed]');
  await card.waitFor();
  assert.match((await card.locator('[data-testid=batch-counts]').textContent())!, /5 \/ 5 files.*4 segmented.*1 failed/);
  // Neither green "completed" nor red "failed": amber, with the number of failures.
  const badge = card.locator('[data-testid=batch-outcome]');
  assert.equal(await badge.textContent(), 'completed with 1 failure');
  assert.equal(await card.getAttribute('data-outcome'), 'completed-with-failures');
  assert.equal(await badge.evaluate((el) => getComputedStyle(el).color), 'rgb(242, 198, 109)', 'amber text');
  assert.equal(await card.locator('.ft-progress').evaluate((el) => getComputedStyle(el.firstElementChild!).backgroundColor), 'rgb(210, 153, 34)', 'amber progress bar (--warn)');
  // The failed file comes first in the file list, with its error in words.
  await card.locator('[data-testid=batch-details]').click();
  const first = ui.page.locator('[data-testid=batch-item]').first();
  await first.waitFor();
  assert.equal(await first.getAttribute('data-status'), 'failed');
  assert.equal(await first.locator('td.name').textContent(), 'damaged.jpg');
  assert.match((await first.locator('td.ft-err').textContent())!, /damaged\.jpg.*\w{4,}/);
  assert.deepEqual(await ui.page.locator('[data-testid=batch-item]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), ['failed', 'done', 'done', 'done', 'done']);
  await screenshot(ui.page, 'batch-completed');
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

  // The same folder again into the same output: asked first, with what would be replaced.
  const firstJobId = Number(await card.getAttribute('data-job-id'));
  const results = folderSnapshot(output);
  const jobCount = (await jobs()).length;
  await ui.page.click('[data-testid=batch-start]');
  const question = ui.page.locator('[data-testid=batch-overwrite]');
  await question.waitFor();
  const text = (await question.locator('[data-testid=batch-overwrite-text]').textContent())!;
  assert.match(text, new RegExp(`Job ${firstJobId} \\(completed with 1 failure\\) wrote its results here before`));
  assert.match(text, /holds 11 files this job would write \(4 masks, 4 overlays and 3 report files\)/);
  assert.equal(await question.locator('[data-testid=confirm-ok]').textContent(), 'Overwrite 11 files');
  await screenshot(ui.page, 'batch-overwrite-question');
  // Cancel: nothing is started and not a byte changes.
  await question.locator('[data-testid=confirm-cancel]').click();
  await question.waitFor({ state: 'detached' });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await jobs()).length, jobCount, 'no job started');
  assert.deepEqual(folderSnapshot(output), results, 'the outputs are byte-identical');
  // A new folder: the earlier results stay as they are, the new job writes beside them.
  await ui.page.click('[data-testid=batch-start]');
  await question.locator('[data-testid=batch-new-folder]').click();
  assert.equal(await ui.page.inputValue('[data-testid=batch-output]'), `${output}-2`);
  await ui.page.locator(`[data-testid=batch-job][data-job-id="${firstJobId + 1}"][data-status=completed]`).waitFor({ timeout: 120_000 });
  assert.ok(existsSync(join(`${output}-2`, 'test_000001.png')));
  assert.deepEqual(folderSnapshot(output), results);
  // Overwrite, when asked for, replaces the files.
  await ui.page.fill('[data-testid=batch-output]', output);
  await ui.page.click('[data-testid=batch-start]');
  await question.locator('[data-testid=confirm-ok]').click();
  await ui.page.locator(`[data-testid=batch-job][data-job-id="${firstJobId + 2}"][data-status=completed]`).waitFor({ timeout: 120_000 });
  assert.equal(JSON.parse(readFileSync(join(output, 'report.json'), 'utf8')).jobId, firstJobId + 2, 'the report is the new job’s');
  // The output may not be the input folder: refused with a clear message, nothing written.
  await ui.page.fill('[data-testid=batch-output]', join(input, 'masks'));
  await ui.page.click('[data-testid=batch-start]');
  await ui.page.waitForSelector('.toast.error:has-text("lies inside the input folder")');
  assert.ok(!existsSync(join(input, 'masks')));
  assert.deepEqual(ui.errors, []);
});

test('kill the server mid-job, restart: the job is interrupted, Resume finishes it without redoing images', { skip }, async () => {
  const input = tempDir('batch-many');
  const names = readdirSync(join(NEU, 'images')).filter((n) => n.startsWith('test_')).sort().slice(0, 150);
  for (const n of names) symlinkSync(join(NEU, 'images', n), join(input, n));
  const output = join(tempDir('batch-many-out'), 'results');
  mkdirSync(output);
  await ui.page.fill('[data-testid=batch-input]', input);
  await ui.page.fill('[data-testid=batch-output]', output);
  await ui.page.click('[data-testid=batch-start]');
  let job: JobRow | undefined;
  for (let i = 0; i < 3000; i++) {
    job = (await jobs()).find((j) => j.total === names.length);
    if (job && job.done >= 10) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(job && job.done >= 10, 'the job got going');
  await ui.serve.kill();
  const store = ProjectStore.open(projectDir);
  const doneBefore = store.listBatchJobItems(job.id).filter((i) => i.status === 'done');
  store.close();
  assert.ok(doneBefore.length < names.length, `killed with ${doneBefore.length} of ${names.length} done`);

  ui.serve = await startServe([projectDir], { PASAM_HOME: home, ...WASM_ENV });
  const after = (await jobs()).find((j) => j.id === job!.id)!;
  assert.equal(after.interrupted, true);
  await ui.page.goto(ui.serve.url);
  await ui.page.click('role=tab[name="Batch"]');
  const card = ui.page.locator(`[data-testid=batch-job][data-job-id="${job.id}"]`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-status'), 'interrupted');
  await screenshot(ui.page, 'batch-interrupted');
  await card.locator('[data-testid=batch-resume]').click();
  await ui.page.waitForSelector(`[data-testid=batch-job][data-job-id="${job.id}"][data-status=completed]`, { timeout: 180_000 });
  const s2 = ProjectStore.open(projectDir);
  const items = new Map(s2.listBatchJobItems(job.id).map((i) => [i.id, i]));
  s2.close();
  for (const d of doneBefore) assert.equal(items.get(d.id)!.updatedAt, d.updatedAt, `${d.sourcePath} was not segmented again`);
  assert.ok([...items.values()].every((i) => i.status === 'done'));
  for (const n of names) assert.ok(existsSync(join(output, n.replace(/\.jpg$/, '.png'))), n);
  assert.equal(JSON.parse(readFileSync(join(output, 'report.json'), 'utf8')).totals.done, names.length);
  await screenshot(ui.page, 'batch-resumed');
});
