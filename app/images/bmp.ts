// A small BMP decoder (sharp/libvips has none): uncompressed 1/4/8-bit palette, 24-bit and 32-bit
// (BI_RGB or BI_BITFIELDS), bottom-up and top-down. RLE and embedded JPEG/PNG are refused.

export interface BmpImage {
  width: number;
  height: number;
  /** 1 (palette that is all grey), 3 (RGB) or 4 (RGBA, 32-bit with a real alpha mask). */
  channels: 1 | 3 | 4;
  data: Uint8Array;
  bitsPerPixel: number;
}

export class BmpError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(bytes: Uint8Array): BmpImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isBmp(b) || b.length < 26) throw new BmpError('not a BMP file (no BM header)');
  const dataOffset = b.readUInt32LE(10);
  const headerSize = b.readUInt32LE(14);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  let paletteEntrySize = 4;
  if (headerSize === 12) {
    width = b.readUInt16LE(18);
    rawHeight = b.readInt16LE(20);
    bpp = b.readUInt16LE(24);
    paletteEntrySize = 3;
  } else if (headerSize >= 40) {
    if (b.length < 14 + 40) throw new BmpError('BMP header is truncated');
    width = b.readInt32LE(18);
    rawHeight = b.readInt32LE(22);
    bpp = b.readUInt16LE(28);
    compression = b.readUInt32LE(30);
    colorsUsed = b.readUInt32LE(46);
  } else throw new BmpError(`unknown BMP header size ${headerSize}`, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535) throw new BmpError(`BMP has invalid size ${width}×${height}`);

  let masks: [number, number, number, number] | null = null;
  if (compression === 3 || compression === 6) {
    if (bpp !== 32 && bpp !== 16) throw new BmpError(`BMP bitfields with ${bpp} bits per pixel`, true);
    // masks follow a 40-byte header, or are part of a V4/V5 header
    const at = 14 + 40;
    if (b.length < at + 12) throw new BmpError('BMP header is truncated');
    masks = [b.readUInt32LE(at), b.readUInt32LE(at + 4), b.readUInt32LE(at + 8), compression === 6 || headerSize >= 56 ? b.readUInt32LE(at + 12) : 0];
  } else if (compression !== 0) {
    throw new BmpError(`compressed BMP (${['BI_RGB', 'RLE8', 'RLE4', 'BITFIELDS', 'JPEG', 'PNG'][compression] ?? `type ${compression}`}) is not supported; save it uncompressed`, true);
  }
  if (![1, 4, 8, 24, 32].includes(bpp) && !(bpp === 16 && masks)) throw new BmpError(`${bpp}-bit BMP is not supported`, true);
  if (bpp === 16 && !masks) throw new BmpError('16-bit BMP is not supported', true);

  let palette: Uint8Array | null = null;
  let greyPalette = false;
  if (bpp <= 8) {
    const n = colorsUsed || 1 << bpp;
    const at = 14 + headerSize;
    if (at + n * paletteEntrySize > b.length) throw new BmpError('BMP palette is truncated');
    palette = new Uint8Array(n * 3);
    greyPalette = true;
    for (let i = 0; i < n; i++) {
      const o = at + i * paletteEntrySize;
      palette[i * 3] = b[o + 2]!;
      palette[i * 3 + 1] = b[o + 1]!;
      palette[i * 3 + 2] = b[o]!;
      if (b[o] !== b[o + 1] || b[o] !== b[o + 2]) greyPalette = false;
    }
  }

  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + rowBytes * height > b.length) throw new BmpError(`BMP pixel data is truncated (${b.length} bytes, need ${dataOffset + rowBytes * height})`);
  const hasAlpha = masks !== null && masks[3] !== 0;
  const channels: 1 | 3 | 4 = palette ? (greyPalette ? 1 : 3) : hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  const fields = masks ? masks.map(maskShift) : null;
  for (let y = 0; y < height; y++) {
    const src = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    let o = y * width * channels;
    for (let x = 0; x < width; x++) {
      if (palette) {
        const bit = x * bpp;
        const byte = b[src + (bit >> 3)]!;
        const idx = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (idx * 3 >= palette.length) throw new BmpError(`BMP pixel (${x}, ${y}) uses palette entry ${idx} of ${palette.length / 3}`);
        if (channels === 1) out[o++] = palette[idx * 3]!;
        else {
          out[o++] = palette[idx * 3]!;
          out[o++] = palette[idx * 3 + 1]!;
          out[o++] = palette[idx * 3 + 2]!;
        }
      } else if (fields) {
        const v = bpp === 32 ? b.readUInt32LE(src + x * 4) : b.readUInt16LE(src + x * 2);
        for (let c = 0; c < channels; c++) {
          const f = fields[c]!;
          out[o++] = f.max === 0 ? 0 : Math.round((((v >>> f.shift) & f.max) * 255) / f.max);
        }
      } else {
        const p = src + x * (bpp / 8);
        out[o++] = b[p + 2]!;
        out[o++] = b[p + 1]!;
        out[o++] = b[p]!;
      }
    }
  }
  return { width, height, channels, data: out, bitsPerPixel: bpp };
}
