// Small dataset fixtures written into temp folders by the tests themselves.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { encodeIndexPng } from '../../app/dataset/pngPalette.js';

export function tempDir(prefix = 'pasam-ds-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function write(path: string, data: Buffer | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** A textured RGB image whose content depends on seed (so content hashes differ). */
export function rgbPixels(w: number, h: number, seed: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = Math.floor(i / w);
    px[i * 3] = (x * 7 + seed * 31) & 255;
    px[i * 3 + 1] = (y * 11 + seed * 17) & 255;
    px[i * 3 + 2] = ((x ^ y) * 5 + seed) & 255;
  }
  return px;
}

export function pngImage(w: number, h: number, seed: number): Promise<Buffer> {
  return sharp(rgbPixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

export function jpegImage(w: number, h: number, seed: number): Promise<Buffer> {
  return sharp(rgbPixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export function indexMaskPng(w: number, h: number, f: (x: number, y: number) => number): { png: Buffer; data: Uint8Array } {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { png: encodeIndexPng(w, h, data), data };
}

export function maskOf(w: number, h: number, f: (x: number, y: number) => number): Uint8Array {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return data;
}

/** 0/255 grey PNG with an anti-aliased rim of grey levels around the foreground. */
export function softBinaryMaskPng(w: number, h: number, inside: (x: number, y: number) => boolean, rim: (x: number, y: number) => number = (x, y) => ((x + y) % 2 ? 127 : 128)): Promise<Buffer> {
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = inside(x, y);
      const near = !i && [[1, 0], [-1, 0], [0, 1], [0, -1]].some(([dx, dy]) => inside(x + dx!, y + dy!));
      px[y * w + x] = i ? 255 : near ? rim(x, y) : 0;
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer();
}

export function sameMask(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 16-bit grey PNG (sharp cannot write one from raw values), built by hand with zlib. */
export function grey16Png(w: number, h: number, values: ArrayLike<number>): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 16;
  ihdr[9] = 0;
  const raw = Buffer.alloc(h * (1 + 2 * w));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.writeUInt16BE(values[y * w + x]!, y * (1 + 2 * w) + 1 + 2 * x);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
