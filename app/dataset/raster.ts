// Checks shared by the polygon importers (COCO, labelme) before a shape reaches its tool's own
// rasteriser (cocoPolygonRle.ts, labelmeRaster.ts).

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
