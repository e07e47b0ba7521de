// mask-png (and the base of overlay): images/, masks/ (grey class-index PNG), classes.json,
// manifest.csv with the split — the layout `pasam import --format mask-png` reads back.
import { join } from 'node:path';
import sharp from 'sharp';
import { sharpInputOptions } from '../../images/inputLimits.js';
import { encodeIndexPng } from '../pngPalette.js';
import { StemAllocator, classesJson, csvField, rgbOf, writeOut } from './exportFiles.js';
import type { ExportClass, ExportItem, ExportSummary } from './exportTypes.js';

export async function exportMaskPng(items: ExportItem[], classes: ExportClass[], out: string, opts: { overlay?: boolean } = {}): Promise<ExportSummary> {
  const stems = new StemAllocator();
  const rows = ['id,split,width,height,image,mask'];
  let withMasks = 0, files = 0;
  const colours = new Map(classes.map((c) => [c.index, rgbOf(c.color)]));
  for (const it of items) {
    const stem = stems.stem(it.originalName, it.id);
    const { bytes, ext } = await it.loadImage();
    const imageRel = `images/${stem}${ext}`;
    writeOut(join(out, imageRel), bytes);
    files++;
    const mask = await it.loadMask();
    let maskRel = '';
    if (mask) {
      maskRel = `masks/${stem}.png`;
      writeOut(join(out, maskRel), encodeIndexPng(it.width, it.height, mask));
      withMasks++;
      files++;
      if (opts.overlay) {
        writeOut(join(out, 'overlays', `${stem}.png`), await overlayPng(bytes, mask, it.width, it.height, colours));
        files++;
      }
    }
    rows.push([stem, it.split, it.width, it.height, imageRel, maskRel].map(csvField).join(','));
  }
  writeOut(join(out, 'manifest.csv'), rows.join('\n') + '\n');
  writeOut(join(out, 'classes.json'), classesJson(classes));
  return { format: opts.overlay ? 'overlay' : 'mask-png', out, images: items.length, withMasks, files: files + 2, notes: opts.overlay ? ['overlays/ shows each mask over its image; images/ + masks/ re-import as mask-png'] : [] };
}

/** The image with class colours blended in at 50 % and class borders fully opaque. */
export async function overlayPng(imageBytes: Buffer, mask: Uint8Array, width: number, height: number, colours: Map<number, [number, number, number]>): Promise<Buffer> {
  const rgb = await sharp(imageBytes, sharpInputOptions()).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const c = rgb.info.channels;
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = mask[i]!;
    const base = [rgb.data[i * c]!, rgb.data[i * c + (c > 1 ? 1 : 0)]!, rgb.data[i * c + (c > 2 ? 2 : 0)]!];
    const col = v ? colours.get(v) : undefined;
    if (!col) {
      px.set(base, i * 3);
      continue;
    }
    const x = i % width, y = (i - x) / width;
    const edge = (x > 0 && mask[i - 1] !== v) || (x < width - 1 && mask[i + 1] !== v) || (y > 0 && mask[i - width] !== v) || (y < height - 1 && mask[i + width] !== v);
    for (let k = 0; k < 3; k++) px[i * 3 + k] = edge ? col[k]! : (base[k]! + col[k]!) >> 1;
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
