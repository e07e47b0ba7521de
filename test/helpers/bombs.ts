// Small files that decode to something huge (decompression and dimension bombs), built in
// milliseconds without ever holding the huge thing in memory.
import { deflateRawSync, constants } from 'node:zlib';
import sharp from 'sharp';
import { PNG_SIGNATURE, pngChunk } from '../../app/images/greyPng.js';

/**
 * A valid zlib stream of `total` zero bytes. Deflate blocks ending in a full flush do not refer
 * back past their start, so one compressed 1 MiB block is repeated; the Adler-32 of n zeros is
 * (n mod 65521) << 16 | 1.
 */
export function zeroZlibStream(total: number): Buffer {
  const chunk = 1 << 20;
  const block = deflateRawSync(Buffer.alloc(chunk), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])];
  let n = 0;
  for (; n + chunk <= total; n += chunk) parts.push(block);
  parts.push(deflateRawSync(Buffer.alloc(total - n), { level: 9 }));
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  parts.push(trailer);
  return Buffer.concat(parts);
}

/** A PNG with the given header and raw IDAT bytes (no checks: hostile files are the point). */
export function pngWithIdat(width: number, height: number, idat: Buffer, colorType = 0, bitDepth = 8, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...extra, pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A valid all-black grey PNG of any size: (width+1)·height zero bytes, deflated ~1000:1. */
export function blackPngBomb(width: number, height: number): Buffer {
  return pngWithIdat(width, height, zeroZlibStream((width + 1) * height));
}

/** A width×height PNG whose IDAT inflates to `inflated` bytes (far more than the image needs). */
export function pngWithOversizedStream(width: number, height: number, inflated: number): Buffer {
  return pngWithIdat(width, height, zeroZlibStream(inflated));
}

/** A small JPEG whose frame header claims width×height (a libjpeg decoder would allocate it all). */
export async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  for (let i = 2; i + 9 < small.length; ) {
    if (small[i] !== 0xff) break;
    const marker = small[i + 1]!;
    const len = small.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      small.writeUInt16BE(height, i + 5);
      small.writeUInt16BE(width, i + 7);
      return small;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker in the generated JPEG');
}
