// A small PNG codec for masks. sharp expands palette PNGs to RGB and scales 16-bit samples, which
// loses the class index a mask stores; this reads the samples exactly as stored (palette indices,
// 1..16-bit grey) and writes grey or palette PNGs exactly.
import { deflateSync } from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from '../images/greyPng.js';
import { checkImagePixels, inflatePngData, InputLimitError } from '../images/inputLimits.js';


export interface DecodedPng {
  width: number;
  height: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  bitDepth: number;
  channels: number;
  /** Row-major samples, channels interleaved, one element per sample (16-bit kept as is). */
  samples: Uint16Array | Uint8Array;
  /** Palette entries as [r,g,b] for colour type 3. */
  palette: [number, number, number][] | null;
}

export class PngError extends Error {}

export function isPng(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Bit depths the PNG specification allows per colour type. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/**
 * Decodes a non-interlaced PNG exactly. Throws PngError for a damaged or invalid file and an
 * InputLimitError (naming `file`) past the pixel limit or for image data that inflates past
 * what the header declares — checked before anything of the image's size is allocated.
 */
export function decodePng(bytes: Buffer, file = 'mask PNG'): DecodedPng {
  if (!isPng(bytes)) throw new PngError('not a PNG file');
  let pos = 8;
  let width = 0, height = 0, bitDepth = 0, colorType = -1, interlace = 0;
  let palette: [number, number, number][] | null = null;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (pos + 8 <= bytes.length) {
    const len = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const start = pos + 8;
    if (start + len + 4 > bytes.length) throw new PngError(`truncated PNG (chunk ${type} runs past the end of the file)`);
    const data = bytes.subarray(start, start + len);
    if (type === 'IHDR') {
      if (len !== 13) throw new PngError(`corrupt PNG (IHDR chunk is ${len} bytes, not 13)`);
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colorType = data[9]!;
      interlace = data[12]!;
    } else if (type === 'PLTE') {
      palette = [];
      for (let i = 0; i + 2 < len; i += 3) palette.push([data[i]!, data[i + 1]!, data[i + 2]!]);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos = start + len + 4;
  }
  if (colorType < 0 || width === 0 || height === 0) throw new PngError('PNG has no valid IHDR');
  if (!sawEnd) throw new PngError('truncated PNG (no IEND chunk)');
  const channels = CHANNELS[colorType];
  // an invalid colour type or depth is a damaged file (the import fails), not an unsupported one
  if (channels === undefined) throw new PngError(`corrupt PNG (invalid colour type ${colorType})`);
  if (!DEPTHS[colorType]!.includes(bitDepth)) throw new PngError(`corrupt PNG (bit depth ${bitDepth} is invalid for colour type ${colorType})`);
  if (interlace !== 0) throw new PngError('interlaced PNG masks are not supported');
  if (colorType === 3 && !palette) throw new PngError('corrupt PNG (palette PNG without a PLTE chunk)');
  checkImagePixels(width, height, file, 'mask');
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  let raw: Buffer;
  try {
    raw = inflatePngData(Buffer.concat(idat), height * (stride + 1), file);
  } catch (err) {
    if (err instanceof InputLimitError) throw err;
    throw new PngError('corrupt PNG image data (zlib stream does not inflate)');
  }
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < height * (stride + 1)) throw new PngError('truncated PNG image data');
  const samples = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  let prev = Buffer.alloc(stride);
  let cur = Buffer.alloc(stride);
  const perRow = width * channels;
  for (let y = 0; y < height; y++) {
    const off = y * (stride + 1);
    const filter = raw[off]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[off + 1 + i]!;
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v: number;
      switch (filter) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default: throw new PngError(`corrupt PNG (unknown row filter ${filter})`);
      }
      cur[i] = v & 0xff;
    }
    const base = y * perRow;
    if (bitDepth === 8) for (let i = 0; i < perRow; i++) samples[base + i] = cur[i]!;
    else if (bitDepth === 16) for (let i = 0; i < perRow; i++) samples[base + i] = (cur[2 * i]! << 8) | cur[2 * i + 1]!;
    else {
      const mask = (1 << bitDepth) - 1;
      for (let i = 0; i < perRow; i++) {
        const bit = i * bitDepth;
        samples[base + i] = (cur[bit >> 3]! >> (8 - bitDepth - (bit & 7))) & mask;
      }
    }
    [prev, cur] = [cur, prev];
  }
  return { width, height, colorType, bitDepth, channels, samples, palette };
}

/** Encodes 8-bit single-channel data as a grey PNG, or as a palette PNG when a palette is given. */
export function encodeIndexPng(width: number, height: number, data: Uint8Array, palette?: [number, number, number][]): Buffer {
  if (data.length !== width * height) throw new Error(`mask data has ${data.length} values, expected ${width}×${height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = palette ? 3 : 0;
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [PNG_SIGNATURE, pngChunk('IHDR', ihdr)];
  if (palette) {
    const plte = Buffer.alloc(palette.length * 3);
    palette.forEach(([r, g, b], i) => plte.set([r, g, b], i * 3));
    parts.push(pngChunk('PLTE', plte));
  }
  parts.push(pngChunk('IDAT', deflateSync(raw, { level: 6 })), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}
