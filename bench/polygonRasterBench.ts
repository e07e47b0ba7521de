// Polygon rasterisation time for the two source-tool rasterisers (labelme = Pillow's fill,
// COCO = pycocotools' rleFrPoly + merge + decode) on million-vertex polygons, in-process.
// Usage: node --import tsx bench/polygonRasterBench.ts [points=1000000]  → JSON on stdout.
import { loadavg } from 'node:os';
import { paintLabelmeShape } from '../app/dataset/labelmeRaster.js';
import { paintCocoPolygons } from '../app/dataset/cocoPolygonRle.js';

const n = Number(process.argv[2] ?? 1_000_000);
const W = 4000, H = 3000;

/** A contour as an annotation tool records it: n vertices on a wobbly ring, a few per boundary pixel. */
function contour(): [number, number][] {
  return Array.from({ length: n }, (_, i) => {
    const a = (i / n) * 2 * Math.PI, r = 1300 + 40 * Math.sin(a * 97) + 3 * Math.sin(a * 5003);
    return [2000 + r * Math.cos(a), 1500 + r * Math.sin(a)] as [number, number];
  });
}

/** A saw-tooth band: n vertices zig-zagging 20 rows up and down across the image. */
function sawtooth(): [number, number][] {
  const half = n / 2;
  const pts: [number, number][] = [];
  for (let i = 0; i < half; i++) pts.push([(i / half) * (W - 1), 1000 + (i % 2) * 20 + 0.3]);
  for (let i = half - 1; i >= 0; i--) pts.push([(i / half) * (W - 1), 1100 + (i % 2) * 20 + 0.7]);
  return pts;
}

/** Wall and user-CPU milliseconds: on a shared machine the CPU time is what the code costs. */
function time(f: () => void): { wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  f();
  return { wallMs: Math.round(performance.now() - t0), cpuMs: Math.round(process.cpuUsage(c0).user / 1000) };
}

const results: Record<string, { labelme: ReturnType<typeof time>; coco: ReturnType<typeof time>; pixels: number }> = {};
for (const [name, make] of [['contour', contour], ['sawtooth', sawtooth]] as const) {
  const pts = make();
  const flat = pts.flat();
  const lm = { width: W, height: H, data: new Uint8Array(W * H) };
  const labelme = time(() => paintLabelmeShape(lm, 'polygon', pts, 1));
  const cc = { width: W, height: H, data: new Uint8Array(W * H) };
  const coco = time(() => paintCocoPolygons(cc, [flat], 1));
  let pixels = 0;
  for (const v of lm.data) pixels += v;
  results[name] = { labelme, coco, pixels };
}
console.log(JSON.stringify({ bench: 'polygon-raster', points: n, image: `${W}x${H}`, node: process.version, loadavg1: Math.round(loadavg()[0]! * 100) / 100, results }, null, 2));
