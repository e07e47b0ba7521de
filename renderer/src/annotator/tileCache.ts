// Which pyramid tiles cover the viewport at the current zoom, and a small cache of loaded tiles.
// Small images are a single tile; an 8000×6000 image loads only what is on screen.
import { TILE_SIZE, tileLevels } from '../../../app/api/apiTypes.js';
import type { View } from './overlayRenderer.js';

export interface TileRef {
  key: string;
  level: number;
  x: number;
  y: number;
  /** Placement in image (level-0) pixels. */
  left: number;
  top: number;
  width: number;
  height: number;
}

function levelDims(w: number, h: number, level: number): { w: number; h: number } {
  return { w: Math.max(1, Math.ceil(w / 2 ** level)), h: Math.max(1, Math.ceil(h / 2 ** level)) };
}

function tilesOfLevel(imageId: number, w: number, h: number, level: number, rect: { x0: number; y0: number; x1: number; y1: number }): TileRef[] {
  const d = levelDims(w, h, level);
  const sx = w / d.w;
  const sy = h / d.h;
  const out: TileRef[] = [];
  const tx0 = Math.max(0, Math.floor(rect.x0 / sx / TILE_SIZE));
  const ty0 = Math.max(0, Math.floor(rect.y0 / sy / TILE_SIZE));
  const tx1 = Math.min(Math.ceil(d.w / TILE_SIZE) - 1, Math.floor(rect.x1 / sx / TILE_SIZE));
  const ty1 = Math.min(Math.ceil(d.h / TILE_SIZE) - 1, Math.floor(rect.y1 / sy / TILE_SIZE));
  for (let y = ty0; y <= ty1; y++) {
    for (let x = tx0; x <= tx1; x++) {
      const tw = Math.min(TILE_SIZE, d.w - x * TILE_SIZE);
      const th = Math.min(TILE_SIZE, d.h - y * TILE_SIZE);
      out.push({ key: `${imageId}/${level}/${x}/${y}`, level, x, y, left: x * TILE_SIZE * sx, top: y * TILE_SIZE * sy, width: tw * sx, height: th * sy });
    }
  }
  return out;
}

/** Tiles to draw, coarsest first: the whole-image overview, then the level that suits the zoom. */
export function visibleTiles(imageId: number, w: number, h: number, view: View, viewW: number, viewH: number): TileRef[] {
  const levels = tileLevels(w, h);
  const rect = { x0: -view.tx / view.scale, y0: -view.ty / view.scale, x1: (viewW - view.tx) / view.scale, y1: (viewH - view.ty) / view.scale };
  const coarsest = levels - 1;
  const wanted = Math.max(0, Math.min(coarsest, Math.floor(Math.log2(1 / view.scale))));
  const out = tilesOfLevel(imageId, w, h, coarsest, { x0: 0, y0: 0, x1: w, y1: h });
  if (wanted < coarsest) out.push(...tilesOfLevel(imageId, w, h, wanted, rect));
  return out;
}

export class TileCache {
  private readonly images = new Map<string, HTMLImageElement>();
  constructor(
    private readonly url: (t: TileRef) => string,
    private readonly onLoad: () => void,
    private readonly max = 96,
  ) {}

  /** The loaded image of a tile, or null while it loads (starts loading it). */
  get(t: TileRef): HTMLImageElement | null {
    let img = this.images.get(t.key);
    if (img) {
      this.images.delete(t.key);
      this.images.set(t.key, img);
      return img.complete && img.naturalWidth > 0 ? img : null;
    }
    img = new Image();
    img.decoding = 'async';
    img.onload = () => this.onLoad();
    img.src = this.url(t);
    this.images.set(t.key, img);
    while (this.images.size > this.max) {
      const oldest = this.images.keys().next().value as string;
      this.images.delete(oldest);
    }
    return null;
  }

  clear(): void {
    this.images.clear();
  }
}
