// The Batch page in Chromium against `pasam serve`: a folder with one damaged file is segmented with
// a trained run (masks, overlays, CSV/JSON report that lists the damaged file); a job killed with
// the server (SIGKILL) mid-way is shown as interrupted after a restart and resumes without
// segmenting finished images again.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
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

test('a folder with a damaged file: masks, overlays and a report that lists the damaged file', { skip }, async () => {
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
  await ui.page.waitForSelector('[data-testid=batch-job][data-status=completed]', { timeout: 120_000 });
  assert.match((await ui.page.textContent('[data-testid=batch-counts]'))!, /5 \/ 5 files.*4 segmented.*1 failed/);
  await ui.page.click('[data-testid=batch-details]');
  await ui.page.waitForSelector('[data-testid=batch-item][data-status=failed]');
  assert.match((await ui.page.textContent('[data-testid=batch-item][data-status=failed]'))!, /damaged\.jpg.*failed.*damaged\.jpg/);
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
