// The pure parts of batch segmentation, hand-checked: connected components, confidence and class
// maps from logits (equal to the engine's), overlays, mask paths, folder rules and the report.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { maskClassStats } from '../../app/batch/maskStats.js';
import { predictionsFromLogits } from '../../app/batch/batchPredict.js';
import { classMapsFromLogits } from '../../app/metrics/evaluateLogits.js';
import { overlayPixels } from '../../app/batch/overlay.js';
import { checkBatchFolders, maskPaths, scanBatchInput, BatchUsageError } from '../../app/batch/batchSegmentation.js';
import { buildBatchReport, reportClassesCsv, reportFiles, reportImagesCsv, type BatchItemResult } from '../../app/batch/batchReport.js';
import type { BatchJobItemRecord, BatchJobRecord } from '../../app/store/storeTypes.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

const grid = (rows: string[]): { map: Uint8Array; w: number; h: number } => {
  const h = rows.length;
  const w = rows[0]!.length;
  return { map: Uint8Array.from(rows.join('').split('').map(Number)), w, h };
};

test('connected components are 8-connected and counted per class', () => {
  const { map, w, h } = grid([
    '1000022', //
    '0100000',
    '0010330',
    '0000030',
    '1100000',
  ]);
  const s = maskClassStats(map, w, h, 4);
  // class 1: the diagonal (3 pixels) is one component, the bottom-left pair another.
  assert.deepEqual(s, [
    { index: 1, pixels: 5, components: 2 },
    { index: 2, pixels: 2, components: 1 },
    { index: 3, pixels: 3, components: 1 },
  ]);
  // A class value beyond the class table is still reported.
  const odd = maskClassStats(Uint8Array.from([0, 7, 7, 0]), 2, 2, 2);
  assert.deepEqual(odd, [
    { index: 1, pixels: 0, components: 0 },
    { index: 7, pixels: 2, components: 1 },
  ]);
  // A large single region (deep flood fill) is one component.
  const big = new Uint8Array(400 * 300).fill(2);
  assert.deepEqual(maskClassStats(big, 400, 300, 3)[1], { index: 2, pixels: 120000, components: 1 });
  assert.throws(() => maskClassStats(new Uint8Array(5), 2, 2, 2), /5 values for a 2×2 map/);
});

test('maps from logits equal the engine’s class maps; confidence is the mean max-softmax over defect pixels', () => {
  // 2 images, logits 4×4 for S = 16, 3 classes; sizes 13×9 and 16×16.
  const rng = (i: number) => Math.sin(i * 12.9898) * 4;
  const data = Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => rng(i));
  const logits = tf.tensor4d(data, [2, 4, 4, 3]);
  const sizes = [{ width: 13, height: 9 }, { width: 16, height: 16 }];
  const preds = predictionsFromLogits(logits, 16, sizes);
  const maps = classMapsFromLogits(logits, 16, sizes);
  assert.deepEqual(preds.map((p) => Array.from(p.map)), maps.map((m) => Array.from(m)));
  // Independent check of the confidence of image 1 (16×16: no crop; two bilinear resizes).
  const full = tf.tidy(() => {
    const one = tf.slice(logits, [1, 0, 0, 0], [1, 4, 4, 3]);
    const up = tf.image.resizeBilinear(one, [16, 16], false, true);
    return tf.image.resizeBilinear(up, [16, 16], false, true);
  });
  const v = full.dataSync();
  let sum = 0;
  let n = 0;
  for (let p = 0; p < 256; p++) {
    const z = [v[p * 3]!, v[p * 3 + 1]!, v[p * 3 + 2]!];
    const m = Math.max(...z);
    const e = z.map((x) => Math.exp(x - m));
    const arg = z.indexOf(m);
    if (arg > 0) {
      sum += 1 / e.reduce((a, b) => a + b, 0);
      n++;
    }
  }
  assert.ok(n > 0);
  assert.equal(preds[1]!.confidenceOver, 'defect');
  assert.ok(Math.abs(preds[1]!.meanConfidence - sum / n) < 1e-5, `${preds[1]!.meanConfidence} vs ${sum / n}`);
  // All-background logits: confidence over all pixels.
  const bg = tf.tensor4d(Float32Array.from({ length: 16 * 3 }, (_, i) => (i % 3 === 0 ? 2 : 0)), [1, 4, 4, 3]);
  const p0 = predictionsFromLogits(bg, 16, [{ width: 8, height: 8 }])[0]!;
  assert.equal(p0.confidenceOver, 'all');
  assert.ok(Math.abs(p0.meanConfidence - Math.exp(2) / (Math.exp(2) + 2)) < 1e-5);
  assert.ok(p0.map.every((c) => c === 0));
  tf.dispose([logits, full, bg]);
});

test('overlays tint class pixels and draw their boundary solid in the class colour', () => {
  const img = { width: 4, height: 4, data: new Uint8Array(48).fill(100) };
  const map = new Uint8Array(16);
  for (const p of [5, 6, 9, 10]) map[p] = 1; // a 2×2 block: every pixel is on its boundary
  map[0] = 2;
  const px = overlayPixels(img, map, [{ index: 1, color: '#ff0000' }, { index: 2, color: '#00ff00' }]);
  assert.deepEqual(Array.from(px.slice(5 * 3, 5 * 3 + 3)), [255, 0, 0]);
  assert.deepEqual(Array.from(px.slice(0, 3)), [0, 255, 0]);
  assert.deepEqual(Array.from(px.slice(3, 6)), [100, 100, 100], 'background untouched');
  // An interior pixel is blended, not replaced.
  const big = { width: 5, height: 5, data: new Uint8Array(75).fill(100) };
  const m2 = new Uint8Array(25).fill(1);
  const p2 = overlayPixels(big, m2, [{ index: 1, color: '#ff0000' }], 0.5);
  assert.deepEqual(Array.from(p2.slice(12 * 3, 12 * 3 + 3)), [178, 50, 50]);
});

test('mask paths keep the relative path; a clash keeps the full file name', () => {
  assert.deepEqual(maskPaths(['a.jpg', 'a.png', 'sub/b.bmp', 'sub/b.tif', 'c.JPG']), ['a.png', 'a.png.png', 'sub/b.png', 'sub/b.tif.png', 'c.png']);
});

test('the output folder is never the input folder, inside it, or around it (symlinks resolved)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-batch-folders-'));
  const input = join(root, 'in');
  mkdirSync(join(input, 'sub'), { recursive: true });
  symlinkSync(input, join(root, 'link-to-in'));
  assert.throws(() => checkBatchFolders(input, input), (e: Error) => e instanceof BatchUsageError && /must differ/.test(e.message));
  assert.throws(() => checkBatchFolders(input, join(root, 'link-to-in')), /must differ/);
  assert.throws(() => checkBatchFolders(input, join(input, 'sub', 'out')), /lies inside the input folder/);
  assert.throws(() => checkBatchFolders(input, root), /input folder .* lies inside the output folder/);
  assert.throws(() => checkBatchFolders(join(root, 'missing'), join(root, 'out')), /no such folder/);
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => checkBatchFolders(input, join(root, 'file')), /not a folder/);
  assert.deepEqual(checkBatchFolders(input, join(root, 'in-masks')), { input, output: join(root, 'in-masks') });
  // Scanning: top level only unless recursive; hidden files ignored; unsupported flagged.
  writeFileSync(join(input, 'a.jpg'), 'x');
  writeFileSync(join(input, '.hidden.png'), 'x');
  writeFileSync(join(input, 'notes.txt'), 'x');
  writeFileSync(join(input, 'sub', 'b.BMP'), 'x');
  assert.deepEqual(scanBatchInput(input, false), [{ rel: 'a.jpg', supported: true }, { rel: 'notes.txt', supported: false }]);
  assert.deepEqual(scanBatchInput(input, true), [{ rel: 'a.jpg', supported: true }, { rel: 'notes.txt', supported: false }, { rel: 'sub/b.BMP', supported: true }]);
});

test('the report: per-image rows, per-class summary, CSV quoting and file names', () => {
  const job: BatchJobRecord = { id: 7, kind: 'segment-folder', status: 'completed', checkpointId: null, source: '/in', output: '/out', config: { model: { kind: 'run', runId: 3 } }, error: null, createdAt: 't0', startedAt: 't0', finishedAt: 't1' };
  const r1: BatchItemResult = { mask: 'a.png', overlay: 'overlays/a.png', width: 10, height: 10, classes: [{ index: 1, pixels: 10, components: 2 }, { index: 3, pixels: 5, components: 1 }], defectPixels: 15, defectPercent: 15, components: 3, meanConfidence: 0.8, confidenceOver: 'defect', ms: 20 };
  const r2: BatchItemResult = { mask: 'b,c.png', overlay: null, width: 20, height: 5, classes: [{ index: 1, pixels: 30, components: 1 }], defectPixels: 30, defectPercent: 30, components: 1, meanConfidence: 0.6, confidenceOver: 'defect', ms: 30 };
  const item = (id: number, sourcePath: string, status: BatchJobItemRecord['status'], result: BatchItemResult | null, error: string | null): BatchJobItemRecord => ({ id, jobId: 7, sourcePath, imageId: null, status, result: result as unknown as Record<string, unknown>, error, updatedAt: 't' });
  const items = [item(1, 'a.jpg', 'done', r1, null), item(2, 'b,c.jpg', 'done', r2, null), item(3, 'broken.jpg', 'failed', null, '/in/broken.jpg: damaged JPEG file'), item(4, 'notes.txt', 'skipped', null, "notes.txt: unsupported file type '.txt'")];
  const classes = [{ index: 0, name: 'background', color: '#000000' }, { index: 1, name: 'inclusion', color: '#ff0000' }, { index: 2, name: 'patches', color: '#00ff00' }, { index: 3, name: 'scratches', color: '#0000ff' }];
  const rep = buildBatchReport(job, items, classes);
  assert.deepEqual(rep.totals, { files: 4, done: 2, failed: 1, skipped: 1, pending: 0, defective: 2, pixels: 200, seconds: 0.05, imagesPerSecond: 40 });
  assert.deepEqual(rep.perClass, [
    { index: 1, name: 'inclusion', images: 2, pixels: 40, percentOfPixels: 20, components: 3, meanPercentWherePresent: 20 },
    { index: 2, name: 'patches', images: 0, pixels: 0, percentOfPixels: 0, components: 0, meanPercentWherePresent: null },
    { index: 3, name: 'scratches', images: 1, pixels: 5, percentOfPixels: 2.5, components: 1, meanPercentWherePresent: 5 },
  ]);
  assert.deepEqual(rep.images[0]!.classesPresent, ['inclusion', 'scratches']);
  assert.equal(rep.images[2]!.error, '/in/broken.jpg: damaged JPEG file');
  const csv = reportImagesCsv(rep).trim().split('\n');
  assert.equal(csv[0], 'file,status,width,height,classes_present,defect_pixels,defect_percent,components,mean_confidence,confidence_over,ms,inclusion_pixels,inclusion_percent,inclusion_components,patches_pixels,patches_percent,patches_components,scratches_pixels,scratches_percent,scratches_components,mask,overlay,error');
  assert.equal(csv[1], 'a.jpg,done,10,10,inclusion;scratches,15,15,3,0.8,defect,20,10,10,2,0,0,0,5,5,1,a.png,overlays/a.png,');
  assert.equal(csv[2], '"b,c.jpg",done,20,5,inclusion,30,30,1,0.6,defect,30,30,30,1,0,0,0,0,0,0,"b,c.png",,');
  assert.equal(csv[3], 'broken.jpg,failed,,,,,,,,,,,,,,,,,,,,,/in/broken.jpg: damaged JPEG file');
  assert.equal(reportClassesCsv(rep).split('\n')[1], 'inclusion,1,2,40,20,3,20');
  assert.deepEqual(reportFiles('/x/report.csv'), { csv: '/x/report.csv', json: '/x/report.json', classesCsv: '/x/report-classes.csv' });
  assert.deepEqual(reportFiles('/x/r'), { csv: '/x/r.csv', json: '/x/r.json', classesCsv: '/x/r-classes.csv' });
  assert.equal(JSON.parse(JSON.stringify(rep)).images.length, 4);
});
