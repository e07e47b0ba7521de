import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { paintCocoPolygons, paintRle } from '../../app/dataset/cocoPolygonRle.js';
import { rleFromString } from '../../app/dataset/cocoRle.js';
import { paintLabelmeShape } from '../../app/dataset/labelmeRaster.js';
import { traceRings } from '../../app/dataset/maskPolygons.js';
import { exportDataset } from '../../app/dataset/export/exportDataset.js';
import { EXPORT_FORMATS, type ExportClass, type ExportItem } from '../../app/dataset/export/exportTypes.js';
import { prepareImport } from '../../app/dataset/readSource.js';
import { detectFormat } from '../../app/dataset/formats/detect.js';
import { jpegImage, pngImage, tempDir } from './fixtures.js';
import type { Split } from '../../app/store/storeTypes.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Masks with nested regions, holes, single pixels, diagonal contacts and image-edge contact. */
function hardMask(w: number, h: number, seed: number): Uint8Array {
  const r = rng(seed);
  const m = new Uint8Array(w * h);
  for (let k = 0; k < 5; k++) {
    const cx = r() * w, cy = r() * h, rad = 1 + r() * 6, v = 1 + Math.floor(r() * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) m[y * w + x] = v;
  }
  for (let i = 0; i < 25; i++) m[Math.floor(r() * w * h)] = Math.floor(r() * 4);
  m[0] = 2;
  m[w + 1] = 2; // diagonal contact
  return m;
}

const classes: ExportClass[] = [
  { index: 1, name: 'crack', color: '#ff0000' },
  { index: 2, name: 'dent ü', color: '#00ff00' },
  { index: 3, name: 'pit', color: '#0000ff' },
];

async function items(): Promise<ExportItem[]> {
  const splits: Split[] = ['train', 'train', 'val', 'test', 'unassigned', 'train'];
  const out: ExportItem[] = [];
  for (let i = 0; i < splits.length; i++) {
    const w = 17 + i * 3, h = 13 + i;
    const jpg = i % 2 === 1;
    const bytes = jpg ? await jpegImage(w, h, i + 1) : await pngImage(w, h, i + 1);
    const mask = i === 4 ? new Uint8Array(w * h) : hardMask(w, h, i + 1);
    out.push({
      id: i + 1,
      // Two images share a name (as MVTec's 000.png do); the exporter must keep both.
      originalName: i === 5 ? 'part 0 ä.png' : i === 0 ? 'part 0 ä.png' : `img${i}${jpg ? '.jpg' : '.png'}`,
      split: splits[i]!,
      width: w,
      height: h,
      loadImage: async () => ({ bytes, ext: jpg ? '.jpg' : '.png' }),
      loadMask: async () => mask,
    });
  }
  return out;
}

for (const format of EXPORT_FORMATS) {
  test(`round trip ${format}: export then import gives the same masks pixel for pixel, names, classes and splits`, async () => {
    const list = await items();
    const out = join(tempDir(), 'export ü');
    const summary = await exportDataset(list, classes, out, format);
    assert.equal(summary.images, list.length);
    assert.ok(readdirSync(out).length > 0);
    const det = detectFormat(out);
    const r = await prepareImport(out, {});
    assert.deepEqual(r.problems, [], `${format} re-import problems (detected ${det.format}: ${det.reason})`);
    assert.equal(r.candidates.length, list.length);
    const byIndexName = new Map(r.resolution.newClasses.map((c) => [c.index, c.name]));
    for (const c of classes) assert.equal(byIndexName.get(c.index), c.name, `class ${c.index} keeps its name`);
    for (const it of list) {
      const { bytes } = await it.loadImage();
      const back = r.candidates.find((c) => c.imageBytes.equals(bytes));
      assert.ok(back, `${it.originalName} (${it.id}) came back`);
      const mask = (await it.loadMask())!;
      assert.ok(back.mask, `${it.originalName} has a mask`);
      assert.equal(back.mask.width, it.width);
      assert.deepEqual(Buffer.from(back.mask.data), Buffer.from(mask), `${format}: mask of ${it.originalName} (${it.id})`);
      assert.equal(back.split ?? 'unassigned', it.split, `${format}: split of ${it.originalName}`);
    }
  });
}

test('COCO and labelme exports are polygons the source tools fill back to the same pixels', async () => {
  const list = await items();
  for (const format of ['coco', 'labelme'] as const) {
    const out = join(tempDir(), format);
    await exportDataset(list, classes, out, format);
    for (const it of list) {
      const mask = (await it.loadMask())!;
      if (!mask.some((v) => v)) continue;
      const painted = new Uint8Array(it.width * it.height);
      const t = { width: it.width, height: it.height, data: painted };
      if (format === 'coco') {
        const doc = JSON.parse(readFileSync(join(out, 'annotations', `instances_${it.split}.json`), 'utf8')) as { annotations: { image_id: number; category_id: number; segmentation: unknown }[] };
        for (const a of doc.annotations.filter((k) => k.image_id === it.id)) {
          const holes = traceRings(mask, it.width, it.height, a.category_id).some((r) => r.area < 0);
          // pycocotools unions an annotation's polygons, so only a class with holes needs RLE.
          assert.equal(Array.isArray(a.segmentation), !holes, `image ${it.id} class ${a.category_id}: polygons unless it has holes`);
          if (Array.isArray(a.segmentation)) paintCocoPolygons(t, a.segmentation as number[][], a.category_id);
          else paintRle(t, rleFromString((a.segmentation as { counts: string }).counts), a.category_id);
        }
      } else {
        const dir = it.split === 'unassigned' ? out : join(out, it.split);
        const json = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { imageWidth: number; imageHeight: number; imagePath: string; shapes: { label: string; shape_type: string; points: [number, number][] }[] });
        const mine = json.filter((d) => d.imageWidth === it.width && d.imageHeight === it.height);
        assert.equal(mine.length, 1, `one labelme file for image ${it.id}`);
        const index = new Map(classes.map((c) => [c.name, c.index]));
        for (const s of mine[0]!.shapes) {
          assert.ok(s.shape_type === 'polygon' || s.shape_type === 'rectangle');
          paintLabelmeShape(t, s.shape_type, s.points, s.label === '_background_' ? 0 : index.get(s.label)!);
        }
      }
      assert.deepEqual(painted, mask, `${format}: image ${it.id} painted back by the tool's own rasteriser`);
    }
  }
});
