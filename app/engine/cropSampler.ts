// Defect-aware S×S crop sampling for tiled training (pure; the pixels are cut by dataPipeline).
// A share of the crops is centred on a defect pixel: the class is drawn uniformly among the defect
// classes the training set contains — so a class with few pixels gets as many crops as a common
// one (rare classes oversampled) — then an image containing it, then one of its pixels. The other
// crops sit at a random place of the batch's own image (from the epoch order), so defect-free
// images and background context are seen too.
import { Rng } from '../tensor/random.js';
import type { TileRect } from './tiling.js';

export interface LabelledImage {
  /** The image the crops are cut from (tiling resolution). */
  resized: { width: number; height: number };
  /** Class-index label at that resolution. */
  resizedLabel: Uint8Array;
}

export interface CropIndex {
  /** Defect classes (> 0) present in the training labels, ascending. */
  classes: number[];
  /** Per class: indices of the images containing it. */
  imagesWithClass: Map<number, number[]>;
  /** Per image: pixel count per class value (256 entries). */
  counts: Uint32Array[];
}

export function buildCropIndex(images: readonly LabelledImage[]): CropIndex {
  const counts = images.map((img) => {
    const c = new Uint32Array(256);
    for (const v of img.resizedLabel) c[v]!++;
    return c;
  });
  const imagesWithClass = new Map<number, number[]>();
  counts.forEach((c, i) => {
    for (let k = 1; k < 256; k++) if (c[k]! > 0) imagesWithClass.set(k, [...(imagesWithClass.get(k) ?? []), i]);
  });
  return { classes: [...imagesWithClass.keys()].sort((a, b) => a - b), imagesWithClass, counts };
}

// One index per training set (the run's samples never change while it trains).
const cache = new WeakMap<readonly LabelledImage[], CropIndex>();

export function cropIndexOf(images: readonly LabelledImage[]): CropIndex {
  let idx = cache.get(images);
  if (!idx) cache.set(images, (idx = buildCropIndex(images)));
  return idx;
}

export interface CropChoice {
  /** Index into the training images. */
  sample: number;
  rect: TileRect;
  /** The class the crop was centred on (null = random crop). */
  centredOn: number | null;
}

/** The k-th (0-based) pixel of class `cls` in row-major order. */
function nthPixel(label: Uint8Array, cls: number, k: number): number {
  for (let i = 0; i < label.length; i++) if (label[i] === cls && k-- === 0) return i;
  throw new Error(`crop sampler: class ${cls} has fewer pixels than counted`);
}

function clampStart(centre: number, tile: number, length: number): number {
  return Math.max(0, Math.min(length - Math.min(tile, length), centre - Math.floor(tile / 2)));
}

/**
 * One crop per image of `batch` (objects from `images`). `defectShare` of them, on average,
 * centred on a defect pixel (when the training set has any); the rest random in the batch's image.
 */
export function chooseCrops(index: CropIndex, images: readonly LabelledImage[], batch: readonly LabelledImage[], opts: { tile: number; defectShare: number }, seed: number): CropChoice[] {
  const rng = new Rng(seed);
  return batch.map((own) => {
    const defect = rng.next() < opts.defectShare && index.classes.length > 0;
    if (defect) {
      const cls = index.classes[rng.int(index.classes.length)]!;
      const holders = index.imagesWithClass.get(cls)!;
      const sample = holders[rng.int(holders.length)]!;
      const img = images[sample]!;
      const p = nthPixel(img.resizedLabel, cls, rng.int(index.counts[sample]![cls]!));
      const W = img.resized.width;
      const H = img.resized.height;
      const x = clampStart(p % W, opts.tile, W);
      const y = clampStart(Math.floor(p / W), opts.tile, H);
      return { sample, rect: { x, y, w: Math.min(opts.tile, W), h: Math.min(opts.tile, H) }, centredOn: cls };
    }
    const sample = images.indexOf(own);
    if (sample < 0) throw new Error('crop sampler: a batch image is not one of the training images');
    const W = own.resized.width;
    const H = own.resized.height;
    const x = rng.int(Math.max(0, W - opts.tile) + 1);
    const y = rng.int(Math.max(0, H - opts.tile) + 1);
    return { sample, rect: { x, y, w: Math.min(opts.tile, W), h: Math.min(opts.tile, H) }, centredOn: null };
  });
}
