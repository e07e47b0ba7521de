// Decoding mask files into per-pixel values: class-index masks (grey or palette index), binary
// masks (soft edges thresholded), and colour masks (distinct colours → indices).
import sharp from 'sharp';
import { checkHeaderPixels, checkImagePixels, sharpInputOptions, sharpLimitError } from '../images/inputLimits.js';
import { decodePng, isPng, PngError } from './pngPalette.js';

export class MaskDecodeError extends Error {}

export interface ValueMask {
  width: number;
  height: number;
  values: Uint16Array;
}

export interface ColorMask extends ValueMask {
  /** values[i] indexes this list of '#rrggbb' colours. */
  colors: string[];
}

function isInterlacedPng(bytes: Buffer): boolean {
  return bytes.length > 28 && bytes.toString('latin1', 12, 16) === 'IHDR' && bytes[28] === 1;
}

export function hexColor(r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** Refuses a mask over the pixel limit from its header (InputLimitError), before decoding. */
async function checkMaskPixels(bytes: Buffer): Promise<void> {
  if (bytes.length === 0) throw new MaskDecodeError('mask file is empty'); // sharp would throw outside its promise
  checkHeaderPixels(bytes, 'mask', 'mask');
  const meta = await sharp(bytes, sharpInputOptions())
    .metadata()
    .catch((err: unknown) => {
      throw sharpLimitError(err, 'mask', 'mask') ?? new MaskDecodeError(`cannot decode mask (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    });
  if (meta.width && meta.height) checkImagePixels(meta.width, meta.height, 'mask', 'mask');
}

async function sharpRaw(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  await checkMaskPixels(bytes);
  try {
    const { data, info } = await sharp(bytes, sharpInputOptions()).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw new MaskDecodeError(`cannot decode mask (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

function decodePngOrThrow(bytes: Buffer) {
  try {
    return decodePng(bytes);
  } catch (err) {
    if (err instanceof PngError) throw new MaskDecodeError(err.message);
    throw err;
  }
}

/** Class-index mask: grey value or palette index per pixel; an RGB mask must be grey (r=g=b). */
export async function decodeIndexMask(bytes: Buffer): Promise<ValueMask> {
  // Interlaced PNGs go through sharp, which keeps grey values (palette ones come out as colours).
  if (isPng(bytes) && !isInterlacedPng(bytes)) {
    const png = decodePngOrThrow(bytes);
    const n = png.width * png.height;
    const values = new Uint16Array(n);
    const c = png.channels;
    if (png.colorType === 0 || png.colorType === 3 || png.colorType === 4) {
      for (let i = 0; i < n; i++) values[i] = png.samples[i * c]!;
    } else {
      for (let i = 0; i < n; i++) {
        const r = png.samples[i * c]!;
        if (r !== png.samples[i * c + 1] || r !== png.samples[i * c + 2]) {
          throw new MaskDecodeError(`colour mask (pixel ${i % png.width},${Math.floor(i / png.width)} is not grey); import it with a class colour map`);
        }
        values[i] = r;
      }
    }
    return { width: png.width, height: png.height, values };
  }
  const raw = await sharpRaw(bytes);
  const n = raw.width * raw.height;
  const values = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const r = raw.data[i * raw.channels]!;
    if (raw.channels >= 3 && (r !== raw.data[i * raw.channels + 1] || r !== raw.data[i * raw.channels + 2])) {
      throw new MaskDecodeError('colour mask (not grey); import it with a class colour map');
    }
    values[i] = r;
  }
  return { width: raw.width, height: raw.height, values };
}

/**
 * Binary mask → 0/1. Grey level ≥ threshold is foreground (anti-aliased edges of 0/255 masks);
 * masks that only hold 0 and 1 count 1 as foreground.
 */
export async function decodeBinaryMask(bytes: Buffer, threshold = 128): Promise<ValueMask> {
  await checkMaskPixels(bytes);
  const { data, info } = await sharp(bytes, sharpInputOptions())
    .flatten({ background: '#000000' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw new MaskDecodeError(`cannot decode mask (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    });
  const n = info.width * info.height;
  const c = info.channels;
  let max = 0;
  for (let i = 0; i < n; i++) if (data[i * c]! > max) max = data[i * c]!;
  const cut = max <= 1 ? 1 : threshold;
  const values = new Uint16Array(n);
  for (let i = 0; i < n; i++) values[i] = data[i * c]! >= cut ? 1 : 0;
  return { width: info.width, height: info.height, values };
}

/** Colour mask → index into its distinct colours (palette PNGs read through their palette). */
export async function decodeColorMask(bytes: Buffer): Promise<ColorMask> {
  let width: number, height: number, channels: number;
  let sample: (i: number, ch: number) => number;
  if (isPng(bytes) && !isInterlacedPng(bytes)) {
    const png = decodePngOrThrow(bytes);
    ({ width, height } = png);
    if (png.colorType === 3) {
      const pal = png.palette!;
      const values = new Uint16Array(width * height);
      const colors: string[] = [];
      const byIndex = new Map<number, number>();
      for (let i = 0; i < values.length; i++) {
        const idx = png.samples[i]!;
        let v = byIndex.get(idx);
        if (v === undefined) {
          const rgb = pal[idx];
          if (!rgb) throw new MaskDecodeError(`palette index ${idx} is beyond the palette (${pal.length} entries)`);
          v = colors.push(hexColor(...rgb)) - 1;
          byIndex.set(idx, v);
        }
        values[i] = v;
      }
      return { width, height, values, colors };
    }
    channels = png.channels;
    const shift = png.bitDepth === 16 ? 8 : 0;
    const grey = png.colorType === 0 || png.colorType === 4;
    sample = (i, ch) => png.samples[i * channels + (grey ? 0 : ch)]! >> shift;
  } else {
    const raw = await sharpRaw(bytes);
    ({ width, height, channels } = raw);
    const grey = channels < 3;
    sample = (i, ch) => raw.data[i * channels + (grey ? 0 : ch)]!;
  }
  const values = new Uint16Array(width * height);
  const colors: string[] = [];
  const byKey = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const key = (sample(i, 0) << 16) | (sample(i, 1) << 8) | sample(i, 2);
    let v = byKey.get(key);
    if (v === undefined) {
      if (colors.length >= 65535) throw new MaskDecodeError('colour mask has too many distinct colours');
      v = colors.push('#' + key.toString(16).padStart(6, '0')) - 1;
      byKey.set(key, v);
    }
    values[i] = v;
  }
  return { width, height, values, colors };
}
