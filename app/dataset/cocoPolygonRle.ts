// COCO's polygon rasteriser, pixel for pixel: pycocotools' annToMask runs frPyObjects (rleFrPoly
// per polygon) → merge (union) → decode. This follows cocoapi's common/maskApi.c: vertices scaled
// ×5 and rounded with (int)(5v + .5); the boundary walked one upsampled step at a time along each
// segment's major axis (rounded from the segment's lower end, so both directions give the same
// points); every step that crosses a pixel column's centre line kept as that column's first row
// at or below the crossing; those positions sorted column-major into run-length counts (equal
// positions cancel in pairs). The walk is streamed, so memory is linear in the crossings kept, not
// in the upsampled points.
import { rleMergeUnion } from './cocoRle.js';
import { ShapeError } from './raster.js';

/**
 * Most upsampled boundary steps one annotation may walk. A traced contour walks about five per
 * boundary pixel; a hostile zig-zag of a million image-wide edges would walk billions.
 */
export const MAX_POLYGON_STEPS = 200_000_000;

export interface CocoPaintTarget {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

const SCALE = 5;

/** The boundary points rleFrPoly walks for one polygon (its m before the y-boundary pass). */
export function polygonSteps(xy: readonly number[]): number {
  const k = Math.floor(xy.length / 2);
  let m = 0;
  for (let j = 0; j < k; j++) {
    const n = (j + 1) % k;
    const dx = Math.abs(Math.trunc(SCALE * xy[j * 2]! + 0.5) - Math.trunc(SCALE * xy[n * 2]! + 0.5));
    const dy = Math.abs(Math.trunc(SCALE * xy[j * 2 + 1]! + 0.5) - Math.trunc(SCALE * xy[n * 2 + 1]! + 0.5));
    m += Math.max(dx, dy) + 1;
  }
  return m;
}

/** rleFrPoly: one polygon (flat x,y list) → uncompressed column-major RLE counts for an h×w image. */
export function rleFromPolygon(xy: readonly number[], h: number, w: number): number[] {
  const k = Math.floor(xy.length / 2);
  const x = new Int32Array(k + 1), y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    x[j] = Math.trunc(SCALE * xy[j * 2]! + 0.5);
    y[j] = Math.trunc(SCALE * xy[j * 2 + 1]! + 0.5);
  }
  x[k] = x[0]!;
  y[k] = y[0]!;
  // Column-major positions (x·h + y ≤ w·h) as uint32, as maskApi.c keeps them, in a growing buffer.
  let positions = new Uint32Array(1024), kept = 0;
  let prevU = 0, prevV = 0, first = true;
  // Points are compared with their predecessor across segment joins too, as maskApi.c does on its
  // concatenated u/v arrays; a join repeats the vertex, so it never counts.
  const visit = (u: number, v: number) => {
    if (first) {
      first = false;
    } else if (u !== prevU) {
      let xd = u < prevU ? u : u - 1;
      xd = (xd + 0.5) / SCALE - 0.5;
      if (Math.floor(xd) === xd && xd >= 0 && xd <= w - 1) {
        let yd = v < prevV ? v : prevV;
        yd = (yd + 0.5) / SCALE - 0.5;
        if (yd < 0) yd = 0;
        else if (yd > h) yd = h;
        if (kept === positions.length) {
          const grown = new Uint32Array(positions.length * 2);
          grown.set(positions);
          positions = grown;
        }
        positions[kept++] = xd * h + Math.ceil(yd);
      }
    }
    prevU = u;
    prevV = v;
  };
  for (let j = 0; j < k; j++) {
    let xs = x[j]!, xe = x[j + 1]!, ys = y[j]!, ye = y[j + 1]!;
    const dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      const s = dx === 0 ? NaN : (ye - ys) / dx; // dx = dy = 0: one point, s unused
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        visit(t + xs, dx === 0 ? ys : Math.trunc(ys + s * t + 0.5));
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        visit(Math.trunc(xs + s * t + 0.5), t + ys);
      }
    }
  }
  // Positions → counts: sort, difference, and fold zero-length runs into their neighbours.
  const a = positions.subarray(0, kept).sort();
  const diffs: number[] = [];
  let p = 0;
  for (const t of a) {
    diffs.push(t - p);
    p = t;
  }
  diffs.push(h * w - p);
  const counts: number[] = [diffs[0]!];
  for (let j = 1; j < diffs.length; ) {
    if (diffs[j]! > 0) counts.push(diffs[j++]!);
    else {
      j++;
      if (j < diffs.length) counts[counts.length - 1]! += diffs[j++]!;
    }
  }
  return counts;
}

/** Paints the 1-runs of column-major counts with `value`. */
export function paintRle(t: CocoPaintTarget, counts: readonly number[], value: number): void {
  const h = t.height, w = t.width;
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (i % 2 === 1) {
      for (let q = pos, end = Math.min(pos + c, h * w); q < end; ) {
        const col = Math.floor(q / h);
        let row = q - col * h;
        const stop = Math.min(end, (col + 1) * h);
        for (; q < stop; q++, row++) t.data[row * w + col] = value;
      }
    }
    pos += c;
  }
}

/**
 * annToMask for a polygon segmentation: the union of its polygons (frPyObjects → merge → decode),
 * painted with `value`. Throws ShapeError when the polygons would walk more than `maxSteps`.
 */
export function paintCocoPolygons(t: CocoPaintTarget, polygons: readonly (readonly number[])[], value: number, maxSteps = MAX_POLYGON_STEPS): void {
  let steps = 0;
  for (const poly of polygons) steps += polygonSteps(poly);
  if (steps > maxSteps) throw new ShapeError(`polygon too complex to fill: its boundary walks ${steps} steps at pycocotools' 5× resolution (limit ${maxSteps})`);
  const rles = polygons.map((poly) => rleFromPolygon(poly, t.height, t.width));
  paintRle(t, rleMergeUnion(rles, t.height * t.width), value);
}
