// Pixels for the renderer: thumbnails (with the latest mask tinted in class colours) and the tiles
// of an image pyramid, so that 8000×6000 images display without shipping them whole.
import sharp from 'sharp';
import { sharpInputOptions } from '../images/inputLimits.js';
import { TILE_SIZE, THUMB_SIZE, tileLevels, type ClassDef } from './apiTypes.js';
import { ApiError } from './apiErrors.js';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export function levelSize(width: number, height: number, level: number): { width: number; height: number } {
  return { width: Math.max(1, Math.ceil(width / 2 ** level)), height: Math.max(1, Math.ceil(height / 2 ** level)) };
}

/** Decodes an image file and resizes it to a pyramid level. */
export async function decodeLevel(file: string, width: number, height: number, level: number): Promise<RawImage> {
  const size = levelSize(width, height, level);
  let pipeline = sharp(file, sharpInputOptions());
  if (level > 0) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] };
}

/** One tile (PNG, lossless so that pixels are exact when zoomed in) of a decoded level. */
export async function encodeTile(level: RawImage, x: number, y: number): Promise<Buffer> {
  const left = x * TILE_SIZE;
  const top = y * TILE_SIZE;
  if (left >= level.width || top >= level.height) throw new ApiError('not-found', `tile ${x},${y} is outside the image`);
  const w = Math.min(TILE_SIZE, level.width - left);
  const h = Math.min(TILE_SIZE, level.height - top);
  return sharp(level.data, { raw: { width: level.width, height: level.height, channels: level.channels } })
    .extract({ left, top, width: w, height: h })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

export function checkTileLevel(width: number, height: number, level: number): void {
  const levels = tileLevels(width, height);
  if (level >= levels) throw new ApiError('not-found', `level ${level} does not exist (the image has ${levels})`);
}

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A JPEG thumbnail that fits THUMB_SIZE, the mask (if any) tinted over it. */
export async function renderThumbnail(file: string, width: number, height: number, mask: Uint8Array | null, classes: ClassDef[]): Promise<Buffer> {
  const scale = Math.min(1, THUMB_SIZE / Math.max(width, height));
  const tw = Math.max(1, Math.round(width * scale));
  const th = Math.max(1, Math.round(height * scale));
  let pipeline = sharp(file, sharpInputOptions()).resize(tw, th, { fit: 'fill' }).removeAlpha();
  if (mask) {
    const colors = new Map(classes.map((c) => [c.index, hexToRgb(c.color)]));
    const overlay = Buffer.alloc(tw * th * 4);
    for (let ty = 0; ty < th; ty++) {
      const sy = Math.min(height - 1, Math.floor(((ty + 0.5) * height) / th));
      for (let tx = 0; tx < tw; tx++) {
        const sx = Math.min(width - 1, Math.floor(((tx + 0.5) * width) / tw));
        const v = mask[sy * width + sx]!;
        if (!v) continue;
        const [r, g, b] = colors.get(v) ?? [255, 255, 255];
        const o = (ty * tw + tx) * 4;
        overlay[o] = r;
        overlay[o + 1] = g;
        overlay[o + 2] = b;
        overlay[o + 3] = 130;
      }
    }
    pipeline = sharp(await pipeline.toColourspace('srgb').png().toBuffer()).composite([{ input: overlay, raw: { width: tw, height: th, channels: 4 } }]);
  }
  return pipeline.jpeg({ quality: 82 }).toBuffer();
}
