// Colour overlays for reviewing batch results: the image with each defect class tinted in its
// project colour and its boundary drawn solid, so thin scratches stay visible at a glance.
import sharp from 'sharp';
import type { RgbImage } from '../model/sam/transforms.js';

export interface OverlayClass {
  index: number;
  /** '#rrggbb' */
  color: string;
}

export const OVERLAY_ALPHA = 0.45;

function parseHex(color: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return [255, 0, 255];
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** RGB pixels of the overlay (same size as the image). Classes without a colour are magenta. */
export function overlayPixels(img: RgbImage, map: Uint8Array, classes: readonly OverlayClass[], alpha = OVERLAY_ALPHA): Uint8Array {
  const { width: w, height: h } = img;
  if (map.length !== w * h) throw new Error(`overlay: mask has ${map.length} pixels, image ${w}×${h}`);
  const lut = new Uint8Array(256 * 3);
  for (let k = 1; k < 256; k++) lut.set([255, 0, 255], k * 3);
  for (const c of classes) if (c.index > 0 && c.index < 256) lut.set(parseHex(c.color), c.index * 3);
  const out = Uint8Array.from(img.data);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const k = map[p]!;
      if (k === 0) continue;
      // A pixel on the class boundary (4-neighbour differs or image edge) is drawn solid.
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || map[p - 1] !== k || map[p + 1] !== k || map[p - w] !== k || map[p + w] !== k;
      const a = edge ? 1 : alpha;
      for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(out[p * 3 + c]! * (1 - a) + lut[k * 3 + c]! * a);
    }
  }
  return out;
}

export async function encodeOverlayPng(img: RgbImage, map: Uint8Array, classes: readonly OverlayClass[]): Promise<Buffer> {
  const px = overlayPixels(img, map, classes);
  return sharp(px, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}
