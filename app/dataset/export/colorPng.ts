// color-png: a Pascal VOC layout — JPEGImages/, SegmentationClass/ palette PNGs coloured by class,
// labelmap.txt (CVAT's colour list) and ImageSets/Segmentation/<split>.txt — that `--format voc` reads back.
import { join } from 'node:path';
import { encodeIndexPng } from '../pngPalette.js';
import { StemAllocator, rgbOf, writeOut } from './exportFiles.js';
import type { ExportClass, ExportItem, ExportSummary } from './exportTypes.js';

export async function exportColorPng(items: ExportItem[], classes: ExportClass[], out: string): Promise<ExportSummary> {
  const palette: [number, number, number][] = Array.from({ length: 256 }, () => [0, 0, 0] as [number, number, number]);
  const seen = new Map<string, string>([['#000000', 'background']]);
  for (const c of classes) {
    const key = c.color.toLowerCase();
    if (seen.has(key)) throw new Error(`classes '${seen.get(key)}' and '${c.name}' share the colour ${c.color}; give them distinct colours (pasam class recolor) before a colour export`);
    seen.set(key, c.name);
    palette[c.index] = rgbOf(c.color);
  }
  const stems = new StemAllocator();
  const lists: Record<string, string[]> = { train: [], val: [], test: [] };
  let withMasks = 0, files = 0;
  for (const it of items) {
    const stem = stems.stem(it.originalName, it.id);
    const { bytes, ext } = await it.loadImage();
    writeOut(join(out, 'JPEGImages', `${stem}${ext}`), bytes);
    files++;
    const mask = await it.loadMask();
    if (mask) {
      writeOut(join(out, 'SegmentationClass', `${stem}.png`), encodeIndexPng(it.width, it.height, mask, palette));
      withMasks++;
      files++;
    }
    lists[it.split]?.push(stem);
  }
  const labelmap = ['# label:color_rgb:parts:actions', 'background:0,0,0::', ...classes.map((c) => `${c.name}:${rgbOf(c.color).join(',')}::`)];
  writeOut(join(out, 'labelmap.txt'), labelmap.join('\n') + '\n');
  for (const [split, stemsOf] of Object.entries(lists)) if (stemsOf.length) writeOut(join(out, 'ImageSets', 'Segmentation', `${split}.txt`), stemsOf.join('\n') + '\n');
  return { format: 'color-png', out, images: items.length, withMasks, files: files + 1, notes: [] };
}
