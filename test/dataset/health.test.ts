import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseImage, healthReport, regionSizes, type HealthImage } from '../../app/dataset/health.js';

const img = (id: number, split: HealthImage['split'], status: HealthImage['status'] = 'reviewed', w = 6, h = 4): HealthImage => ({ id, name: `img${id}.png`, split, status, width: w, height: h });
const mask = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
};

test('regions are 8-connected per class', () => {
  const m = mask(4, 3, (x, y) => (x === y ? 1 : x === 3 && y === 0 ? 2 : 0));
  assert.deepEqual(regionSizes(m.data, 4, 3), [{ value: 1, pixels: 3 }, { value: 2, pixels: 1 }]);
});

test('health report flags every kind of problem with the images concerned', () => {
  const known = new Set([1, 2]);
  const classNames = new Map([[1, 'crack'], [2, 'dent']]);
  const analyses = [
    analyseImage(img(1, 'train'), mask(6, 4, (x) => (x < 3 ? 1 : 0)), known, { speckPixels: 3 }),
    analyseImage(img(2, 'train'), mask(6, 4, (x, y) => (x === 5 && y === 3 ? 2 : x < 4 ? 1 : 0)), known, { speckPixels: 3 }),
    analyseImage(img(3, 'test', 'annotated'), mask(6, 4, () => 0), known),
    analyseImage(img(4, 'test'), mask(5, 4, () => 1), known),
    analyseImage(img(5, 'val', 'new'), mask(6, 4, (x) => (x === 0 ? 7 : 1)), known),
    analyseImage(img(6, 'unassigned', 'new'), null, known),
  ];
  const r = healthReport(analyses, [{ a: 1, b: 3, meanDiff: 0.2 }, { a: 1, b: 2, meanDiff: 0.1 }], classNames, { speckPixels: 3 });
  const by = (check: string) => r.findings.filter((f) => f.check === check);
  assert.deepEqual(by('size mismatch').map((f) => f.imageIds), [[4]]);
  assert.deepEqual(by('unknown class value').map((f) => f.imageIds), [[5]]);
  assert.match(by('unknown class value')[0]!.message, /img5\.png \(7\)/);
  assert.deepEqual(by('empty mask').map((f) => f.imageIds), [[3]]);
  assert.deepEqual(by('unannotated').map((f) => f.imageIds), [[6]]);
  assert.deepEqual(by('tiny speck').map((f) => f.imageIds), [[2]]);
  assert.match(by('tiny speck')[0]!.message, /dent 1px/);
  assert.deepEqual(by('near-duplicate across splits').map((f) => f.imageIds), [[1, 3]], 'a same-split pair is no leak');
  assert.deepEqual(by('not reviewed').map((f) => f.imageIds), [[3, 5, 6]]);
  assert.ok(by('class imbalance').some((f) => /'dent' is missing from val, test/.test(f.message)), JSON.stringify(by('class imbalance')));
  assert.equal(r.perSplit.train.imagesWithClass[1], 2);
  assert.equal(r.counts.errors, 2);
});

test('rare classes are flagged; unassigned images still count as presence', () => {
  const known = new Set([1, 2]);
  const names = new Map([[1, 'crack'], [2, 'dent']]);
  const analyses = Array.from({ length: 12 }, (_, i) => analyseImage(img(i + 1, 'unassigned'), mask(6, 4, (x) => (x < 2 ? 1 : i === 0 && x === 5 ? 2 : 0)), known, { speckPixels: 0 }));
  const r = healthReport(analyses, [], names);
  const msgs = r.findings.filter((f) => f.check === 'class imbalance').map((f) => f.message);
  assert.deepEqual(msgs, ["class 'dent' is in only 1 image (fewer than 10): too few to learn or to measure"]);
});
