import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskToShapes, traceRings } from '../../app/dataset/maskPolygons.js';
import { rleDecode, rleEncode, rleFromString, rleMergeUnion, rleToString } from '../../app/dataset/cocoRle.js';
import { paintLabelmeShape } from '../../app/dataset/labelmeRaster.js';
import { labelmeShapesFromMask, type LabelmeExportShape } from '../../app/dataset/labelmeShapesFromMask.js';
import { paintCocoPolygons } from '../../app/dataset/cocoPolygonRle.js';
import { cocoPolygonsFromMask } from '../../app/dataset/cocoPolygonsFromMask.js';
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

function paintLabelme(shapes: LabelmeExportShape[], w: number, h: number): Uint8Array {
  const t = { width: w, height: h, data: new Uint8Array(w * h) };
  for (const s of shapes) paintLabelmeShape(t, s.shapeType, s.points, s.value);
  return t.data;
}

test('mask → labelme shapes → labelme\'s rasteriser rebuilds random masks exactly', () => {
  let corrections = 0, rings = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const w = 5 + (seed % 41), h = 4 + ((seed * 7) % 37);
    const mask = randomMask(w, h, 1 + (seed % 3), seed);
    const shapes = labelmeShapesFromMask(mask, w, h);
    assert.deepEqual(paintLabelme(shapes, w, h), mask, `seed ${seed}`);
    for (const s of shapes) {
      assert.ok(s.shapeType === 'rectangle' || s.points.length >= 3, 'labelme polygons need 3 points');
      for (const [x, y] of s.points) assert.ok(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < w && y < h, `vertex (${x}, ${y}) on a pixel centre`);
      // Axis-aligned edges only: the Pillow rules that changed between versions never apply.
      s.points.forEach(([x, y], i) => {
        const [nx, ny] = s.points[(i + 1) % s.points.length]!;
        assert.ok(x === nx || y === ny, `edge (${x}, ${y})–(${nx}, ${ny}) is axis-aligned`);
      });
    }
    rings += maskToShapes(mask, w, h).length;
    corrections += shapes.length - maskToShapes(mask, w, h).length;
  }
  // Corrections exist for speckle-level detail only; a contour export that needed them everywhere is broken.
  assert.ok(corrections < rings / 10, `${corrections} correction rectangles for ${rings} rings`);
});

test('smooth regions need no correction shapes: the pixel-centre polygons alone are exact', () => {
  const w = 40, h = 30;
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if ((x - 12) ** 2 + (y - 14) ** 2 < 80) mask[y * w + x] = 1;
    if (x > 25 && y > 5 && y < 25 && !(x > 30 && x < 34 && y > 10 && y < 15)) mask[y * w + x] = 2; // a hole
  }
  const shapes = labelmeShapesFromMask(mask, w, h);
  assert.equal(shapes.length, maskToShapes(mask, w, h).length);
  assert.deepEqual(shapes.map((s) => s.shapeType), ['polygon', 'polygon', 'polygon']);
  assert.deepEqual(paintLabelme(shapes, w, h), mask);
});

test('mask → COCO polygons → pycocotools\' rasteriser rebuilds every hole-free class exactly', () => {
  let polygons = 0, rle = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const w = 5 + (seed % 41), h = 4 + ((seed * 7) % 37);
    const mask = randomMask(w, h, 1 + (seed % 3), seed);
    for (let v = 1; v <= 3; v++) {
      const polys = cocoPolygonsFromMask(mask, w, h, v);
      const holes = traceRings(mask, w, h, v).some((r) => r.area < 0);
      if (!polys) {
        assert.ok(holes || !mask.includes(v), `seed ${seed} class ${v}: only a class with holes (or none) falls back to RLE`);
        rle++;
        continue;
      }
      polygons++;
      const t = { width: w, height: h, data: new Uint8Array(w * h) };
      paintCocoPolygons(t, polys, 1);
      assert.deepEqual(t.data, mask.map((m) => (m === v ? 1 : 0)), `seed ${seed} class ${v}`);
    }
  }
  assert.ok(polygons > 20 && rle > 0, `${polygons} polygon classes, ${rle} RLE`);
});

test('diagonal pixels become separate rings and a hole has negative area', () => {
  const diag = new Uint8Array([1, 0, 0, 1]);
  assert.equal(traceRings(diag, 2, 2, 1).length, 2);
  const ring = new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1, 1]);
  const rings = traceRings(ring, 3, 3, 1).map((r) => r.area).sort((a, b) => a - b);
  assert.deepEqual(rings, [-1, 9]);
});

test('pycocotools merge is a union run for run', () => {
  // Two 1-pixel-wide columns of a 3×2 image, column-major: column 0 and column 2.
  assert.deepEqual(rleMergeUnion([[0, 2, 4], [4, 2]], 6), [0, 2, 2, 2]);
  assert.deepEqual(rleMergeUnion([[1, 1, 4]], 6), [1, 1, 4]);
  assert.deepEqual(rleMergeUnion([], 6), [6]);
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
