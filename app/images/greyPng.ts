// Synchronous codec for the one PNG flavour the store writes: 8-bit greyscale, non-interlaced.
// Class-index masks are saved and read on hot paths (editor saves, training loaders) where an
// async libvips round trip per mask is needless; anything else goes through sharp.
import { crc32, deflateSync } from 'node:zlib';
import { checkImagePixels, inflatePngData, InputLimitError } from './inputLimits.js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes a row-major width×height 8-bit single-channel image as PNG (deterministic bytes). */
export function encodeGrey8Png(data: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`invalid mask size ${width}×${height}`);
  if (data.length !== width * height) throw new Error(`mask has ${data.length} values, expected ${width}×${height} = ${width * height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    // filter 'Sub' compresses flat label regions far better than 'None'
    const o = y * (width + 1);
    raw[o] = 1;
    const row = y * width;
    raw[o + 1] = data[row]!;
    for (let x = 1; x < width; x++) raw[o + 1 + x] = (data[row + x]! - data[row + x - 1]!) & 0xff;
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw, { level: 6 })), pngChunk('IEND', new Uint8Array(0))]);
}

/** A damaged PNG, naming the file (`detail` is the problem alone). */
export class PngFormatError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'PngFormatError';
  }
}

export interface Grey8 {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes a non-interlaced greyscale PNG of 1/2/4/8 bits, returning the raw samples (not scaled:
 * a 1-bit mask gives 0/1); returns null for any other PNG flavour (the caller then uses a general
 * decoder). With `paletteIndices`, palette PNGs are accepted too and their palette indices are
 * returned (VOC-style class-index masks). Throws on a damaged file, and an InputLimitError naming
 * `file` for one over the pixel limit or whose image data inflates past what its header declares.
 */
export function decodeGrey8Png(bytes: Uint8Array, paletteIndices = false, file = 'mask PNG'): Grey8 | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  let off = 8;
  let width = 0;
  let height = 0;
  let depth = 8;
  let palette = false;
  let sawPlte = false;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    if (off + 12 + len > buf.length) throw new PngFormatError(file, 'PNG is truncated');
    const data = buf.subarray(off + 8, off + 8 + len);
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== buf.readUInt32BE(off + 8 + len)) throw new PngFormatError(file, `PNG chunk ${type} fails its CRC`);
    if (type === 'IHDR') {
      if (len !== 13) throw new PngFormatError(file, `PNG IHDR chunk is ${len} bytes, not 13`);
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8]!;
      const colorType = data[9];
      const interlace = data[12];
      if (![1, 2, 4, 8].includes(depth) || !(colorType === 0 || (paletteIndices && colorType === 3)) || interlace !== 0) return null;
      if (width === 0 || height === 0) throw new PngFormatError(file, `PNG declares an empty ${width}×${height} image`);
      checkImagePixels(width, height, file, 'mask');
      palette = colorType === 3;
    } else if (type === 'PLTE') sawPlte = true;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    } else if (type === 'tRNS' && !paletteIndices) return null;
    off += 12 + len;
  }
  if (!sawEnd || width === 0) throw new PngFormatError(file, 'PNG is truncated');
  if (palette && !sawPlte) throw new PngFormatError(file, 'palette PNG without a PLTE chunk');
  const stride = Math.ceil((width * depth) / 8);
  let raw: Buffer;
  try {
    raw = inflatePngData(Buffer.concat(idat), (stride + 1) * height, file);
  } catch (err) {
    if (err instanceof InputLimitError) throw err;
    throw new PngFormatError(file, `PNG image data does not inflate (${err instanceof Error ? err.message : String(err)})`);
  }
  if (raw.length < (stride + 1) * height) throw new PngFormatError(file, 'PNG image data is truncated');
  // unfilter into packed rows (filters work on bytes; the pixel step is 1 byte for depth ≤ 8)
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = y > 0 ? dst - stride : -1;
    for (let x = 0; x < stride; x++) {
      const a = x > 0 ? rows[dst + x - 1]! : 0;
      const b = up >= 0 ? rows[up + x]! : 0;
      const c = up >= 0 && x > 0 ? rows[up + x - 1]! : 0;
      const v = raw[src + x]!;
      let pred: number;
      switch (filter) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new PngFormatError(file, `PNG row ${y} has unknown filter ${filter}`);
      }
      rows[dst + x] = (v + pred) & 0xff;
    }
  }
  if (depth === 8) return { width, height, data: rows };
  const out = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (rows[y * stride + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return { width, height, data: out };
}
