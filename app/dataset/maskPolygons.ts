// Mask → polygons along pixel edges. Each ring runs on the pixel grid's corner lattice (corner
// (x, y) is the top-left corner of pixel (x, y)), so sampling at pixel centres recovers the mask
// exactly. Outer boundaries have positive area, hole boundaries negative.

export interface Ring {
  /** Corner coordinates, closed implicitly, collinear points dropped. */
  points: [number, number][];
  /** Signed shoelace area: > 0 outer boundary, < 0 hole. */
  area: number;
}

// Directions on the lattice: 0 right, 1 down, 2 left, 3 up (y grows downwards).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/** Boundary rings of the pixels where mask === value. Pixels touching only diagonally get separate rings. */
export function traceRings(mask: Uint8Array, width: number, height: number, value: number): Ring[] {
  const W = width + 1;
  // out[v]: bitset of unused directed boundary edges leaving corner v; the region lies to the right.
  const out = new Uint8Array(W * (height + 1));
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] === value;
  let edges = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x] !== value) continue;
      if (!inside(x, y - 1)) { out[y * W + x]! |= 1 << 0; edges++; }
      if (!inside(x + 1, y)) { out[y * W + x + 1]! |= 1 << 1; edges++; }
      if (!inside(x, y + 1)) { out[(y + 1) * W + x + 1]! |= 1 << 2; edges++; }
      if (!inside(x - 1, y)) { out[(y + 1) * W + x]! |= 1 << 3; edges++; }
    }
  }
  const rings: Ring[] = [];
  if (edges === 0) return rings;
  for (let start = 0; start < out.length; start++) {
    while (out[start]) {
      const d0 = 31 - Math.clz32(out[start]! & -out[start]!);
      let d = d0;
      let v = start;
      const pts: [number, number][] = [];
      let prevDir = -1;
      for (;;) {
        out[v]! &= ~(1 << d);
        if (d !== prevDir) pts.push([v % W, Math.floor(v / W)]);
        prevDir = d;
        v = v + DX[d]! + DY[d]! * W;
        // Where two ways lead on, turn right (towards the region) so that diagonal neighbours stay
        // apart. Back at the start, the start edge counts as available: choosing it closes the ring.
        const avail = v === start ? out[v]! | (1 << d0) : out[v]!;
        const right = (d + 1) & 3, straight = d, left = (d + 3) & 3;
        const next = avail & (1 << right) ? right : avail & (1 << straight) ? straight : avail & (1 << left) ? left : -1;
        if (next < 0) throw new Error('mask boundary does not close (internal error)');
        if (v === start && next === d0) break;
        d = next;
      }
      // The ring closes where it started; drop the start point if it is collinear.
      if (pts.length >= 3) {
        const [fx, fy] = pts[0]!, [lx, ly] = pts[pts.length - 1]!, [sx, sy] = pts[1]!;
        if ((lx === fx && fx === sx) || (ly === fy && fy === sy)) pts.shift();
      }
      let area2 = 0;
      for (let i = 0; i < pts.length; i++) {
        const [ax, ay] = pts[i]!, [bx, by] = pts[(i + 1) % pts.length]!;
        area2 += ax * by - bx * ay;
      }
      rings.push({ points: pts, area: area2 / 2 });
    }
  }
  return rings;
}

export interface PaintShape {
  /** Class index, 0 for background (a hole). */
  value: number;
  points: [number, number][];
}

/**
 * Every class's rings as shapes to paint in order (largest first, a hole before an outline of the
 * same size) so that painting each ring's inside with its value rebuilds the mask.
 */
export function maskToShapes(mask: Uint8Array, width: number, height: number): PaintShape[] {
  const present = new Set<number>();
  for (let i = 0; i < mask.length; i++) if (mask[i]) present.add(mask[i]!);
  const all: { value: number; ring: Ring }[] = [];
  for (const value of [...present].sort((a, b) => a - b)) {
    for (const ring of traceRings(mask, width, height, value)) all.push({ value: ring.area > 0 ? value : 0, ring });
  }
  all.sort((a, b) => Math.abs(b.ring.area) - Math.abs(a.ring.area) || a.ring.area - b.ring.area);
  return all.map(({ value, ring }) => ({ value, points: ring.points }));
}
