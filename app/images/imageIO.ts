// Decoding of images and class-index masks (sharp for PNG/JPEG/TIFF/WebP, our own BMP decoder),
// normalised to 8-bit grey or RGB, with errors that name the file and say what is wrong.
import sharp, { type Metadata, type Sharp } from 'sharp';
import { decodeBmp, isBmp, BmpError } from './bmp.js';
import { decodeGrey8Png, encodeGrey8Png, PngFormatError } from './greyPng.js';
import { checkImagePixels, headerDimensions, InputLimitError, sharpInputOptions, sharpLimitError } from './inputLimits.js';

/** 'over limit': larger than an input limit (see inputLimits.ts), refused before decoding. */
export type DecodeProblem = 'corrupt' | 'unsupported' | 'over limit';

/** An image or mask that cannot be read. `reason` says whether it is damaged or just not supported. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: DecodeProblem,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ImageDecodeError';
  }
}

export const IMAGE_FORMATS = ['png', 'jpeg', 'tiff', 'bmp', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 = grey, 3 = RGB; always 8 bits per channel, alpha removed. */
  channels: 1 | 3;
  data: Uint8Array;
  /** Container format of the input. */
  format: ImageFormat;
  /** Bits per channel of the input (8, 16, or for BMP its bits per pixel). */
  bitDepth: number;
  /** Colour space of the input as sharp names it ('srgb', 'b-w', 'cmyk', 'grey16', ...). */
  colorSpace: string;
  /** What was done to make it 8-bit grey/RGB (e.g. '16-bit → 8-bit …'), or null. */
  conversion: string | null;
}

const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64 };

function sniff(bytes: Uint8Array): string | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))) return 'tiff';
  if (isBmp(b)) return 'bmp';
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'webp';
  if (b.length >= 6 && String.fromCharCode(...b.subarray(0, 3)) === 'GIF') return 'gif';
  return null;
}

/** The pixel limit as an ImageDecodeError (checked on the header, before any pixel is decoded). */
function checkPixels(width: number, height: number, fileName: string, what: string): void {
  try {
    checkImagePixels(width, height, fileName, what);
  } catch (err) {
    if (err instanceof InputLimitError) throw new ImageDecodeError(fileName, 'over limit', err.detail);
    throw err;
  }
}

/** sharp's metadata, after the PNG/JPEG header check; sharp's own pixel refusal as 'over limit'. */
async function sharpMetadata(bytes: Uint8Array, fileName: string, what: string, damaged: string): Promise<Metadata> {
  const d = headerDimensions(bytes);
  if (d) checkPixels(d.width, d.height, fileName, what);
  try {
    return await sharpIn(bytes).metadata();
  } catch (err) {
    const limit = sharpLimitError(err, fileName, what);
    if (limit) throw new ImageDecodeError(fileName, 'over limit', limit.detail);
    throw new ImageDecodeError(fileName, 'corrupt', `${damaged} (${sharpMessage(err)})`);
  }
}

/** sharp with its pixel guard at our limit and warnings treated as damage. */
const sharpIn = (bytes: Uint8Array): Sharp => sharp(bytes, { failOn: 'warning', ...sharpInputOptions() });

function sharpMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^Vips\w*: /, '').trim();
}

function decodeBmpImage(bytes: Uint8Array, fileName: string): DecodedImage {
  if (bytes.length >= 26) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkPixels(Math.abs(view.readInt32LE(18)), Math.abs(view.readInt32LE(22)), fileName, 'BMP');
  }
  let bmp;
  try {
    bmp = decodeBmp(bytes);
  } catch (err) {
    if (err instanceof BmpError) throw new ImageDecodeError(fileName, err.unsupported ? 'unsupported' : 'corrupt', err.message);
    throw err;
  }
  let data = bmp.data;
  let channels: 1 | 3 = bmp.channels === 1 ? 1 : 3;
  let conversion: string | null = null;
  if (bmp.channels === 4) {
    data = new Uint8Array(bmp.width * bmp.height * 3);
    for (let i = 0, j = 0; i < bmp.data.length; i += 4) {
      data[j++] = bmp.data[i]!;
      data[j++] = bmp.data[i + 1]!;
      data[j++] = bmp.data[i + 2]!;
    }
    channels = 3;
    conversion = 'alpha channel removed';
  }
  return { width: bmp.width, height: bmp.height, channels, data, format: 'bmp', bitDepth: bmp.bitsPerPixel, colorSpace: channels === 1 ? 'b-w' : 'srgb', conversion };
}

/**
 * Decodes an image file fully (so truncated/damaged files are caught here, not in training) into
 * 8-bit grey or RGB pixels. 16-bit images are stretched from their value range to 0–255, EXIF
 * orientation is applied, alpha is dropped, CMYK becomes RGB; each of these is reported in
 * `conversion`. Throws ImageDecodeError naming `fileName`.
 */
export async function decodeImage(bytes: Uint8Array, fileName: string): Promise<DecodedImage> {
  const kind = sniff(bytes);
  if (bytes.length === 0) throw new ImageDecodeError(fileName, 'corrupt', 'file is empty');
  if (kind === 'bmp') return decodeBmpImage(bytes, fileName);
  if (kind === 'gif') throw new ImageDecodeError(fileName, 'unsupported', 'GIF images are not supported (use PNG, JPEG, TIFF or BMP)');
  if (kind === null) throw new ImageDecodeError(fileName, 'corrupt', 'not a PNG, JPEG, TIFF, BMP or WebP image (unrecognised content)');
  const meta = await sharpMetadata(bytes, fileName, `${kind.toUpperCase()} image`, `damaged ${kind.toUpperCase()} file`);
  if (meta.width && meta.height) checkPixels(meta.width, meta.height, fileName, `${kind.toUpperCase()} image`);
  const format: string | undefined = meta.format;
  if (!(IMAGE_FORMATS as readonly string[]).includes(format ?? '')) throw new ImageDecodeError(fileName, 'unsupported', `${format} images are not supported`);
  if (!meta.width || !meta.height) throw new ImageDecodeError(fileName, 'corrupt', 'image has no size');
  if ((meta.pages ?? 1) > 1) throw new ImageDecodeError(fileName, 'unsupported', `multi-page ${format} (${meta.pages} pages) is not supported; export the pages as separate images`);
  const depth = meta.depth ?? 'uchar';
  const bitDepth = DEPTH_BITS[depth] ?? 8;
  const space = meta.space ?? 'srgb';
  const grey = space === 'b-w' || space === 'grey16' || (meta.channels ?? 3) <= 2;
  const conversions: string[] = [];
  let pipe = sharpIn(bytes);
  if ((meta.orientation ?? 1) > 1) {
    pipe = pipe.rotate();
    conversions.push(`EXIF orientation ${meta.orientation} applied`);
  }
  if (meta.hasAlpha) {
    pipe = pipe.removeAlpha();
    conversions.push('alpha channel removed');
  }
  if (space === 'cmyk') conversions.push('CMYK → RGB');
  try {
    if (depth === 'uchar') {
      const { data, info } = await pipe.toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length), format: format as ImageFormat, bitDepth, colorSpace: space, conversion: conversions.join('; ') || null };
    }
    if (depth === 'ushort') {
      const { data, info } = await pipe.toColourspace(grey ? 'grey16' : 'rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const v16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
      let lo = 65535;
      let hi = 0;
      for (let i = 0; i < v16.length; i++) {
        const v = v16[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const scale = hi > lo ? 255 / (hi - lo) : 0;
      const out = new Uint8Array(v16.length);
      for (let i = 0; i < v16.length; i++) out[i] = Math.round((v16[i]! - lo) * scale);
      conversions.push(`16-bit → 8-bit (values ${lo}–${hi} stretched to 0–255)`);
      return { width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3, data: out, format: format as ImageFormat, bitDepth, colorSpace: space, conversion: conversions.join('; ') };
    }
  } catch (err) {
    throw new ImageDecodeError(fileName, 'corrupt', `damaged ${format?.toUpperCase()} file (${sharpMessage(err)})`);
  }
  throw new ImageDecodeError(fileName, 'unsupported', `${bitDepth}-bit ${depth} samples are not supported (use 8- or 16-bit images)`);
}

/** Decodes to 3-channel RGB (grey replicated), the form the model consumes. */
export async function decodeImageRgb(bytes: Uint8Array, fileName: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const img = await decodeImage(bytes, fileName);
  if (img.channels === 3) return { width: img.width, height: img.height, data: img.data };
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.data.length; i++) {
    const v = img.data[i]!;
    rgb[j++] = v;
    rgb[j++] = v;
    rgb[j++] = v;
  }
  return { width: img.width, height: img.height, data: rgb };
}

export interface StorableImage {
  bytes: Buffer;
  /** 'png' or 'jpg' */
  ext: string;
}

/**
 * The bytes to keep in the project for a decoded image: the original file when it is an 8-bit
 * PNG/JPEG that needed no conversion (nothing re-encoded, JPEG not recompressed), otherwise a
 * lossless PNG of the normalised pixels (TIFF, BMP, WebP, 16-bit, alpha, rotated, CMYK).
 */
export async function storableImage(original: Uint8Array, decoded: DecodedImage): Promise<StorableImage> {
  if (decoded.conversion === null && (decoded.format === 'png' || decoded.format === 'jpeg')) {
    return { bytes: Buffer.from(original.buffer, original.byteOffset, original.byteLength), ext: decoded.format === 'png' ? 'png' : 'jpg' };
  }
  const raw = sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: decoded.channels } });
  const bytes = await (decoded.channels === 1 ? raw.toColourspace('b-w') : raw).png({ compressionLevel: 6 }).toBuffer();
  return { bytes, ext: 'png' };
}

/** 8-bit single-channel PNG of a class-index mask (deterministic bytes, so equal masks hash equal). */
export function encodeMaskPng(mask: Uint8Array, width: number, height: number): Buffer {
  return encodeGrey8Png(mask, width, height);
}

export interface DecodedMask {
  width: number;
  height: number;
  /** Class index per pixel, row-major. */
  data: Uint8Array;
}

/**
 * Reads a class-index mask: 8-bit grey (value = class), 8-bit palette PNG (palette index = class),
 * or RGB/RGBA whose three channels are equal. Colour masks, 16-bit masks and damaged files are
 * refused with an ImageDecodeError naming `fileName`.
 */
export async function decodeMaskPng(bytes: Uint8Array, fileName: string): Promise<DecodedMask> {
  if (bytes.length === 0) throw new ImageDecodeError(fileName, 'corrupt', 'mask file is empty');
  const kind = sniff(bytes);
  if (kind === 'png') {
    try {
      const fast = decodeGrey8Png(bytes, true, fileName);
      if (fast) return fast;
    } catch (err) {
      if (err instanceof InputLimitError) throw new ImageDecodeError(fileName, 'over limit', err.detail);
      throw new ImageDecodeError(fileName, 'corrupt', `damaged mask PNG (${err instanceof PngFormatError ? err.detail : err instanceof Error ? err.message : String(err)})`);
    }
  }
  let width: number;
  let height: number;
  let channels: number;
  let data: Uint8Array;
  if (kind === 'bmp') {
    const img = decodeBmpImage(bytes, fileName);
    ({ width, height, channels, data } = img);
  } else {
    if (kind === null) throw new ImageDecodeError(fileName, 'corrupt', 'mask is not a PNG, TIFF or BMP image (unrecognised content)');
    const meta = await sharpMetadata(bytes, fileName, 'mask', 'damaged mask file');
    if (meta.width && meta.height) checkPixels(meta.width, meta.height, fileName, 'mask');
    if (meta.depth && meta.depth !== 'uchar') {
      throw new ImageDecodeError(fileName, 'unsupported', `${DEPTH_BITS[meta.depth] ?? meta.depth}-bit mask; class-index masks must be 8-bit (value = class index)`);
    }
    if (kind === 'jpeg') throw new ImageDecodeError(fileName, 'unsupported', 'JPEG masks are not supported: lossy compression changes class values; use PNG');
    try {
      const r = await sharpIn(bytes).raw().toBuffer({ resolveWithObject: true });
      ({ width, height, channels } = r.info);
      data = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length);
    } catch (err) {
      throw new ImageDecodeError(fileName, 'corrupt', `damaged mask file (${sharpMessage(err)})`);
    }
  }
  if (channels === 1) return { width, height, data };
  const out = new Uint8Array(width * height);
  const colour = channels >= 3;
  for (let p = 0, i = 0; p < out.length; p++, i += channels) {
    const v = data[i]!;
    if (colour && (data[i + 1] !== v || data[i + 2] !== v)) {
      const x = p % width;
      const y = Math.floor(p / width);
      throw new ImageDecodeError(fileName, 'unsupported', `colour mask (pixel ${x},${y} is RGB ${v},${data[i + 1]},${data[i + 2]}); class-index masks must be single-channel with value = class index`);
    }
    out[p] = v;
  }
  return { width, height, data: out };
}
