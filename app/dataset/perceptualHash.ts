// Perceptual hashes for near-duplicate detection: a 64-bit DCT hash (pHash) of a 32×32 grey
// thumbnail. Two images whose hashes differ in few bits look the same to a person (re-encoded,
// slightly shifted in brightness, re-saved), which is what leaks between train and test.
import sharp from 'sharp';
import { sharpInputOptions } from '../images/inputLimits.js';

export const HASH_SIZE = 32;
const LOW = 8;

const COS = (() => {
  const t = new Float64Array(LOW * HASH_SIZE);
  for (let u = 0; u < LOW; u++) for (let x = 0; x < HASH_SIZE; x++) t[u * HASH_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_SIZE));
  return t;
})();

/** 32×32 grey thumbnail (row-major, 0..255) of any image sharp can decode. */
export async function greyThumbnail(bytes: Buffer): Promise<Float64Array> {
  const data = await sharp(bytes, sharpInputOptions()).greyscale().resize(HASH_SIZE, HASH_SIZE, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  const out = new Float64Array(HASH_SIZE * HASH_SIZE);
  const c = data.length / (HASH_SIZE * HASH_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = data[i * c]!;
  return out;
}

/** pHash of a thumbnail: sign of the 8×8 lowest DCT coefficients against their median (DC excluded). */
export function phashOfThumbnail(px: Float64Array): bigint {
  const N = HASH_SIZE;
  const rows = new Float64Array(LOW * N); // DCT along x for each row, first LOW frequencies
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += px[y * N + x]! * COS[u * N + x]!;
      rows[u * N + y] = s;
    }
  }
  const coef: number[] = [];
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[u * N + y]! * COS[v * N + y]!;
      coef.push(s);
    }
  }
  const ac = coef.slice(1);
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
  let h = 0n;
  for (let i = 0; i < 64; i++) if (i > 0 && coef[i]! > median) h |= 1n << BigInt(i);
  return h;
}

export async function perceptualHash(bytes: Buffer): Promise<bigint> {
  return phashOfThumbnail(await greyThumbnail(bytes));
}

export function hammingDistance(a: bigint, b: bigint): number {
  let x = a ^ b;
  let n = 0;
  while (x) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

/** Hashes as 16 hex digits, the form the store keeps. */
export function hashToHex(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

export function hashFromHex(s: string): bigint {
  return BigInt('0x' + s);
}

/**
 * A pair is a near-duplicate candidate within this many differing hash bits, and is confirmed when
 * the mean absolute difference of the brightness-normalised thumbnails is at most
 * NEAR_DUPLICATE_MEAN_DIFF grey levels. On NEU-Seg the 36 pairs its README lists differ by ≤ 6 bits
 * and ≤ 0.56 levels, while the closest other pair differs by 1.35 levels: a 64-bit hash alone
 * cannot separate look-alike steel textures, the thumbnail check can.
 */
export const NEAR_DUPLICATE_BITS = 12;
export const NEAR_DUPLICATE_MEAN_DIFF = 1.0;

/** Mean absolute difference of two thumbnails after removing each one's mean brightness. */
export function thumbnailDifference(a: Float64Array, b: Float64Array): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  const shift = (ma - mb) / a.length;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]! - shift);
  return s / a.length;
}

export interface NearDuplicate {
  a: number;
  b: number;
  bits: number;
  meanDiff: number;
}

/** Hash candidates confirmed on thumbnails; loadThumbnail is called once per image in a candidate pair. */
export async function findNearDuplicates(
  images: HashedImage[],
  loadThumbnail: (id: number) => Promise<Float64Array>,
  opts: { maxBits?: number; maxMeanDiff?: number; candidateFilter?: (a: number, b: number) => boolean } = {},
): Promise<NearDuplicate[]> {
  const cache = new Map<number, Float64Array>();
  const thumb = async (id: number) => {
    let t = cache.get(id);
    if (!t) cache.set(id, (t = await loadThumbnail(id)));
    return t;
  };
  const out: NearDuplicate[] = [];
  for (const p of nearDuplicatePairs(images, opts.maxBits ?? NEAR_DUPLICATE_BITS)) {
    if (opts.candidateFilter && !opts.candidateFilter(p.a, p.b)) continue;
    const meanDiff = thumbnailDifference(await thumb(p.a), await thumb(p.b));
    if (meanDiff <= (opts.maxMeanDiff ?? NEAR_DUPLICATE_MEAN_DIFF)) out.push({ ...p, meanDiff });
  }
  return out;
}

export interface HashedImage {
  id: number;
  hash: bigint;
}

/** Every pair within maxBits of each other (O(n²) over 64-bit words: fine up to ~50k images). */
export function nearDuplicatePairs(images: HashedImage[], maxBits = NEAR_DUPLICATE_BITS): { a: number; b: number; bits: number }[] {
  const out: { a: number; b: number; bits: number }[] = [];
  const hi = images.map((i) => Number(i.hash >> 32n));
  const lo = images.map((i) => Number(i.hash & 0xffffffffn));
  const pop = (x: number) => {
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  };
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const bits = pop(hi[i]! ^ hi[j]!) + pop(lo[i]! ^ lo[j]!);
      if (bits <= maxBits) out.push({ a: images[i]!.id, b: images[j]!.id, bits });
    }
  }
  return out;
}
