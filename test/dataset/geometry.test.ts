import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskToShapes, traceRings } from '../../app/dataset/maskPolygons.js';
import { COCO_CONVENTION, LABELME_CONVENTION, fillCircle, fillPolygon, fillRectangle } from '../../app/dataset/raster.js';
import { rleDecode, rleEncode, rleFromString, rleToString } from '../../app/dataset/cocoRle.js';
import { decodePng, encodeIndexPng } from '../../app/dataset/pngPalette.js';
import { seededRandom } from '../../app/dataset/split.js';

const rng = seededRandom;

/** Blobs, speckles, holes and diagonal contacts: the cases contour tracing gets wrong. */
function randomMask(w: number, h: number, classes: number, seed: number): Uint8Array {
  const r = rng(seed);
  const m = new Uint8Array(w * h);
  for (let k = 0; k < 6; k++) {
    const cx = r() * w, cy = r() * h, rad = 1 + r() * Math.min(w, h) * 0.3, v = 1 + Math.floor(r() * classes);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) m[y * w + x] = v;
  }
  for (let i = 0; i < (w * h) / 8; i++) m[Math.floor(r() * w * h)] = Math.floor(r() * (classes + 1));
  return m;
}

function paint(shapes: ReturnType<typeof maskToShapes>, w: number, h: number, shift: number, conv = LABELME_CONVENTION): Uint8Array {
  const t = { width: w, height: h, data: new Uint8Array(w * h) };
  for (const s of shapes) fillPolygon(t, s.points.map(([x, y]) => [x + shift, y + shift] as const), s.value, conv);
  return t.data;
}

test('mask → edge polygons → centre-sampled fill rebuilds random masks exactly (labelme and COCO conventions)', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const w = 5 + (seed % 23), h = 4 + ((seed * 7) % 19);
    const mask = randomMask(w, h, 1 + (seed % 3), seed);
    const shapes = maskToShapes(mask, w, h);
    assert.deepEqual(paint(shapes, w, h, -0.5), mask, `labelme convention, seed ${seed}`);
    assert.deepEqual(paint(shapes, w, h, 0, COCO_CONVENTION), mask, `COCO convention, seed ${seed}`);
  }
});

test('diagonal pixels become separate rings and a hole has negative area', () => {
  const diag = new Uint8Array([1, 0, 0, 1]);
  assert.equal(traceRings(diag, 2, 2, 1).length, 2);
  const ring = new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1, 1]);
  const rings = traceRings(ring, 3, 3, 1).map((r) => r.area).sort((a, b) => a - b);
  assert.deepEqual(rings, [-1, 9]);
});

test('rectangles, circles and polygons follow the pixel-centre convention', () => {
  const t = { width: 6, height: 5, data: new Uint8Array(30) };
  fillRectangle(t, [1, 1], [3, 2], 1, LABELME_CONVENTION);
  const rows = (d: Uint8Array) => Array.from({ length: 5 }, (_, y) => Array.from(d.subarray(y * 6, y * 6 + 6)).join(''));
  assert.deepEqual(rows(t.data), ['000000', '011100', '011100', '000000', '000000']);
  const c = { width: 7, height: 7, data: new Uint8Array(49) };
  fillCircle(c, [3, 3], [5, 3], 2, LABELME_CONVENTION);
  let n = 0;
  for (const v of c.data) if (v === 2) n++;
  assert.equal(n, 13, 'radius-2 disc on integer centres has 13 pixels');
  const tri = { width: 4, height: 4, data: new Uint8Array(16) };
  fillPolygon(tri, [[0, 0], [4, 0], [0, 4]], 1, COCO_CONVENTION);
  assert.deepEqual(Array.from({ length: 4 }, (_, y) => Array.from(tri.data.subarray(y * 4, y * 4 + 4)).join('')), ['1111', '1110', '1100', '1000']);
});

test('COCO RLE matches pycocotools for a known mask and round-trips compressed and uncompressed', () => {
  // Column-major: column 0 = 0,0; column 1 = 1,1; column 2 = 1,0.
  const m = new Uint8Array([0, 1, 1, 0, 1, 0]);
  assert.deepEqual(rleEncode(m, 3, 2), [2, 3, 1]);
  for (let seed = 1; seed < 30; seed++) {
    const w = 3 + seed, h = 2 + ((seed * 5) % 17);
    const mask = randomMask(w, h, 1, seed).map((v) => (v ? 1 : 0));
    const counts = rleEncode(mask, w, h);
    assert.deepEqual(rleDecode(counts, w, h), mask);
    assert.deepEqual(rleFromString(rleToString(counts)), counts);
  }
  // A long count with a negative delta exercises the sign bit of the string form.
  const counts = [0, 5000, 3, 17, 12000, 1];
  assert.deepEqual(rleFromString(rleToString(counts)), counts);
  assert.throws(() => rleDecode([1, 2], 3, 2), /RLE covers 3 pixels/);
});

test('PNG codec keeps palette indices and grey values exactly', () => {
  const data = new Uint8Array([0, 1, 2, 3, 255, 7]);
  const grey = decodePng(encodeIndexPng(3, 2, data));
  assert.equal(grey.colorType, 0);
  assert.deepEqual(Array.from(grey.samples), Array.from(data));
  const pal = decodePng(encodeIndexPng(3, 2, new Uint8Array([0, 1, 2, 1, 0, 2]), [[0, 0, 0], [128, 0, 0], [0, 128, 0]]));
  assert.equal(pal.colorType, 3);
  assert.deepEqual(pal.palette![1], [128, 0, 0]);
  assert.deepEqual(Array.from(pal.samples), [0, 1, 2, 1, 0, 2]);
});

test('an interlaced grey PNG mask decodes through sharp with its values', async () => {
  const sharp = (await import('sharp')).default;
  const { decodeIndexMask } = await import('../../app/dataset/maskDecode.js');
  const data = Buffer.from(Array.from({ length: 40 }, (_, i) => i % 3));
  const png = await sharp(data, { raw: { width: 8, height: 5, channels: 1 } }).png({ progressive: true }).toBuffer();
  assert.equal(png[28], 1, 'the fixture is interlaced');
  const m = await decodeIndexMask(png);
  assert.deepEqual(Array.from(m.values), Array.from(data));
});
