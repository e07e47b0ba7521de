// Past 400 lines on purpose: one port of Pillow's Draw.c fill paths, kept in one file so that it
// reads side by side with the C.
//
// labelme's rasteriser, pixel for pixel. labelme's shape_to_mask draws every shape with PIL's
// ImageDraw on a mode-L image: polygons with `polygon(xy, outline=1, fill=1)`, rectangles with
// `rectangle`, circles with `ellipse` on the bounding box of the radius, points as r=5 discs,
// lines and linestrips as width-10 lines. PIL skips an outline drawn in the fill's colour, so
// every shape is its fill alone. This ports Pillow 9.2–9.4's libImaging/Draw.c (ImagingDrawPolygon
// + polygon_generic, ImagingDrawRectangle, ellipseNew, ImagingDrawWideLine), the version the
// reference masks in fixtures/polygons match, with its rules: coordinates truncated towards zero,
// slopes and crossings in float32, span ends rounded half away from zero inwards, reversed spans
// swapped, horizontal edges drawn whole, the "discontiguous corner" fix-up. Unlike Pillow, edges
// are bucketed by row and corner partners found through per-row maps, so the work is linear in
// edges + row crossings rather than edges × rows (plus a quadratic corner search).

import { ShapeError } from './raster.js';

/**
 * Most row crossings one polygon may cost (the rows its edges span inside the image, summed). A
 * traced contour needs a few per row; a hostile zig-zag of a million full-height edges would need
 * billions, i.e. minutes, so it is refused instead.
 */
export const MAX_POLYGON_CROSSINGS = 200_000_000;

export interface LabelTarget {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

type Pt = readonly [number, number];

const f32 = Math.fround;

/** C's (int) cast of a double: truncation towards zero (kept inside int32, where C would be undefined). */
function toInt(v: number): number {
  return Math.trunc(Math.max(-2147483648, Math.min(2147483647, v)));
}

/** C roundf: half away from zero. */
function roundf(v: number): number {
  return v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5);
}

// Pillow's ROUND_UP/ROUND_DOWN on a float argument: the positive branch adds 0.5F in float, the
// negative branch goes through fabs() and so adds in double.
function roundUpF(f: number): number {
  return f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(Math.abs(f) + 0.5);
}
function roundDownF(f: number): number {
  return f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(Math.abs(f) - 0.5);
}
// The same macros on a double argument (ImagingDrawWideLine).
function roundUpD(f: number): number {
  return f >= 0 ? Math.floor(f + 0.5) : -Math.floor(Math.abs(f) + 0.5);
}
function roundDownD(f: number): number {
  return f >= 0 ? Math.ceil(f - 0.5) : -Math.ceil(Math.abs(f) - 0.5);
}

/**
 * hline8: a clipped run of `value` on row y between x0 and x1 inclusive. Up to Pillow 9.4 a span
 * given right-to-left is swapped, not dropped: where a sliver's two crossings round past each
 * other (ROUND_UP(11.5) = 12 > ROUND_DOWN(11.5) = 11) both pixels are painted.
 */
function hline(t: LabelTarget, x0: number, y: number, x1: number, value: number): void {
  if (y < 0 || y >= t.height) return;
  if (x0 > x1) [x0, x1] = [x1, x0];
  if (x0 < 0) x0 = 0;
  else if (x0 >= t.width) return;
  if (x1 < 0) return;
  if (x1 >= t.width) x1 = t.width - 1;
  if (x0 <= x1) t.data.fill(value, y * t.width + x0, y * t.width + x1 + 1);
}

/**
 * Ascending sort of float32 crossings. A row can hold a million of them (a dense saw-tooth
 * polygon), where TypedArray#sort dominates; an LSD radix sort over the order-preserving bit
 * pattern takes two linear passes instead.
 */
class Float32Sorter {
  private readonly keys: Uint32Array;
  private readonly tmp: Uint32Array;
  private readonly counts = new Uint32Array(65536);
  constructor(capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.tmp = new Uint32Array(capacity);
  }
  /** Sorts values[0..n) in place and returns that view. */
  sort(values: Float32Array, n: number): Float32Array {
    const view = values.subarray(0, n);
    if (n < 512) return view.sort();
    const bits = new Uint32Array(values.buffer, values.byteOffset, n);
    const keys = this.keys, tmp = this.tmp, counts = this.counts;
    // Flip the sign bit of positives and every bit of negatives: unsigned order = numeric order.
    for (let i = 0; i < n; i++) {
      const b = bits[i]!;
      keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    }
    for (const shift of [0, 16]) {
      const [from, to] = shift === 0 ? [keys, tmp] : [tmp, keys];
      counts.fill(0);
      for (let i = 0; i < n; i++) counts[(from[i]! >>> shift) & 0xffff]!++;
      let sum = 0;
      for (let d = 0; d < 65536; d++) {
        const c = counts[d]!;
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) to[counts[(from[i]! >>> shift) & 0xffff]!++] = from[i]!;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      bits[i] = k & 0x80000000 ? (k & 0x7fffffff) >>> 0 : ~k >>> 0;
    }
    return view;
  }
}

/** Pillow's edge list: struct-of-arrays so that a million-vertex polygon stays compact. */
class Edges {
  n = 0;
  readonly x0: Int32Array;
  readonly y0: Int32Array;
  readonly xmin: Int32Array;
  readonly xmax: Int32Array;
  readonly ymin: Int32Array;
  readonly ymax: Int32Array;
  readonly dx: Float32Array;
  constructor(capacity: number) {
    this.x0 = new Int32Array(capacity);
    this.y0 = new Int32Array(capacity);
    this.xmin = new Int32Array(capacity);
    this.xmax = new Int32Array(capacity);
    this.ymin = new Int32Array(capacity);
    this.ymax = new Int32Array(capacity);
    this.dx = new Float32Array(capacity);
  }
  /** add_edge */
  add(x0: number, y0: number, x1: number, y1: number): void {
    const i = this.n++;
    this.xmin[i] = Math.min(x0, x1);
    this.xmax[i] = Math.max(x0, x1);
    this.ymin[i] = Math.min(y0, y1);
    this.ymax[i] = Math.max(y0, y1);
    this.dx[i] = y0 === y1 ? 0 : f32(f32(x1 - x0) / f32(y1 - y0));
    this.x0[i] = x0;
    this.y0[i] = y0;
  }
  /** The edge's crossing with row y as Pillow computes it: (y - y0) * dx + x0 in float32. */
  xAt(i: number, y: number): number {
    return f32(f32(f32(y - this.y0[i]!) * this.dx[i]!) + this.x0[i]!);
  }
}

/**
 * polygon_generic (the opaque path) as in Pillow 9.2–11.0; with hline8's swap above this is Pillow
 * 9.2–9.4, the version labelme's reference masks were drawn with (9.5 stopped swapping, 11.1 and
 * 11.2 changed the corner rule). Pillow scans every edge on every row; here edges
 * enter and leave an active list kept in edge-table order, because the corner rule writes by
 * edge-table position into the row's crossing list and so depends on that order.
 */
function polygonGeneric(t: LabelTarget, e: Edges, value: number, maxCrossings: number): void {
  const n = e.n;
  if (n <= 0) return;
  let ymin = t.height - 1, ymax = 0;
  const tableList: number[] = [];
  for (let i = 0; i < n; i++) {
    if (ymin > e.ymin[i]!) ymin = e.ymin[i]!;
    if (ymax < e.ymax[i]!) ymax = e.ymax[i]!;
    if (e.ymin[i] === e.ymax[i]) {
      hline(t, e.xmin[i]!, e.ymin[i]!, e.xmax[i]!, value);
      continue;
    }
    tableList.push(i);
  }
  if (ymin < 0) ymin = 0;
  if (ymax > t.height) ymax = t.height;
  const count = tableList.length;
  if (ymin > ymax || count === 0) return;
  const table = Int32Array.from(tableList);
  const rows = ymax - ymin + 1;
  // Per row, the table positions of edges becoming active there, and of edges with an end point
  // there (linked lists in ascending position).
  const startHead = new Int32Array(rows).fill(-1), startNext = new Int32Array(count).fill(-1);
  const endHead = new Int32Array(rows).fill(-1), endNext = new Int32Array(count).fill(-1);
  let crossings = 0;
  for (let p = count - 1; p >= 0; p--) {
    const i = table[p]!, lo = e.ymin[i]!, hi = e.ymax[i]!;
    if (hi < ymin || lo > ymax) continue;
    crossings += Math.min(hi, ymax) - Math.max(lo, ymin) + 1;
    const r = Math.max(lo, ymin) - ymin;
    startNext[p] = startHead[r]!;
    startHead[r] = p;
    if (hi <= ymax) {
      endNext[p] = endHead[hi - ymin]!;
      endHead[hi - ymin] = p;
    }
  }
  if (crossings > maxCrossings) throw new ShapeError(`polygon too complex to fill: its edges cross ${crossings} image rows in all (limit ${maxCrossings})`);
  let active = new Int32Array(count), merged = new Int32Array(count), activeCount = 0;
  const xx = new Float32Array(2 * count);
  const sorter = new Float32Sorter(2 * count);
  // Corner partners on the current row: the lowest table position of an edge starting (or ending)
  // there, by slope sign and exact crossing x. Index: 0 starts dx>0, 1 starts dx<0, 2 ends dx>0, 3 ends dx<0.
  const partners = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  const groupOf = (i: number, y: number) => (e.ymin[i] === y ? 0 : 2) + (e.dx[i]! > 0 ? 0 : 1);
  const note = (p: number, y: number) => {
    const i = table[p]!;
    if (e.dx[i] === 0) return;
    const key = e.xAt(i, y);
    if (roundf(key) !== key) return; // only a whole-pixel crossing looks for a partner, and equal keys
    const m = partners[groupOf(i, y)]!, prev = m.get(key);
    if (prev === undefined || p < prev) m.set(key, p);
  };
  for (let y = ymin; y <= ymax; y++) {
    const r = y - ymin;
    // Active edges in table order: the survivors merged with the edges starting here.
    let a = 0, m = 0;
    for (let p = startHead[r]!; ; ) {
      while (a < activeCount && e.ymax[table[active[a]!]!]! < y) a++;
      const fromActive = a < activeCount ? active[a]! : count;
      const fromStart = p >= 0 ? p : count;
      if (fromActive === count && fromStart === count) break;
      if (fromActive < fromStart) {
        merged[m++] = fromActive;
        a++;
      } else {
        merged[m++] = fromStart;
        p = startNext[p]!;
      }
    }
    [active, merged] = [merged, active];
    activeCount = m;
    for (const map of partners) map.clear();
    for (let p = startHead[r]!; p >= 0; p = startNext[p]!) if (e.ymin[table[p]!] === y) note(p, y);
    for (let p = endHead[r]!; p >= 0; p = endNext[p]!) note(p, y);
    let j = 0;
    for (let k = 0; k < activeCount; k++) {
      const p = active[k]!, i = table[p]!;
      const x = e.xAt(i, y);
      xx[j++] = x;
      if (y === e.ymax[i] && y < ymax) {
        // Needed to draw consistent polygons: an edge's last row counts twice.
        xx[j++] = x;
      } else if (e.dx[i] !== 0 && roundf(x) === x && (y === e.ymin[i] || y === e.ymax[i])) {
        // Connect discontiguous corners: the first earlier edge of the same slope sign ending (or
        // starting) at exactly this point moves the crossing stored at *its table position*.
        const other = partners[groupOf(i, y)]!.get(x);
        if (other !== undefined && other < p) {
          const offset = y === ymax ? -1 : 1;
          const adj = e.xAt(i, y + offset), adjOther = e.xAt(table[other]!, y + offset);
          let moved: number;
          if (y === e.ymax[i]) moved = e.dx[i]! > 0 ? Math.max(adj, adjOther) + 1 : Math.min(adj, adjOther) - 1;
          else moved = e.dx[i]! > 0 ? Math.min(adj, adjOther) : Math.max(adj, adjOther) + 1;
          // A position not yet filled on this row is overwritten before it is read, or never read.
          if (other < j) xx[other] = f32(moved);
        }
      }
    }
    const xs = sorter.sort(xx, j);
    for (let k = 1; k < j; k += 2) hline(t, roundUpF(xs[k - 1]!), y, roundDownF(xs[k]!), value);
  }
}

/** ImageDraw.polygon(xy, fill=value): ImagingDrawPolygon's fill path. */
export function pilPolygon(t: LabelTarget, points: readonly Pt[], value: number, maxCrossings = MAX_POLYGON_CROSSINGS): void {
  const count = points.length;
  if (count <= 0) return;
  const xs = new Int32Array(count), ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    xs[i] = toInt(points[i]![0]);
    ys[i] = toInt(points[i]![1]);
  }
  const e = new Edges(count);
  let i = 0;
  for (; i < count - 1; i++) {
    const x0 = xs[i]!, y0 = ys[i]!, x1 = xs[i + 1]!, y1 = ys[i + 1]!;
    if (y0 === y1 && i !== 0 && y0 === ys[i - 1]) {
      // A horizontal edge right after another one in the same x direction extends it.
      const last = e.n - 1;
      if (x1 > x0 && x0 > xs[i - 1]!) {
        e.xmax[last] = x1;
        continue;
      } else if (x1 < x0 && x0 < xs[i - 1]!) {
        e.xmin[last] = x1;
        continue;
      }
    }
    e.add(x0, y0, x1, y1);
  }
  if (xs[i] !== xs[0] || ys[i] !== ys[0]) e.add(xs[i]!, ys[i]!, xs[0]!, ys[0]!);
  polygonGeneric(t, e, value, maxCrossings);
}

/** ImageDraw.rectangle(((x0, y0), (x1, y1)), fill=value) with x0 ≤ x1 and y0 ≤ y1. */
export function pilRectangle(t: LabelTarget, a: Pt, b: Pt, value: number): void {
  const x0 = toInt(a[0]), x1 = toInt(b[0]);
  let y0 = toInt(a[1]), y1 = toInt(b[1]);
  if (y0 > y1) [y0, y1] = [y1, y0];
  if (y0 < 0) y0 = 0;
  else if (y0 >= t.height) return;
  if (y1 < 0) return;
  else if (y1 > t.height) y1 = t.height;
  for (let y = y0; y <= y1; y++) hline(t, x0, y, x1, value);
}

/**
 * Bresenham over a quarter ellipse with semi-axes a/2, b/2 on the doubled grid (Pillow's
 * quarter_state). Products exceed 2^53 for big ellipses, so those use BigInt.
 */
class Quarter {
  finished = false;
  cx = 0;
  cy = 0;
  private ex = 0;
  private ey = 0;
  private readonly delta: (x: number, y: number) => number | bigint;
  constructor(a: number, b: number) {
    if (a < 0 || b < 0) {
      this.finished = true;
      this.delta = () => 0;
      return;
    }
    this.cx = a;
    this.cy = b % 2;
    this.ex = a % 2;
    this.ey = b;
    if (Math.max(a, b) <= 4096) {
      const a2 = a * a, b2 = b * b, a2b2 = a2 * b2;
      this.delta = (x, y) => Math.abs(a2 * y * y + b2 * x * x - a2b2);
    } else {
      const a2 = BigInt(a) * BigInt(a), b2 = BigInt(b) * BigInt(b), a2b2 = a2 * b2;
      this.delta = (x, y) => {
        const d = a2 * BigInt(y) * BigInt(y) + b2 * BigInt(x) * BigInt(x) - a2b2;
        return d < 0n ? -d : d;
      };
    }
  }
  /** quarter_next: the current point, or null when finished. */
  next(): [number, number] | null {
    if (this.finished) return null;
    const ret: [number, number] = [this.cx, this.cy];
    if (this.cx === this.ex && this.cy === this.ey) {
      this.finished = true;
    } else {
      let nx = this.cx, ny = this.cy + 2;
      let nd = this.delta(nx, ny);
      if (nx > 1) {
        let d = this.delta(this.cx - 2, this.cy + 2);
        if (nd > d) {
          nx = this.cx - 2;
          ny = this.cy + 2;
          nd = d;
        }
        d = this.delta(this.cx - 2, this.cy);
        if (nd > d) {
          nx = this.cx - 2;
          ny = this.cy;
        }
      }
      this.cx = nx;
      this.cy = ny;
    }
    return ret;
  }
}

/** ImageDraw.ellipse((x0, y0, x1, y1), fill=value): ellipseNew with width a + b (Pillow's ellipse_state). */
export function pilEllipse(t: LabelTarget, p0: Pt, p1: Pt, value: number): void {
  const x0 = toInt(p0[0]), y0 = toInt(p0[1]), x1 = toInt(p1[0]), y1 = toInt(p1[1]);
  const a = x1 - x0, b = y1 - y0;
  if (a < 0 || b < 0) return;
  const w = a + b;
  const leftmost = a % 2;
  const outer = new Quarter(a, b);
  const first = w < 1 ? null : outer.next();
  if (!first) return;
  let [pr, py] = first;
  const inner = new Quarter(a - 2 * (w - 1), b - 2 * (w - 1));
  let pl = leftmost;
  let finished = false;
  const emit = (l: number, yy: number, r: number) => hline(t, x0 + Math.trunc((l + a) / 2), y0 + Math.trunc((yy + b) / 2), x0 + Math.trunc((r + a) / 2), value);
  while (!finished) {
    const y = py, r = pr;
    let l = pl;
    let p: [number, number] | null;
    while ((p = outer.next()) !== null && p[1] <= y) { /* skip points on rows already covered */ }
    if (p === null) finished = true;
    else [pr, py] = p;
    let q: [number, number] | null;
    while ((q = inner.next()) !== null && q[1] <= y) l = q[0];
    pl = q === null ? leftmost : q[0];
    // ellipse_next buffers these four spans and hands them out last first; order is immaterial.
    if ((l > 0 || l < r) && y > 0) emit(l === 0 ? 2 : l, y, r);
    if (y > 0) emit(-r, y, -l);
    if (l > 0 || l < r) emit(l === 0 ? 2 : l, -y, r);
    emit(-r, -y, -l);
  }
}

/** ImageDraw.line(xy, fill=value, width) for one segment, width > 1: ImagingDrawWideLine. */
export function pilWideLine(t: LabelTarget, a: Pt, b: Pt, width: number, value: number): void {
  const x0 = toInt(a[0]), y0 = toInt(a[1]), x1 = toInt(b[0]), y1 = toInt(b[1]);
  const dx = x1 - x0, dy = y1 - y0;
  if (dx === 0 && dy === 0) {
    hline(t, x0, y0, x0, value);
    return;
  }
  const big = Math.hypot(dx, dy);
  const small = (width - 1) / 2;
  const ratioMax = roundUpD(small) / big, ratioMin = roundDownD(small) / big;
  const dxmin = roundDownD(ratioMin * dy), dxmax = roundDownD(ratioMax * dy);
  const dymin = roundDownD(ratioMin * dx), dymax = roundDownD(ratioMax * dx);
  const v: [number, number][] = [
    [x0 - dxmin, y0 + dymax],
    [x1 - dxmin, y1 + dymax],
    [x1 + dxmax, y1 - dymin],
    [x0 + dxmax, y0 - dymin],
  ];
  const e = new Edges(4);
  for (let k = 0; k < 4; k++) e.add(v[k]![0], v[k]![1], v[(k + 1) % 4]![0], v[(k + 1) % 4]![1]);
  polygonGeneric(t, e, value, Infinity);
}

/** labelme's point radius and line width in shape_to_mask. */
export const LABELME_POINT_SIZE = 5;
export const LABELME_LINE_WIDTH = 10;

export type LabelmeShapeType = 'polygon' | 'oriented_rectangle' | 'rectangle' | 'circle' | 'point' | 'line' | 'linestrip';
const SHAPE_TYPES: readonly string[] = ['polygon', 'oriented_rectangle', 'rectangle', 'circle', 'point', 'line', 'linestrip'];

/** The shape types painted; mask shapes (a bitmap patch, not geometry) are not. */
export function isLabelmeShapeType(type: unknown): type is LabelmeShapeType {
  return typeof type === 'string' && SHAPE_TYPES.includes(type);
}

/** Points each shape type needs (labelme asserts these). */
export function labelmeMinPoints(type: LabelmeShapeType): number {
  return type === 'polygon' || type === 'oriented_rectangle' ? 3 : type === 'point' ? 1 : 2;
}

/**
 * labelme's shape_to_mask for one shape, painted with `value` over what is already there. Throws
 * ShapeError for a polygon costing more than `maxCrossings` (see MAX_POLYGON_CROSSINGS).
 */
export function paintLabelmeShape(t: LabelTarget, type: LabelmeShapeType, pts: readonly Pt[], value: number, maxCrossings = MAX_POLYGON_CROSSINGS): void {
  if (type === 'polygon' || type === 'oriented_rectangle') {
    pilPolygon(t, pts, value, maxCrossings);
  } else if (type === 'rectangle') {
    const [[ax, ay], [bx, by]] = [pts[0]!, pts[1]!];
    pilRectangle(t, [Math.min(ax, bx), Math.min(ay, by)], [Math.max(ax, bx), Math.max(ay, by)], value);
  } else if (type === 'circle') {
    const [[cx, cy], [px, py]] = [pts[0]!, pts[1]!];
    const d = Math.sqrt((cx - px) ** 2 + (cy - py) ** 2);
    pilEllipse(t, [cx - d, cy - d], [cx + d, cy + d], value);
  } else if (type === 'point') {
    const [cx, cy] = pts[0]!;
    const r = LABELME_POINT_SIZE;
    pilEllipse(t, [cx - r, cy - r], [cx + r, cy + r], value);
  } else if (type === 'line') {
    pilWideLine(t, pts[0]!, pts[1]!, LABELME_LINE_WIDTH, value);
  } else {
    // labelme up to 6.x draws a linestrip as separate width-10 segments; labelme 7 also rounds the
    // joints (Pillow's joint="curve" pie slices), which is not reproduced here.
    for (let i = 0; i + 1 < pts.length; i++) pilWideLine(t, pts[i]!, pts[i + 1]!, LABELME_LINE_WIDTH, value);
  }
}
