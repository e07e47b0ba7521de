// labelme: <split>/<stem>.json beside <split>/<stem>.<ext>, one polygon per mask boundary through
// the centres of its boundary pixels (holes as '_background_' shapes painted after their outline),
// in labelme's coordinates where pixel x has its centre at x, plus one-row rectangles where
// labelme's rasteriser would miss pixels. labelme itself and `--format labelme` read it back exactly.
import { join } from 'node:path';
import { labelmeShapesFromMask } from '../labelmeShapesFromMask.js';
import { StemAllocator, classesJson, writeOut } from './exportFiles.js';
import type { ExportClass, ExportItem, ExportSummary } from './exportTypes.js';

export async function exportLabelme(items: ExportItem[], classes: ExportClass[], out: string): Promise<ExportSummary> {
  const stems = new StemAllocator();
  const names = new Map(classes.map((c) => [c.index, c.name]));
  let withMasks = 0, files = 0;
  for (const it of items) {
    const stem = stems.stem(it.originalName, it.id);
    const dir = it.split === 'unassigned' ? out : join(out, it.split);
    const { bytes, ext } = await it.loadImage();
    writeOut(join(dir, `${stem}${ext}`), bytes);
    files++;
    const mask = await it.loadMask();
    if (!mask) continue;
    withMasks++;
    const shapes = labelmeShapesFromMask(mask, it.width, it.height).map((s) => ({
      label: s.value ? names.get(s.value) ?? String(s.value) : '_background_',
      points: s.points,
      group_id: null,
      description: '',
      shape_type: s.shapeType,
      flags: {},
    }));
    const doc = { version: '5.4.1', flags: {}, shapes, imagePath: `${stem}${ext}`, imageData: null, imageHeight: it.height, imageWidth: it.width };
    writeOut(join(dir, `${stem}.json`), JSON.stringify(doc, null, 1));
    files++;
  }
  writeOut(join(out, 'classes.json'), classesJson(classes));
  return { format: 'labelme', out, images: items.length, withMasks, files: files + 1, notes: [] };
}
