// Tiled inference and training geometry, pure (no tensors, no I/O): the one place that says how a
// large image is cut into S×S tiles, how overlapping tile predictions are weighted, and how they
// are blended into a full-resolution class map. Every inference path (evaluation, Predict,
// pre-annotation, batch segmentation, ONNX Runtime) and the training crop sampler use it, so a
// model is always applied the way it was trained.
//
// Coordinates: the image is first brought to its "tiling resolution" (the original × scale, or
// longest side → S when that would be smaller than one tile, as the whole-image path does); tiles
// are laid on that image; each tile's class probabilities are handed back at the ORIGINAL-image
// region the tile covers, and blended there. Memory stays bounded for a 12 MP image: the blender
// keeps only one band of rows (about one tile high) of K+1 Float32 planes and finalises rows to
// the class map as soon as no later tile can touch them.
import type { RgbImage } from '../model/sam/transforms.js';
import type { TrainConfig } from './trainConfig.js';

export interface TilingSpec {
  /** Tile side in pixels of the tiling-resolution image (= the model's input side S). */
  tile: number;
  /** Pixels shared by neighbouring tiles (0 ≤ overlap ≤ tile/2). */
  overlap: number;
  /** Image scale before tiling (0 < scale ≤ 1; 1 = native resolution). */
  scale: number;
}

/** Smallest blend weight: tile borders still count where only one tile covers a pixel. */
export const WINDOW_FLOOR = 0.05;

export interface TileRect {
  /** Top-left and size in the tiling-resolution image. */
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A run's tiling (null = whole-image resize, also for configs written before tiling existed). */
export function tilingOf(config: Partial<Pick<TrainConfig, 'tileSize' | 'tileOverlap' | 'tileScale'>>): TilingSpec | null {
  if (!config.tileSize) return null;
  return { tile: config.tileSize, overlap: config.tileOverlap ?? 0, scale: config.tileScale ?? 1 };
}

export function checkTilingSpec(spec: TilingSpec): void {
  if (!Number.isInteger(spec.tile) || spec.tile < 16) throw new Error(`tiling: tile must be an integer ≥ 16, got ${spec.tile}`);
  if (!Number.isInteger(spec.overlap) || spec.overlap < 0 || spec.overlap > spec.tile / 2) throw new Error(`tiling: overlap must be an integer in [0, ${spec.tile / 2}] (at most half the tile), got ${spec.overlap}`);
  if (!(spec.scale > 0 && spec.scale <= 1)) throw new Error(`tiling: scale must be in (0, 1], got ${spec.scale}`);
}

/**
 * Size of the image the tiles are laid on: original × scale (rounded), or, when its longest side
 * would be under one tile, longest side → tile (SAM's ResizeLongestSide, int(x·s + 0.5)).
 */
export function tilingResolution(width: number, height: number, spec: TilingSpec): { width: number; height: number } {
  if (!(width > 0 && height > 0)) throw new Error(`tiling: bad image size ${width}×${height}`);
  let w = Math.max(1, Math.round(width * spec.scale));
  let h = Math.max(1, Math.round(height * spec.scale));
  if (Math.max(w, h) < spec.tile) {
    const s = spec.tile / Math.max(width, height);
    w = Math.floor(width * s + 0.5);
    h = Math.floor(height * s + 0.5);
  }
  return { width: w, height: h };
}

/** Tile origins along one axis: stride tile − overlap, the last tile flush with the end. */
export function tileStarts(length: number, tile: number, overlap: number): number[] {
  if (length <= tile) return [0];
  const stride = tile - overlap;
  const n = Math.ceil((length - tile) / stride) + 1;
  const out: number[] = [];
  // Spread the tiles evenly so every overlap is at least `overlap` (none is squeezed at the end).
  for (let i = 0; i < n; i++) out.push(Math.round((i * (length - tile)) / (n - 1)));
  return out;
}

/** Row-major tiles covering a width×height tiling-resolution image. */
export function tileGrid(width: number, height: number, spec: TilingSpec): TileRect[] {
  checkTilingSpec(spec);
  const xs = tileStarts(width, spec.tile, spec.overlap);
  const ys = tileStarts(height, spec.tile, spec.overlap);
  const out: TileRect[] = [];
  for (const y of ys) for (const x of xs) out.push({ x, y, w: Math.min(spec.tile, width - x), h: Math.min(spec.tile, height - y) });
  return out;
}

/**
 * 1-D blend weights for `n` pixels of a tile whose edges are shared over `ramp` pixels: a raised
 * cosine (Hann half-window) rising from WINDOW_FLOOR at the edge to 1 at `ramp` pixels in, flat
 * in the middle. Blended maps are divided by the summed weights, so the window only decides who
 * wins near seams (the tile centre, where the model saw context), never the overall level.
 */
export function blendWindow(n: number, ramp: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = Math.min(i + 0.5, n - i - 0.5);
    const t = ramp <= 0 ? 1 : Math.min(1, d / ramp);
    out[i] = WINDOW_FLOOR + (1 - WINDOW_FLOOR) * Math.sin((Math.PI / 2) * t) ** 2;
  }
  return out;
}

/** Copies a tile's pixels out of an RGB image. */
export function cropRgb(img: RgbImage, r: TileRect): RgbImage {
  if (r.x < 0 || r.y < 0 || r.x + r.w > img.width || r.y + r.h > img.height) throw new Error(`cropRgb: ${r.w}×${r.h} at (${r.x}, ${r.y}) is outside the ${img.width}×${img.height} image`);
  const data = new Uint8Array(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) data.set(img.data.subarray(((r.y + y) * img.width + r.x) * 3, ((r.y + y) * img.width + r.x + r.w) * 3), y * r.w * 3);
  return { data, width: r.w, height: r.h };
}

/** Copies a tile out of a one-byte-per-pixel map (a class-index label). */
export function cropMap(map: Uint8Array, width: number, r: TileRect): Uint8Array {
  const out = new Uint8Array(r.w * r.h);
  for (let y = 0; y < r.h; y++) out.set(map.subarray((r.y + y) * width + r.x, (r.y + y) * width + r.x + r.w), y * r.w);
  return out;
}

/** Where a tile lands in the original image: [x0, x1) × [y0, y1). */
export interface OriginalRegion {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Blends tile probabilities into a class map of the original image. Tiles must be added in the
 * grid's row-major order (rows are finalised as the tiles move down).
 */
export class TileBlender {
  readonly tiles: TileRect[];
  private readonly bandHeight: number;
  private readonly acc: Float32Array;
  private readonly weight: Float32Array;
  private bandTop = 0;
  private readonly out: Uint8Array;
  private next = 0;
  private confDefect = 0;
  private nDefect = 0;
  private confAll = 0;

  /**
   * @param width, height  the original image
   * @param tilingWidth, tilingHeight  the tiling-resolution image (see tilingResolution)
   * @param numClasses  K+1
   */
  constructor(
    readonly width: number,
    readonly height: number,
    readonly tilingWidth: number,
    readonly tilingHeight: number,
    readonly numClasses: number,
    readonly spec: TilingSpec,
  ) {
    if (numClasses > 256) throw new Error(`TileBlender: ${numClasses} classes do not fit a byte map`);
    this.tiles = tileGrid(tilingWidth, tilingHeight, spec);
    this.bandHeight = Math.ceil((spec.tile * height) / tilingHeight) + 2;
    this.acc = new Float32Array(this.bandHeight * width * numClasses);
    this.weight = new Float32Array(this.bandHeight * width);
    this.out = new Uint8Array(width * height);
  }

  /** The original-image region of tile `t`. */
  region(t: TileRect): OriginalRegion {
    const mx = (x: number): number => (x >= this.tilingWidth ? this.width : Math.round((x * this.width) / this.tilingWidth));
    const my = (y: number): number => (y >= this.tilingHeight ? this.height : Math.round((y * this.height) / this.tilingHeight));
    return { x0: mx(t.x), y0: my(t.y), x1: mx(t.x + t.w), y1: my(t.y + t.h) };
  }

  /** Tiles not yet added, in groups of up to `n` (for batched model calls). */
  *batches(n: number): Generator<TileRect[]> {
    for (let i = this.next; i < this.tiles.length; i += n) yield this.tiles.slice(i, i + n);
  }

  /**
   * Adds the next tile's class probabilities: (y1−y0)×(x1−x0)×(K+1) values, HWC, over its
   * original region (see region()).
   */
  add(probs: Float32Array): void {
    const t = this.tiles[this.next];
    if (!t) throw new Error('TileBlender: every tile was already added');
    const r = this.region(t);
    const rw = r.x1 - r.x0;
    const rh = r.y1 - r.y0;
    const C = this.numClasses;
    if (probs.length !== rw * rh * C) throw new Error(`TileBlender: tile ${this.next} needs ${rh}×${rw}×${C} probabilities, got ${probs.length}`);
    if (r.y0 > this.bandTop) this.finalise(r.y0);
    if (r.y1 - this.bandTop > this.bandHeight) throw new Error('TileBlender: tile taller than the band (tiles out of order?)');
    // Ramps in original pixels: the overlap measured in tiling pixels, scaled to this region.
    const ramp = this.spec.overlap > 0 ? (this.spec.overlap * this.width) / this.tilingWidth : 0;
    const rampY = this.spec.overlap > 0 ? (this.spec.overlap * this.height) / this.tilingHeight : 0;
    const wx = blendWindow(rw, ramp);
    const wy = blendWindow(rh, rampY);
    for (let y = 0; y < rh; y++) {
      const row = r.y0 + y - this.bandTop;
      for (let x = 0; x < rw; x++) {
        const w = wy[y]! * wx[x]!;
        const p = (row * this.width + r.x0 + x) * C;
        const q = (y * rw + x) * C;
        for (let c = 0; c < C; c++) this.acc[p + c]! += w * probs[q + c]!;
        this.weight[row * this.width + r.x0 + x]! += w;
      }
    }
    this.next++;
  }

  /** The class map (H×W, row-major) once every tile was added. */
  finish(): Uint8Array {
    if (this.next !== this.tiles.length) throw new Error(`TileBlender: ${this.tiles.length - this.next} of ${this.tiles.length} tiles were not added`);
    this.finalise(this.height);
    return this.out;
  }

  /**
   * After finish(): the mean blended max-probability over the pixels predicted as a defect, or
   * over all pixels when there is none (as batch segmentation reports it for whole images).
   */
  confidence(): { meanConfidence: number; confidenceOver: 'defect' | 'all' } {
    return this.nDefect > 0 ? { meanConfidence: this.confDefect / this.nDefect, confidenceOver: 'defect' } : { meanConfidence: this.confAll / (this.width * this.height), confidenceOver: 'all' };
  }

  /** Argmax of the rows [bandTop, upTo), then the band moves down to upTo. */
  private finalise(upTo: number): void {
    const C = this.numClasses;
    const W = this.width;
    const n = upTo - this.bandTop;
    for (let row = 0; row < n; row++) {
      for (let x = 0; x < W; x++) {
        if (this.weight[row * W + x]! <= 0) throw new Error(`TileBlender: pixel (${x}, ${this.bandTop + row}) is covered by no tile`);
        const p = (row * W + x) * C;
        let best = 0;
        let bestV = this.acc[p]!;
        for (let c = 1; c < C; c++) if (this.acc[p + c]! > bestV) (bestV = this.acc[p + c]!), (best = c);
        this.out[(this.bandTop + row) * W + x] = best;
        const conf = bestV / this.weight[row * W + x]!;
        this.confAll += conf;
        if (best > 0) (this.confDefect += conf), this.nDefect++;
      }
    }
    // Shift the remaining rows up and clear the freed tail.
    this.acc.copyWithin(0, n * W * C);
    this.acc.fill(0, (this.bandHeight - n) * W * C);
    this.weight.copyWithin(0, n * W);
    this.weight.fill(0, (this.bandHeight - n) * W);
    this.bandTop = upTo;
  }
}
