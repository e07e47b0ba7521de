// `pasam segment` end to end on a tiny PA-SAM trained on NEU-Seg: masks equal the engine's
// segmentation, overlays and the report are written, a damaged file and an unsupported file are
// reported and skipped, the folder rules hold, and a job killed mid-way resumes without redoing
// finished images.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decodeImageRgb, decodeMaskPng } from '../../app/images/imageIO.js';
import { openRunSegmentation } from '../../app/onnx/runExport.js';
import { PASAM_BIN, runCliInProcess } from '../helpers/cli.js';
import { bmpOf } from '../helpers/images.js';
import { folderSnapshot } from '../helpers/folderSnapshot.js';
import { NEU_DIR } from '../helpers/neuProject.js';
import { trainedTinyNeuProject } from '../helpers/engineTestUtils.js';

let dir: string;
let runId: number;
const tmp = mkdtempSync(join(tmpdir(), 'pasam-batch-'));

before(async () => {
  ({ dir, runId } = await trainedTinyNeuProject());
});


test('segment writes masks equal to the engine’s, overlays and a report; a damaged and an unsupported file are reported and skipped', async () => {
  const input = join(tmp, 'in');
  mkdirSync(join(input, 'sub'), { recursive: true });
  copyFileSync(join(NEU_DIR, 'images', 'test_000002.jpg'), join(input, 'a.jpg'));
  copyFileSync(join(NEU_DIR, 'images', 'test_000201.jpg'), join(input, 'b.jpg'));
  copyFileSync(join(NEU_DIR, 'images', 'test_000003.jpg'), join(input, 'sub', 'c.jpg'));
  // The same steel image as a 24-bit BMP (our own decoder), non-square.
  const rgb = await decodeImageRgb(readFileSync(join(NEU_DIR, 'images', 'test_000501.jpg')), 'x');
  const crop = new Uint8Array(150 * 120 * 3);
  for (let y = 0; y < 120; y++) crop.set(rgb.data.subarray(y * 200 * 3, y * 200 * 3 + 150 * 3), y * 150 * 3);
  writeFileSync(join(input, 'd.bmp'), bmpOf({ width: 150, height: 120, bpp: 24, pixels: crop }));
  writeFileSync(join(input, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  writeFileSync(join(input, 'notes.txt'), 'operator notes');
  const out = join(tmp, 'out');
  const r = await runCliInProcess(['segment', dir, '--run', String(runId), input, out, '--overlay', '--report', join(tmp, 'report.csv'), '--recursive', '--json']);
  assert.equal(r.code, 1, `a damaged image makes the exit code 1\n${r.stderr}`);
  const res = JSON.parse(r.stdout);
  assert.equal(res.written.length, 4);
  assert.deepEqual(res.failed.map((f: { input: string }) => f.input), [join(input, 'broken.jpg')]);
  assert.match(res.failed[0].error, /broken\.jpg/);
  assert.deepEqual(res.skipped.map((f: { input: string }) => f.input), [join(input, 'notes.txt')]);

  // Masks: original size, same relative path, equal to the engine's own segmentation.
  const store = ProjectStore.open(dir);
  const engine = await openRunSegmentation(store, runId);
  try {
    for (const [src, rel] of [['a.jpg', 'a.png'], ['b.jpg', 'b.png'], ['sub/c.jpg', 'sub/c.png'], ['d.bmp', 'd.png']] as const) {
      const img = await decodeImageRgb(readFileSync(join(input, src)), src);
      const mask = await decodeMaskPng(readFileSync(join(out, rel)), rel);
      assert.deepEqual([mask.width, mask.height], [img.width, img.height]);
      const [expected] = await engine.segment([img]);
      assert.ok(Buffer.from(mask.data).equals(Buffer.from(expected!)), `${rel} equals the engine's segmentation`);
      assert.ok(existsSync(join(out, 'overlays', rel)), `overlay of ${rel}`);
      const ov = await decodeImageRgb(readFileSync(join(out, 'overlays', rel)), rel);
      assert.deepEqual([ov.width, ov.height], [img.width, img.height]);
    }
  } finally {
    engine.dispose();
  }

  // The report lists every file; its pixel figures agree with the mask files.
  const report = JSON.parse(readFileSync(join(tmp, 'report.json'), 'utf8'));
  assert.equal(report.format, 'pasam-batch-report');
  assert.deepEqual(report.images.map((i: { file: string; status: string }) => `${i.file}:${i.status}`), ['a.jpg:done', 'b.jpg:done', 'broken.jpg:failed', 'd.bmp:done', 'notes.txt:skipped', 'sub/c.jpg:done']);
  const classNames = ['inclusion', 'patches', 'scratches'];
  const totals = [0, 0, 0, 0];
  for (const im of report.images.filter((i: { status: string }) => i.status === 'done')) {
    const mask = await decodeMaskPng(readFileSync(join(out, im.mask)), im.mask);
    const counts = [0, 0, 0, 0];
    for (const v of mask.data) counts[v]!++;
    counts.forEach((c, k) => (totals[k]! += c));
    assert.equal(im.defectPixels, counts[1]! + counts[2]! + counts[3]!);
    assert.equal(im.defectPercent, Math.round((1e6 * im.defectPixels) / (mask.width * mask.height)) / 1e4);
    for (let k = 1; k <= 3; k++) assert.equal(im.perClass[classNames[k - 1]!]?.pixels ?? 0, counts[k]);
    assert.deepEqual(im.classesPresent, classNames.filter((_, k) => counts[k + 1]! > 0));
    assert.ok(im.meanConfidence > 1 / 4 && im.meanConfidence <= 1, `confidence ${im.meanConfidence}`);
    assert.ok(im.ms > 0);
    if (im.defectPixels > 0) assert.ok(im.components >= im.classesPresent.length);
  }
  for (let k = 1; k <= 3; k++) assert.equal(report.perClass[k - 1].pixels, totals[k]);
  const csv = readFileSync(join(tmp, 'report.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 7);
  assert.match(csv.find((l) => l.startsWith('broken.jpg'))!, /^broken\.jpg,failed,.*broken\.jpg/);
  assert.match(readFileSync(join(tmp, 'report-classes.csv'), 'utf8'), /^class,index,images,pixels/);

  // Running the same command again into the same output: the new job would replace 3 masks, so it
  // is refused (exit 2) naming the folder, before a job is recorded or a byte is written.
  const jobsBefore = store.listBatchJobs().length;
  const outBefore = folderSnapshot(out);
  const refused = await runCliInProcess(['segment', dir, '--run', String(runId), input, out, '--json']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.ok(refused.stderr.includes(`the output folder ${out} already holds 3 files this job would write (3 masks`), refused.stderr);
  assert.match(refused.stderr, /nothing was written\. Add --overwrite to replace them, or write to another folder \(e\.g\. .*out-2\)/);
  assert.equal(refused.stdout, '');
  assert.deepEqual(folderSnapshot(out), outBefore, 'the output is byte-identical');
  assert.equal(store.listBatchJobs().length, jobsBefore, 'no job recorded');
  // With --overwrite: a new job (a completed job is never resumed) replaces the three masks.
  const again = await runCliInProcess(['segment', dir, '--run', String(runId), input, out, '--json', '--overwrite']);
  const res2 = JSON.parse(again.stdout);
  assert.notEqual(res2.jobId, res.jobId, 'a completed job is not resumed; without the same options a new job starts');
  assert.equal(res2.written.length, 3, 'not recursive: sub/ is left out');
  assert.equal(again.code, 1, 'broken.jpg fails again');
  assert.deepEqual(folderSnapshot(out), outBefore, 'the same model writes the same bytes; files it does not write (sub/, overlays/) are untouched');
  store.close();
});

test('the output folder may not be the input folder or lie inside it (exit 2), and --run or --model is required', async () => {
  const input = join(tmp, 'rules');
  mkdirSync(input);
  copyFileSync(join(NEU_DIR, 'images', 'test_000002.jpg'), join(input, 'a.jpg'));
  const same = await runCliInProcess(['segment', dir, '--run', String(runId), input, input]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /must differ from the input folder/);
  const nested = await runCliInProcess(['segment', dir, '--run', String(runId), input, join(input, 'masks')]);
  assert.equal(nested.code, 2);
  assert.match(nested.stderr, /lies inside the input folder/);
  assert.ok(!existsSync(join(input, 'masks')), 'nothing written');
  const none = await runCliInProcess(['segment', dir, input, join(tmp, 'x')]);
  assert.equal(none.code, 2);
  const both = await runCliInProcess(['segment', dir, '--run', '1', '--model', tmp, input, join(tmp, 'x')]);
  assert.equal(both.code, 2);
  const notModel = await runCliInProcess(['segment', dir, '--model', tmp, input, join(tmp, 'x')]);
  assert.equal(notModel.code, 1);
  assert.match(notModel.stderr, /not an exported model/);
});

test('an exported model segments through --model exactly like its run', async () => {
  const input = join(tmp, 'exp-in');
  mkdirSync(input);
  copyFileSync(join(NEU_DIR, 'images', 'test_000002.jpg'), join(input, 'a.jpg'));
  const exported = join(tmp, 'exported');
  const e = await runCliInProcess(['model', 'export', dir, '--run', String(runId), '--format', 'onnx', '--out', exported]);
  assert.equal(e.code, 0, e.stderr);
  const viaModel = await runCliInProcess(['segment', dir, '--model', exported, input, join(tmp, 'exp-out-model'), '--json']);
  assert.equal(viaModel.code, 0, viaModel.stderr);
  assert.equal(JSON.parse(viaModel.stdout).engine, 'onnxruntime');
  const viaRun = await runCliInProcess(['segment', dir, '--run', String(runId), input, join(tmp, 'exp-out-run')]);
  assert.equal(viaRun.code, 0, viaRun.stderr);
  assert.match(viaRun.stdout, /^completed: 1 mask\(s\) written to .*exp-out-run$/m);
  assert.ok(readFileSync(join(tmp, 'exp-out-model', 'a.png')).equals(readFileSync(join(tmp, 'exp-out-run', 'a.png'))));
});

test('a job killed mid-way resumes: finished images are not segmented again', async () => {
  const input = join(tmp, 'many');
  mkdirSync(input);
  const names = readdirSync(join(NEU_DIR, 'images')).filter((n) => n.startsWith('test_')).sort().slice(0, 120);
  for (const n of names) symlinkSync(join(NEU_DIR, 'images', n), join(input, n));
  const out = join(tmp, 'many-out');
  const child = spawn(process.execPath, [PASAM_BIN, 'segment', dir, '--run', String(runId), input, out, '--report', join(out, 'report.csv')], { stdio: 'ignore', env: { ...process.env } });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Kill it once some images are done (a real kill: SIGKILL, no clean-up).
  const store = ProjectStore.open(dir);
  let jobId = 0;
  for (let i = 0; i < 3000; i++) {
    const job = store.listBatchJobs().find((j) => j.source === input);
    if (job && store.batchJobProgress(job.id).done >= 10) {
      jobId = job.id;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(jobId > 0, 'the job started');
  const before = store.listBatchJobItems(jobId);
  const doneBefore = before.filter((i) => i.status === 'done');
  assert.ok(doneBefore.length >= 10 && doneBefore.length < names.length, `${doneBefore.length} done when killed`);
  assert.equal(store.getBatchJob(jobId)!.status, 'running', 'a killed job is left running (interrupted)');

  const r = await runCliInProcess(['segment', dir, '--run', String(runId), input, out, '--report', join(out, 'report.csv'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.jobId, jobId);
  assert.equal(res.resumed, true);
  assert.match(r.stderr, /resuming batch job/);
  assert.equal(res.written.length, names.length);
  const after = new Map(store.listBatchJobItems(jobId).map((i) => [i.id, i]));
  for (const d of doneBefore) assert.equal(after.get(d.id)!.updatedAt, d.updatedAt, `${d.sourcePath} was not segmented again`);
  assert.ok([...after.values()].every((i) => i.status === 'done'));
  assert.equal(store.getBatchJob(jobId)!.status, 'completed');
  for (const n of names) assert.ok(existsSync(join(out, n.replace(/\.jpg$/, '.png'))), n);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.totals.done, names.length);
  store.close();
});
