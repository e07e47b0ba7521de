// Rasterising annotation shapes into a class-index mask by pixel-centre sampling.
// Conventions differ per tool: labelme draws with PIL, whose pixel x has its centre at x
// (centreOffset 0) and whose fill includes the outline (inclusive); COCO puts pixel x's centre at
// x + 0.5 (centreOffset 0.5). Polygons use the even-odd rule as both tools do.

export interface RasterTarget {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

export interface RasterConvention {
  centreOffset: number;
  /** Pixels whose centre lies exactly on an edge count as inside. */
  inclusive: boolean;
}

export const LABELME_CONVENTION: RasterConvention = { centreOffset: 0, inclusive: true };
export const COCO_CONVENTION: RasterConvention = { centreOffset: 0.5, inclusive: true };

export class ShapeError extends Error {}

type Pt = readonly [number, number];

export function checkPoints(points: unknown, min: number): Pt[] {
  if (!Array.isArray(points) || points.length < min) throw new ShapeError(`needs at least ${min} points`);
  return points.map((p, i) => {
    if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new ShapeError(`point ${i} is not a pair of numbers`);
    return [p[0] as number, p[1] as number] as const;
  });
}

/** Throws when a vertex lies more than `slack` pixels outside the image (a wrong file, not a sloppy click). */
export function checkInBounds(points: Pt[], width: number, height: number, slack = 1): void {
  for (const [x, y] of points) {
    if (x < -slack || y < -slack || x > width + slack || y > height + slack) {
      throw new ShapeError(`point (${x}, ${y}) lies outside the ${width}×${height} image`);
    }
  }
}

export function fillPolygon(t: RasterTarget, pts: Pt[], value: number, conv: RasterConvention): void {
  const n = pts.length;
  const off = conv.centreOffset;
  let minY = Infinity, maxY = -Infinity;
  for (const [, y] of pts) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const y0 = Math.max(0, Math.ceil(minY - off));
  const y1 = Math.min(t.height - 1, Math.floor(maxY - off));
  const xs: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const yc = y + off;
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = pts[i]!;
      const [bx, by] = pts[(i + 1) % n]!;
      if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) xs.push(ax + ((yc - ay) * (bx - ax)) / (by - ay));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = conv.inclusive ? Math.ceil(xs[k]! - off) : Math.floor(xs[k]! - off) + 1;
      const to = conv.inclusive ? Math.floor(xs[k + 1]! - off) : Math.ceil(xs[k + 1]! - off) - 1;
      const a = Math.max(0, from), b = Math.min(t.width - 1, to);
      if (a <= b) t.data.fill(value, y * t.width + a, y * t.width + b + 1);
    }
  }
  if (conv.inclusive) for (let i = 0; i < n; i++) markSegmentCentres(t, pts[i]!, pts[(i + 1) % n]!, value, off);
}

/** Pixels whose centre lies exactly on the segment (what the scanline's half-open rule misses). */
function markSegmentCentres(t: RasterTarget, a: Pt, b: Pt, value: number, off: number): void {
  const [ax, ay] = a, [bx, by] = b;
  if (ay === by) {
    const y = ay - off;
    if (!Number.isInteger(y) || y < 0 || y >= t.height) return;
    const from = Math.max(0, Math.ceil(Math.min(ax, bx) - off)), to = Math.min(t.width - 1, Math.floor(Math.max(ax, bx) - off));
    if (from <= to) t.data.fill(value, y * t.width + from, y * t.width + to + 1);
  } else if (ax === bx) {
    const x = ax - off;
    if (!Number.isInteger(x) || x < 0 || x >= t.width) return;
    const from = Math.max(0, Math.ceil(Math.min(ay, by) - off)), to = Math.min(t.height - 1, Math.floor(Math.max(ay, by) - off));
    for (let y = from; y <= to; y++) t.data[y * t.width + x] = value;
  }
}

export function fillRectangle(t: RasterTarget, a: Pt, b: Pt, value: number, conv: RasterConvention): void {
  const off = conv.centreOffset;
  const x0 = Math.max(0, Math.ceil(Math.min(a[0], b[0]) - off)), x1 = Math.min(t.width - 1, Math.floor(Math.max(a[0], b[0]) - off));
  const y0 = Math.max(0, Math.ceil(Math.min(a[1], b[1]) - off)), y1 = Math.min(t.height - 1, Math.floor(Math.max(a[1], b[1]) - off));
  for (let y = y0; y <= y1; y++) if (x0 <= x1) t.data.fill(value, y * t.width + x0, y * t.width + x1 + 1);
}

/** labelme circle: centre point and a point on the rim. */
export function fillCircle(t: RasterTarget, centre: Pt, rim: Pt, value: number, conv: RasterConvention): void {
  const off = conv.centreOffset;
  const [cx, cy] = centre;
  const r2 = (rim[0] - cx) ** 2 + (rim[1] - cy) ** 2;
  const r = Math.sqrt(r2);
  const y0 = Math.max(0, Math.ceil(cy - r - off)), y1 = Math.min(t.height - 1, Math.floor(cy + r - off));
  for (let y = y0; y <= y1; y++) {
    const dy = y + off - cy;
    const half = Math.sqrt(Math.max(0, r2 - dy * dy));
    const x0 = Math.max(0, Math.ceil(cx - half - off)), x1 = Math.min(t.width - 1, Math.floor(cx + half - off));
    if (x0 <= x1) t.data.fill(value, y * t.width + x0, y * t.width + x1 + 1);
  }
}
