// coco: images/ + annotations/instances_<split>.json with one annotation per class and image:
// polygons along the pixel edges where pycocotools rasterises them back to exactly the class's
// pixels, compressed RLE where it would not (a class with holes). Images with an empty mask are
// listed without annotations; images without any mask are copied but not listed (COCO cannot say
// "not annotated yet").
import { join } from 'node:path';
import { rleEncode, rleToString } from '../cocoRle.js';
import { cocoPolygonsFromMask } from '../cocoPolygonsFromMask.js';
import { StemAllocator, writeOut } from './exportFiles.js';
import type { ExportClass, ExportItem, ExportSummary } from './exportTypes.js';

export async function exportCoco(items: ExportItem[], classes: ExportClass[], out: string): Promise<ExportSummary> {
  const stems = new StemAllocator();
  type Doc = { info: object; images: object[]; annotations: object[]; categories: object[] };
  const docs = new Map<string, Doc>();
  const categories = classes.map((c) => ({ id: c.index, name: c.name, supercategory: 'defect', color: c.color }));
  let annId = 1, withMasks = 0, files = 0, unlisted = 0, asRle = 0;
  for (const it of items) {
    const stem = stems.stem(it.originalName, it.id);
    const { bytes, ext } = await it.loadImage();
    const fileName = `${stem}${ext}`;
    writeOut(join(out, 'images', fileName), bytes);
    files++;
    const mask = await it.loadMask();
    if (!mask) {
      unlisted++;
      continue;
    }
    withMasks++;
    let doc = docs.get(it.split);
    if (!doc) docs.set(it.split, (doc = { info: { description: 'PA-SAM Workstation export', date_created: new Date().toISOString() }, images: [], annotations: [], categories }));
    doc.images.push({ id: it.id, file_name: fileName, width: it.width, height: it.height });
    const present = new Set<number>();
    for (const v of mask) if (v) present.add(v);
    for (const c of [...present].sort((a, b) => a - b)) {
      let area = 0, x0 = it.width, y0 = it.height, x1 = -1, y1 = -1;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] !== c) continue;
        area++;
        const x = i % it.width, y = (i - x) / it.width;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      let segmentation: unknown = cocoPolygonsFromMask(mask, it.width, it.height, c);
      if (!segmentation) {
        asRle++;
        segmentation = { size: [it.height, it.width], counts: rleToString(rleEncode(mask, it.width, it.height, c)) };
      }
      doc.annotations.push({ id: annId++, image_id: it.id, category_id: c, iscrowd: 0, area, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], segmentation });
    }
  }
  for (const [split, doc] of docs) writeOut(join(out, 'annotations', `instances_${split}.json`), JSON.stringify(doc));
  const notes = unlisted ? [`${unlisted} images without a mask were copied to images/ but not listed`] : [];
  if (asRle) notes.push(`${asRle} annotations written as RLE: their regions have holes, which COCO polygons cannot express`);
  return { format: 'coco', out, images: items.length, withMasks, files: files + docs.size, notes };
}
