// One class of a mask → COCO polygons that pycocotools (cocoPolygonRle.ts) rasterises back to
// exactly those pixels. The rings run along pixel edges (corner coordinates), which pycocotools
// samples at pixel centres. COCO unions an annotation's polygons, so a class with holes cannot be
// polygons: then, or if the check by rasterising finds any difference (or the boundary is too
// long to check, see MAX_POLYGON_STEPS), the caller keeps RLE.
import { traceRings } from './maskPolygons.js';
import { paintCocoPolygons } from './cocoPolygonRle.js';
import { ShapeError } from './raster.js';

/** Flat [x0, y0, x1, y1, …] polygons for the pixels where mask === value, or null when only RLE is exact. */
export function cocoPolygonsFromMask(mask: Uint8Array, width: number, height: number, value: number): number[][] | null {
  const rings = traceRings(mask, width, height, value);
  if (rings.length === 0 || rings.some((r) => r.area < 0)) return null;
  const polygons = rings.map((r) => r.points.flat());
  const t = { width, height, data: new Uint8Array(width * height) };
  try {
    paintCocoPolygons(t, polygons, 1);
  } catch (err) {
    if (err instanceof ShapeError) return null; // a boundary too long to check cheaply: RLE is exact anyway
    throw err;
  }
  for (let i = 0; i < mask.length; i++) if ((mask[i] === value ? 1 : 0) !== t.data[i]) return null;
  return polygons;
}
