// The parts of a batch job decided before any image is read, on a real project store and real
// folders (no model is opened, so this runs in well under a second): a new job never replaces the
// masks, overlays or report files it finds in its output unless told to, unrelated files never
// block it, a resumed job is not checked; a job's outcome in words; failed files listed first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { planBatchJob, prepareBatchJob, type BatchJobOptions } from '../../app/batch/batchJobPreparation.js';
import { BatchOutputExistsError, freeOutputFolder } from '../../app/batch/batchOutputGuard.js';
import { batchItemRows, batchJobRow } from '../../app/batch/batchJobRows.js';
import { batchJobEndMessage, batchOutcome, batchOutcomeLabel } from '../../app/batch/batchOutcome.js';
import { tempDir } from '../helpers/tempDir.js';

function project(): ProjectStore {
  return ProjectStore.create(join(tempDir('guard-project'), 'p'), { name: 'guard', classes: ['scratch'] });
}

/** An input folder: two images (content is not read before the job runs), a text file, a sub-folder. */
function inputFolder(): string {
  const input = tempDir('guard-in');
  writeFileSync(join(input, 'a.jpg'), 'not read yet');
  writeFileSync(join(input, 'b.png'), 'not read yet');
  writeFileSync(join(input, 'notes.txt'), 'operator notes');
  mkdirSync(join(input, 'sub'));
  writeFileSync(join(input, 'sub', 'c.jpg'), 'not read yet');
  return input;
}

const exported = (): BatchJobOptions['model'] => ({ kind: 'model', path: tempDir('guard-model') });

test('a new job refuses an output holding files it would write, naming the folder and the files; overwrite lets it', () => {
  const s = project();
  const input = inputFolder();
  const output = tempDir('guard-out');
  const report = join(output, 'report.csv');
  const model = exported();
  writeFileSync(join(output, 'a.png'), 'old mask');
  mkdirSync(join(output, 'overlays'));
  writeFileSync(join(output, 'overlays', 'b.png'), 'old overlay');
  writeFileSync(join(output, 'report.json'), '{}');
  writeFileSync(join(output, 'notes.png'), 'not a mask this job writes: notes.txt is skipped');
  writeFileSync(join(output, 'readme.txt'), 'unrelated');
  const opts: BatchJobOptions = { input, output, model, overlay: true, report };

  const plan = planBatchJob(s, opts);
  assert.equal(plan.resumes, null);
  assert.equal(plan.previous, null);
  assert.deepEqual(plan.existing, { masks: 1, overlays: 1, reports: 1, total: 3, summary: '1 mask, 1 overlay and 1 report file', examples: ['a.png', 'overlays/b.png', join(output, 'report.json')] });
  assert.equal(plan.freeOutput, `${output}-2`);

  assert.throws(
    () => prepareBatchJob(s, opts),
    (err: unknown) => err instanceof BatchOutputExistsError && err.output === output && err.freeOutput === `${output}-2` && err.message === `the output folder ${output} already holds 3 files this job would write (1 mask, 1 overlay and 1 report file, e.g. a.png, overlays/b.png, ${join(output, 'report.json')}); nothing was written`,
  );
  assert.deepEqual(s.listBatchJobs(), [], 'no job recorded');

  const { job, resumed } = prepareBatchJob(s, { ...opts, overwrite: true });
  assert.equal(resumed, false);
  assert.equal(s.listBatchJobItems(job.id).length, 3, 'a.jpg, b.png, notes.txt (not recursive)');
  // Starting the same unfinished job again resumes it: its own output is not "in the way".
  const again = planBatchJob(s, opts);
  assert.equal(again.resumes, job.id);
  assert.equal(again.existing.total, 0);
  assert.equal(prepareBatchJob(s, opts).resumed, true);
  s.close();
});

test('files the job would not write never block it; another recursive layout counts its own names', () => {
  const s = project();
  const input = inputFolder();
  const output = tempDir('guard-out-free');
  writeFileSync(join(output, 'readme.txt'), 'unrelated');
  writeFileSync(join(output, 'c.png'), 'c lies under sub/ in the input: its mask is sub/c.png');
  mkdirSync(join(output, 'overlays'));
  writeFileSync(join(output, 'overlays', 'a.png'), 'overlays are not asked for');
  assert.equal(planBatchJob(s, { input, output, model: exported() }).existing.total, 0);
  assert.equal(prepareBatchJob(s, { input, output, model: exported() }).resumed, false);
  // Recursive, with a report elsewhere: sub/c.png is now a mask the job writes.
  mkdirSync(join(output, 'sub'));
  writeFileSync(join(output, 'sub', 'c.png'), 'old');
  const plan = planBatchJob(s, { input, output, model: exported(), recursive: true, report: join(tempDir('guard-report'), 'r.csv') });
  assert.deepEqual([plan.existing.masks, plan.existing.total, plan.existing.summary, plan.existing.examples], [1, 1, '1 mask', ['sub/c.png']]);
  assert.equal(plan.previous?.status, 'queued', 'the earlier job over the same folders is named');
  s.close();
});

test('the free output folder skips siblings that hold files, takes an empty one', () => {
  const base = join(tempDir('guard-free'), 'results');
  mkdirSync(base);
  assert.equal(freeOutputFolder(base), `${base}-2`);
  mkdirSync(`${base}-2`);
  writeFileSync(join(`${base}-2`, 'x.png'), 'x');
  mkdirSync(`${base}-3`);
  assert.equal(freeOutputFolder(base), `${base}-3`, 'empty: usable');
  writeFileSync(join(`${base}-3`, 'y.png'), 'y');
  assert.equal(freeOutputFolder(base), `${base}-4`);
});

test('a job that finished with failed images is "completed with N failures"; the failed files are listed first', () => {
  const s = project();
  const input = inputFolder();
  const output = tempDir('guard-rows');
  const { job } = prepareBatchJob(s, { input, output, model: exported() });
  const items = s.listBatchJobItems(job.id);
  assert.deepEqual(items.map((i) => `${i.sourcePath}:${i.status}`), ['a.jpg:pending', 'b.png:pending', 'notes.txt:skipped']);
  s.updateBatchJobItem(items[0]!.id, { status: 'done', result: null });
  s.updateBatchJobItem(items[1]!.id, { status: 'failed', error: 'b.png: not a PNG (bad signature)' });
  s.updateBatchJob(job.id, { status: 'completed' });
  const row = batchJobRow(s, job.id, false);
  assert.deepEqual([row.outcome, row.outcomeLabel, row.failed], ['completed-with-failures', 'completed with 1 failure', 1]);
  const rows = batchItemRows(s, job.id, { limit: 10, offset: 0 });
  assert.deepEqual(rows.items.map((r) => `${r.file}:${r.status}`), ['b.png:failed', 'notes.txt:skipped', 'a.jpg:done']);
  assert.equal(rows.items[0]!.error, 'b.png: not a PNG (bad signature)');
  assert.deepEqual(batchItemRows(s, job.id, { limit: 1, offset: 1 }).items.map((r) => r.file), ['notes.txt'], 'pages follow the same order');
  assert.equal(rows.total, 3);
  s.close();
});

test('outcomes and end notices in words', () => {
  const base = { live: false, interrupted: false };
  assert.equal(batchOutcome({ ...base, status: 'completed', failed: 0 }), 'completed');
  assert.equal(batchOutcome({ ...base, status: 'completed', failed: 2 }), 'completed-with-failures');
  assert.equal(batchOutcomeLabel('completed-with-failures', 2), 'completed with 2 failures');
  assert.equal(batchOutcome({ ...base, status: 'cancelled', failed: 2 }), 'cancelled');
  assert.equal(batchOutcome({ status: 'running', live: false, interrupted: true, failed: 0 }), 'interrupted');
  assert.equal(batchOutcome({ status: 'running', live: true, interrupted: false, failed: 3 }), 'running');
  const ran = (status: 'completed' | 'cancelled', done: number, failed: number, skipped: number, pending: number) =>
    batchJobEndMessage({ jobId: 7, ended: 'ran', status, output: '/data/out', progress: { done, failed, skipped, pending } });
  assert.deepEqual(ran('completed', 5, 0, 0, 0), { outcome: 'completed', message: 'Batch job 7 completed: 5 images segmented into /data/out' });
  assert.deepEqual(ran('completed', 4, 1, 1, 0), {
    outcome: 'completed-with-failures',
    message: 'Batch job 7 completed with 1 failure: 4 of 5 images segmented into /data/out; 1 file skipped (not images); the failed file is listed first under Files',
  });
  assert.deepEqual(ran('cancelled', 10, 0, 0, 140), { outcome: 'cancelled', message: 'Batch job 7 cancelled after 10 of 150 files; Resume continues it' });
  assert.deepEqual(batchJobEndMessage({ jobId: 7, ended: 'threw', error: 'no model.json' }), { outcome: 'failed', message: 'Batch job 7 failed: no model.json' });
});
