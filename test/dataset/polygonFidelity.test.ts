// Polygon fidelity against the source tools' own output: ../shared/fixtures/polygons holds shapes in
// labelme form (cases.json) with the masks labelme's shape_to_mask (labelme/<case>.png) and
// pycocotools' frPyObjects + merge + decode (coco/<case>.png, cases with coco=true) made of them:
// 0 background, shape index + 1, later shapes over earlier ones. Everything is derived from the
// files, so another case file of the same form is checked the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../helpers/cli.js';
import { decodePng } from '../../app/dataset/pngPalette.js';
import { isLabelmeShapeType, paintLabelmeShape } from '../../app/dataset/labelmeRaster.js';
import { paintCocoPolygons, rleFromPolygon } from '../../app/dataset/cocoPolygonRle.js';
import { rleDecode, rleMergeUnion } from '../../app/dataset/cocoRle.js';
import { prepareImport } from '../../app/dataset/readSource.js';
import { pngImage, tempDir, write } from './fixtures.js';

const DIR = join(SHARED_DIR, 'fixtures', 'polygons');

interface Shape {
  shape_type?: string;
  points: [number, number][];
}
interface Case {
  name: string;
  w: number;
  h: number;
  shapes: Shape[];
  coco?: boolean;
}

const cases: Case[] = (JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
const cocoCases = cases.filter((c) => c.coco);

function reference(tool: 'labelme' | 'coco', c: Case): Uint8Array {
  const png = decodePng(readFileSync(join(DIR, tool, `${c.name}.png`)));
  assert.equal(png.channels, 1, `${tool}/${c.name}.png is a one-channel index mask`);
  assert.deepEqual([png.width, png.height], [c.w, c.h], `${tool}/${c.name}.png has the case's size`);
  return Uint8Array.from(png.samples);
}

/** Pixel-exact comparison that names the first differing pixels. */
function assertSameMask(actual: Uint8Array, expected: Uint8Array, c: Case, what: string): void {
  const diffs: string[] = [];
  let n = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue;
    n++;
    if (diffs.length < 6) diffs.push(`(${i % c.w}, ${Math.floor(i / c.w)}) got ${actual[i]} want ${expected[i]}`);
  }
  assert.equal(n, 0, `${what} ${c.name}: ${n} pixels differ: ${diffs.join('; ')}`);
}

const typeOf = (s: Shape) => s.shape_type ?? 'polygon';

test('the fixture set is complete: every case has its labelme reference and every coco case its pycocotools one', () => {
  assert.ok(cases.length > 0 && cocoCases.length > 0);
  for (const c of cases) {
    assert.ok(existsSync(join(DIR, 'labelme', `${c.name}.png`)), `labelme/${c.name}.png`);
    if (c.coco) assert.ok(existsSync(join(DIR, 'coco', `${c.name}.png`)), `coco/${c.name}.png`);
  }
});

test('labelme rasteriser = labelme shape_to_mask, pixel for pixel, on every fixture case', () => {
  for (const c of cases) {
    const t = { width: c.w, height: c.h, data: new Uint8Array(c.w * c.h) };
    c.shapes.forEach((s, i) => {
      const type = typeOf(s);
      assert.ok(isLabelmeShapeType(type), `${c.name}: shape type ${type} is painted`);
      paintLabelmeShape(t, type, s.points, i + 1);
    });
    assertSameMask(t.data, reference('labelme', c), c, 'labelme');
  }
});

test('labelme rasteriser = Pillow 9.4 on random shapes of every type labelme draws (pillowShapes.json)', () => {
  // Made by scripts/genPillowShapes.py with Pillow itself: sub-pixel, integer and half-pixel
  // polygons, rectangles, circles, points, lines and linestrips, partly outside the image.
  const doc = JSON.parse(readFileSync(new URL('./pillowShapes.json', import.meta.url), 'utf8')) as { cases: (Case & { mask: { values: number[]; runs: number[] } })[] };
  const types = new Set<string>();
  for (const c of doc.cases) {
    const t = { width: c.w, height: c.h, data: new Uint8Array(c.w * c.h) };
    c.shapes.forEach((s, i) => {
      const type = typeOf(s);
      assert.ok(isLabelmeShapeType(type), `${c.name}: shape type ${type} is painted`);
      types.add(type);
      paintLabelmeShape(t, type, s.points, i + 1);
    });
    const expected = new Uint8Array(c.w * c.h);
    let pos = 0;
    c.mask.runs.forEach((n, k) => expected.fill(c.mask.values[k]!, pos, (pos += n)));
    assert.equal(pos, c.w * c.h, `${c.name}: runs cover the image`);
    assertSameMask(t.data, expected, c, 'pillow');
  }
  assert.deepEqual([...types].sort(), ['circle', 'line', 'linestrip', 'point', 'polygon', 'rectangle']);
});

test('COCO rasteriser = pycocotools frPyObjects + merge + decode, pixel for pixel, on every coco fixture case', () => {
  for (const c of cocoCases) {
    const t = { width: c.w, height: c.h, data: new Uint8Array(c.w * c.h) };
    c.shapes.forEach((s, i) => paintCocoPolygons(t, [s.points.flat()], i + 1));
    assertSameMask(t.data, reference('coco', c), c, 'coco');
  }
});

test('COCO RLE = pycocotools\' C, run for run, on random multi-polygon annotations (cocoPolygons.json)', () => {
  // Made by scripts/genCocoPolygons.c with cocoapi's maskApi.c: sub-pixel, half-pixel, integer and
  // repeated vertices, partly outside the image, one to three polygons merged per annotation.
  const doc = JSON.parse(readFileSync(new URL('./cocoPolygons.json', import.meta.url), 'utf8')) as { cases: { name: string; w: number; h: number; polygons: number[][]; counts: number[] }[] };
  let unions = 0;
  for (const c of doc.cases) {
    const counts = rleMergeUnion(c.polygons.map((p) => rleFromPolygon(p, c.h, c.w)), c.w * c.h);
    assert.deepEqual(counts, c.counts, `${c.name}: RLE counts`);
    const t = { width: c.w, height: c.h, data: new Uint8Array(c.w * c.h) };
    paintCocoPolygons(t, c.polygons, 1);
    assert.deepEqual(t.data, rleDecode(c.counts, c.w, c.h), `${c.name}: painted mask`);
    if (c.polygons.length > 1) unions++;
  }
  assert.ok(unions > 20, `${unions} multi-polygon cases`);
});

test('an annotation\'s several polygons are one region: their union, whatever their order', () => {
  // Each case's shapes as the polygons of ONE COCO annotation = the union of their references.
  for (const c of cocoCases.filter((k) => k.shapes.length > 1)) {
    const ref = reference('coco', c);
    for (const order of [c.shapes, [...c.shapes].reverse()]) {
      const t = { width: c.w, height: c.h, data: new Uint8Array(c.w * c.h) };
      paintCocoPolygons(t, order.map((s) => s.points.flat()), 1);
      assertSameMask(t.data, ref.map((v) => (v ? 1 : 0)), c, 'coco union');
    }
  }
});

/** The importers refuse vertices more than a pixel outside the image (a wrong file, not a click). */
const withinImport = (c: Case) => c.shapes.every((s) => s.points.every(([x, y]) => x >= -1 && y >= -1 && x <= c.w + 1 && y <= c.h + 1));

test('labelme and COCO imports paint the fixture cases exactly as the tools do (real readers, real files)', async () => {
  const root = tempDir();
  const coco: { images: object[]; annotations: object[]; categories: object[] } = { images: [], annotations: [], categories: [] };
  const maxShapes = Math.max(...cases.map((c) => c.shapes.length));
  for (let k = 1; k <= maxShapes; k++) coco.categories.push({ id: k, name: `s${k}` });
  let annId = 1;
  for (const [idx, c] of cases.entries()) {
    const img = await pngImage(c.w, c.h, idx + 1);
    write(join(root, 'labelme', `${c.name}.png`), img);
    const shapes = c.shapes.map((s, i) => ({ label: `s${i + 1}`, points: s.points, shape_type: typeOf(s), group_id: null, flags: {} }));
    write(join(root, 'labelme', `${c.name}.json`), JSON.stringify({ version: '5.4.1', shapes, imagePath: `${c.name}.png`, imageData: null, imageHeight: c.h, imageWidth: c.w }));
    if (!c.coco) continue;
    write(join(root, 'coco', 'images', `${c.name}.png`), img);
    coco.images.push({ id: idx + 1, file_name: `${c.name}.png`, width: c.w, height: c.h });
    c.shapes.forEach((s, i) => coco.annotations.push({ id: annId++, image_id: idx + 1, category_id: i + 1, iscrowd: 0, segmentation: [s.points.flat()] }));
  }
  write(join(root, 'coco', 'annotations', 'instances_default.json'), JSON.stringify(coco));
  for (const tool of ['labelme', 'coco'] as const) {
    const r = await prepareImport(join(root, tool), { format: tool });
    const expectedCases = tool === 'coco' ? cocoCases : cases;
    const valueOf = new Map(r.resolution.newClasses.map((k) => [k.name, k.index]));
    for (const c of expectedCases) {
      const back = r.candidates.find((k) => k.originalName === `${c.name}.png`);
      if (!withinImport(c)) {
        assert.ok(!back && r.problems.some((p) => p.file.includes(c.name) && /outside/.test(p.detail)), `${tool} ${c.name}: refused as lying outside the image`);
        continue;
      }
      assert.ok(back?.mask, `${tool} ${c.name} imported with a mask (problems: ${JSON.stringify(r.problems)})`);
      const ref = reference(tool, c).map((v) => (v ? valueOf.get(`s${v}`)! : 0));
      assertSameMask(Uint8Array.from(back.mask.data), ref, c, `${tool} import`);
    }
  }
});

test('a comb with 600 teeth (1,200 crossings a row, half of them left of the image) fills like PIL fills integer outlines', () => {
  // Tooth k covers x = 4k + off … 4k + 1 + off on rows 0–8, joined by a base on rows 9–11; PIL
  // fills an integer rectilinear outline with its boundary (checked against Pillow 9.4).
  const K = 600, off = -1000, W = 4 * K + off, H = 14;
  const pts: [number, number][] = [[off, 11]];
  for (let k = 0; k < K; k++) {
    pts.push([4 * k + off, 0], [4 * k + 1 + off, 0], [4 * k + 1 + off, 9]);
    if (k < K - 1) pts.push([4 * k + 4 + off, 9]);
  }
  pts.push([4 * (K - 1) + 1 + off, 11]);
  const t = { width: W, height: H, data: new Uint8Array(W * H) };
  paintLabelmeShape(t, 'polygon', pts, 1);
  const c: Case = { name: 'comb', w: W, h: H, shapes: [] };
  const expected = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = x - off;
      if (u <= 4 * K - 3 && ((y <= 8 && u % 4 <= 1) || (y >= 9 && y <= 11))) expected[y * W + x] = 1;
    }
  }
  assertSameMask(t.data, expected, c, 'labelme');
});

test('a zig-zag polygon too costly to fill is refused with the file named, by both importers', async () => {
  // 30,000 vertices alternating between the top and bottom rows of a 4×8000 image: 2.4·10^8 row
  // crossings for labelme, 1.2·10^9 boundary steps for pycocotools.
  const W = 4, H = 8000, n = 30_000;
  const pts: [number, number][] = Array.from({ length: n }, (_, i) => [i % W, i % 2 ? H - 1 : 0]);
  const root = tempDir();
  const img = await pngImage(W, H, 1);
  write(join(root, 'labelme', 'zig.png'), img);
  write(join(root, 'labelme', 'zig.json'), JSON.stringify({ shapes: [{ label: 'crack', points: pts, shape_type: 'polygon' }], imagePath: 'zig.png', imageData: null, imageHeight: H, imageWidth: W }));
  write(join(root, 'coco', 'images', 'zig.png'), img);
  write(join(root, 'coco', 'instances.json'), JSON.stringify({ images: [{ id: 1, file_name: 'zig.png', width: W, height: H }], categories: [{ id: 1, name: 'crack' }], annotations: [{ id: 1, image_id: 1, category_id: 1, segmentation: [pts.flat()] }] }));
  for (const tool of ['labelme', 'coco'] as const) {
    const r = await prepareImport(join(root, tool), { format: tool });
    assert.equal(r.candidates.filter((c) => c.mask).length, 0, tool);
    assert.equal(r.problems.length, 1, `${tool}: ${JSON.stringify(r.problems)}`);
    assert.match(r.problems[0]!.file, tool === 'labelme' ? /zig\.json/ : /instances\.json/);
    assert.match(r.problems[0]!.detail, /too complex to fill/);
  }
});

test('labelme linestrips are width-10 PIL lines segment by segment: 4 pixels to one side, 5 to the other', () => {
  // Horizontal (0,10)–(20,10) covers rows 6–15; vertical (20,10)–(20,30) covers columns 16–25
  // (checked against Pillow 9.4's ImageDraw.line(width=10)).
  const W = 40, H = 40;
  const t = { width: W, height: H, data: new Uint8Array(W * H) };
  paintLabelmeShape(t, 'linestrip', [[0, 10], [20, 10], [20, 30]], 1);
  const expected = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((y >= 6 && y <= 15 && x <= 20) || (y >= 10 && y <= 30 && x >= 16 && x <= 25)) expected[y * W + x] = 1;
  assertSameMask(t.data, expected, { name: 'L-shaped linestrip', w: W, h: H, shapes: [] }, 'labelme');
});
