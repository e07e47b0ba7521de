// Generators of test images in formats the import must read (BMP is written here by hand because
// sharp cannot write it).
import sharp from 'sharp';

/** Deterministic pseudo-random bytes. */
export function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

export async function pngOf(data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Promise<Buffer> {
  const raw = sharp(data, { raw: { width, height, channels } });
  return (channels === 1 ? raw.toColourspace('b-w') : raw).png().toBuffer();
}

export interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 24 | 32;
  /** RGB (or RGBA for 32) pixels, or palette indices for bpp ≤ 8. */
  pixels: Uint8Array;
  /** RGB triples for bpp ≤ 8. */
  palette?: Uint8Array;
  topDown?: boolean;
  compression?: number;
}

/** Writes a BITMAPINFOHEADER BMP. */
export function bmpOf(spec: BmpSpec): Buffer {
  const { width, height, bpp } = spec;
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const paletteCount = bpp <= 8 ? spec.palette!.length / 3 : 0;
  const dataOffset = 14 + 40 + paletteCount * 4;
  const buf = Buffer.alloc(dataOffset + rowBytes * height);
  buf.write('BM', 0, 'ascii');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(dataOffset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(spec.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(spec.compression ?? 0, 30);
  buf.writeUInt32LE(rowBytes * height, 34);
  buf.writeUInt32LE(paletteCount, 46);
  for (let i = 0; i < paletteCount; i++) {
    buf[54 + i * 4] = spec.palette![i * 3 + 2]!;
    buf[54 + i * 4 + 1] = spec.palette![i * 3 + 1]!;
    buf[54 + i * 4 + 2] = spec.palette![i * 3]!;
  }
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (spec.topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (bpp <= 8) {
        const bit = x * bpp;
        buf[row + (bit >> 3)]! |= spec.pixels[p]! << (8 - bpp - (bit & 7));
      } else if (bpp === 24) {
        buf[row + x * 3] = spec.pixels[p * 3 + 2]!;
        buf[row + x * 3 + 1] = spec.pixels[p * 3 + 1]!;
        buf[row + x * 3 + 2] = spec.pixels[p * 3]!;
      } else {
        buf[row + x * 4] = spec.pixels[p * 4 + 2]!;
        buf[row + x * 4 + 1] = spec.pixels[p * 4 + 1]!;
        buf[row + x * 4 + 2] = spec.pixels[p * 4]!;
        buf[row + x * 4 + 3] = spec.pixels[p * 4 + 3]!;
      }
    }
  }
  return buf;
}
