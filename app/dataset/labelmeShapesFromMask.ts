// Mask → labelme shapes that labelme's own rasteriser (labelmeRaster.ts) paints back to exactly
// the same pixels. Each boundary ring is moved half a pixel towards the pixels it paints, which puts
// its vertices on the centres of the boundary pixels (labelme/PIL coordinates: pixel x at x); PIL
// fills a polygon with integer vertices including its boundary, so that usually reproduces the
// region. Where PIL's even-odd scan still differs (one-pixel necks and spurs, where the outline
// runs back over itself), the shapes are painted, compared with the mask and the differing pixels
// appended as one-row rectangles, which PIL fills exactly. A ring that collapses to a line becomes a rectangle too. Every edge is
// horizontal or vertical with integer ends, so none of the Pillow rules that changed between
// versions (rounding of slanted crossings, reversed spans, the corner fix-up) comes into play:
// labelme fills these shapes the same with any Pillow.
import { maskToShapes } from './maskPolygons.js';
import { paintLabelmeShape } from './labelmeRaster.js';

export interface LabelmeExportShape {
  /** Class index; 0 paints background ('_background_'). */
  value: number;
  shapeType: 'polygon' | 'rectangle';
  points: [number, number][];
}

/** Unit normal pointing to the right of travel direction (dx, dy) in y-down image coordinates. */
function rightNormal(dx: number, dy: number): [number, number] {
  return [-Math.sign(dy), Math.sign(dx)];
}

/**
 * Corner-lattice ring → pixel-centre polygon: every vertex moved half a pixel along both adjacent
 * edges' normals towards `side` (+1: the right of travel, -1: the left), then shifted so that
 * pixel (x, y)'s centre is (x, y).
 */
function insetRing(points: readonly [number, number][], side: 1 | -1): [number, number][] {
  const n = points.length;
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const [px, py] = points[(i + n - 1) % n]!, [x, y] = points[i]!, [nx, ny] = points[(i + 1) % n]!;
    const [ax, ay] = rightNormal(x - px, y - py), [bx, by] = rightNormal(nx - x, ny - y);
    const q: [number, number] = [x + (side * (ax + bx)) / 2 - 0.5, y + (side * (ay + by)) / 2 - 0.5];
    const last = out[out.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
  }
  while (out.length > 1 && out[0]![0] === out[out.length - 1]![0] && out[0]![1] === out[out.length - 1]![1]) out.pop();
  return out;
}

function toShape(value: number, pts: [number, number][]): LabelmeExportShape {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  // A ring that became a single row or column (or pixel) is a rectangle, which labelme draws exactly.
  if (pts.length < 3 || x0 === x1 || y0 === y1) return { value, shapeType: 'rectangle', points: [[x0, y0], [x1, y1]] };
  return { value, shapeType: 'polygon', points: pts };
}

function paintAll(shapes: readonly LabelmeExportShape[], width: number, height: number): Uint8Array {
  const t = { width, height, data: new Uint8Array(width * height) };
  // Traced from a mask, the shapes' cost is bounded by the mask itself: no complexity limit.
  for (const s of shapes) paintLabelmeShape(t, s.shapeType, s.points, s.value, Infinity);
  return t.data;
}

/** Shapes to paint in order; painted with labelme's rasteriser they give back `mask` pixel for pixel. */
export function labelmeShapesFromMask(mask: Uint8Array, width: number, height: number): LabelmeExportShape[] {
  const shapes = maskToShapes(mask, width, height).map((s) => {
    // Outer rings keep their region on the right; hole rings (value 0) paint the pixels on their left.
    return toShape(s.value, insetRing(s.points, s.value ? 1 : -1));
  });
  const painted = paintAll(shapes, width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; ) {
      const i = y * width + x;
      if (painted[i] === mask[i]) {
        x++;
        continue;
      }
      let end = x;
      while (end + 1 < width && painted[y * width + end + 1] !== mask[y * width + end + 1] && mask[y * width + end + 1] === mask[i]) end++;
      shapes.push({ value: mask[i]!, shapeType: 'rectangle', points: [[x, y], [end, y]] });
      x = end + 1;
    }
  }
  return shapes;
}
