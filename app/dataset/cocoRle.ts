// COCO run-length encoding as pycocotools writes it: runs over the mask in column-major order,
// starting with a (possibly empty) run of zeros; the compressed form is pycocotools' LEB128-like
// string (5 bits per character, offset 48, each count after the second stored as a delta).

export class RleError extends Error {}

/** Binary (non-zero = 1) row-major mask → uncompressed counts. */
export function rleEncode(mask: Uint8Array, width: number, height: number, value?: number): number[] {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x]!;
      const bit = value === undefined ? (v !== 0 ? 1 : 0) : v === value ? 1 : 0;
      if (bit !== current) {
        counts.push(run);
        run = 0;
        current = bit;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/** Uncompressed counts → row-major 0/1 mask; the counts must cover exactly width×height pixels. */
export function rleDecode(counts: readonly number[], width: number, height: number): Uint8Array {
  const total = width * height;
  let sum = 0;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 0) throw new RleError(`RLE count ${c} is not a non-negative integer`);
    sum += c;
  }
  if (sum !== total) throw new RleError(`RLE covers ${sum} pixels but the image has ${width}×${height} = ${total}`);
  const out = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (i % 2 === 1) {
      for (let k = pos; k < pos + c; k++) {
        const x = Math.floor(k / height), y = k % height;
        out[y * width + x] = 1;
      }
    }
    pos += c;
  }
  return out;
}

export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) throw new RleError('compressed RLE string ends inside a count');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RleError(`compressed RLE has an invalid character '${s[p]}'`);
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/**
 * pycocotools' merge (rleMerge, union): the runs of several RLEs of one image walked together.
 * Kept run for run as maskApi.c does it, so a decoded union equals pycocotools' own.
 */
export function rleMergeUnion(rles: readonly (readonly number[])[], total: number): number[] {
  if (rles.length === 0) return [total];
  let cnts = [...rles[0]!];
  for (let i = 1; i < rles.length; i++) {
    const A = cnts, B = rles[i]!;
    const out: number[] = [];
    let ca = A[0]!, cb = B[0]!, v = false, va = false, vb = false, a = 1, b = 1, cc = 0, ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++]!;
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.length) {
        cb = B[b++]!;
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = va || vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    cnts = out;
  }
  return cnts;
}
