// Training data of one run: each image with its LATEST mask version (or, on resume, exactly the
// versions the run recorded), resized once (longest side → S; with tiling, to its tiling
// resolution, see tiling.ts) and kept in memory as 8-bit pixels plus the class-index label at full
// resolution. Batches are normalised, padded and given labels on the logits grid on demand; with
// tiling, each micro-batch is S×S crops chosen by the crop sampler (cropSampler.ts).
import { tf } from '../tensor/tf.js';
import type { ProjectStore } from '../store/projectStore.js';
import type { Split } from '../store/storeTypes.js';
import { groundTruthIds } from '../dataset/groundTruth.js';
import { decodeImageRgb } from '../images/imageIO.js';
import { preprocessImage, preprocessShape, resizeRgbPil, type RgbImage } from '../model/sam/transforms.js';
import { augmentSample, type AugmentOptions } from './augment.js';
import { Rng } from '../tensor/random.js';
import type { AugmentationConfig, TrainConfig } from './trainConfig.js';
import { tilingResolution, type TilingSpec } from './tiling.js';
import { chooseCrops, cropIndexOf } from './cropSampler.js';
import { cropRgb, cropMap } from './tiling.js';

export interface Sample {
  imageId: number;
  maskVersionId: number;
  name: string;
  /** Original size. */
  width: number;
  height: number;
  /**
   * Longest side resized to S (8-bit RGB, unpadded); with tiling, the image at its tiling
   * resolution (original × scale, see tiling.ts), from which crops and tiles are cut.
   */
  resized: RgbImage;
  /** How the model is applied to this image (null/absent = whole image resized to S). */
  tiling?: TilingSpec | null;
  /** Class-index label at the original resolution, row-major (evaluation). */
  label: Uint8Array;
  /** The label resized (nearest) to the resized image's size (training). */
  resizedLabel: Uint8Array;
}

/** What a training batch is built from (an augmented view of a Sample). */
export interface TrainView {
  resized: RgbImage;
  resizedLabel: Uint8Array;
}

export interface UsedMask {
  maskVersionId: number;
  split: Split;
}

export interface RunData {
  train: Sample[];
  val: Sample[];
  /** Where the validation images came from. */
  valSource: 'val' | 'held-out' | 'train';
  /** Every mask version the run uses, with the role it plays ('val' for held-out train images). */
  used: UsedMask[];
}

/** Loads one image of the project (pixels from the content store) resized for input side `s` (or to its tiling resolution). */
export async function loadResized(store: ProjectStore, imageId: number, s: number, tiling: TilingSpec | null = null): Promise<{ resized: RgbImage; width: number; height: number; name: string }> {
  const rec = store.getImage(imageId);
  if (!rec) throw new Error(`no image with id ${imageId}`);
  const decoded = await decodeImageRgb(store.readImageBytes(rec), store.imagePath(rec));
  if (decoded.width !== rec.width || decoded.height !== rec.height) throw new Error(`${store.imagePath(rec)}: decoded as ${decoded.width}×${decoded.height}, the project says ${rec.width}×${rec.height}`);
  return { resized: tiling ? resizeForTiling(decoded, tiling) : resizeForInput(decoded, s), width: rec.width, height: rec.height, name: rec.originalName };
}

/** The image at its tiling resolution (a copy only when the size changes). */
export function resizeForTiling(img: RgbImage, spec: TilingSpec): RgbImage {
  const r = tilingResolution(img.width, img.height, spec);
  return r.width === img.width && r.height === img.height ? img : resizeRgbPil(img, r.width, r.height);
}

/** Longest side → s (PIL bilinear, as SAM's ResizeLongestSide). */
export function resizeForInput(img: RgbImage, s: number): RgbImage {
  const [h, w] = preprocessShape(img.height, img.width, s);
  return h === img.height && w === img.width ? img : resizeRgbPil(img, w, h);
}

async function loadSample(store: ProjectStore, maskVersionId: number, s: number, tiling: TilingSpec | null): Promise<Sample> {
  const mv = store.getMaskVersion(maskVersionId);
  if (!mv) throw new Error(`mask version ${maskVersionId} no longer exists`);
  const img = await loadResized(store, mv.imageId, s, tiling);
  const label = store.readMask(mv);
  if (label.length !== img.width * img.height) throw new Error(`mask version ${mv.id} of ${img.name} has ${label.length} values, expected ${img.width}×${img.height}`);
  const resizedLabel = resizeLabelNearest(label, img.width, img.height, img.resized.width, img.resized.height);
  return { imageId: mv.imageId, maskVersionId: mv.id, name: img.name, width: img.width, height: img.height, resized: img.resized, label, resizedLabel, tiling };
}

/** Nearest-neighbour resize of a class-index map (pixel centres, as PyTorch 'nearest-exact'). */
export function resizeLabelNearest(label: Uint8Array, w: number, h: number, ow: number, oh: number): Uint8Array {
  if (ow === w && oh === h) return label;
  const out = new Uint8Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) out[y * ow + x] = label[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow))]!;
  }
  return out;
}

/** A 32-bit seed from several integers (a run seed, an epoch, a batch index...). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 12)) >>> 0;
  }
  return h;
}

/** Seeded augmentation of a micro-batch (flips/rot90 on image and label alike, photometric on the image). */
export function augmentBatch(samples: readonly Sample[], aug: AugmentationConfig, seed: number): TrainView[] {
  const off = !aug.hflip && !aug.vflip && !aug.rot90 && aug.brightness === 0 && aug.contrast === 0;
  if (off) return samples.map((s) => ({ resized: s.resized, resizedLabel: s.resizedLabel }));
  const rng = new Rng(seed);
  const opts: AugmentOptions = { ...aug, maxValue: 255 };
  return samples.map((s) => {
    const a = augmentSample({ image: s.resized.data as Uint8Array, mask: s.resizedLabel, width: s.resized.width, height: s.resized.height, channels: 3 }, rng, opts);
    return { resized: { data: a.image, width: a.width, height: a.height }, resizedLabel: a.mask };
  });
}

/**
 * The training views of one micro-batch: whole images (tileSize 0, exactly as before tiling
 * existed), or S×S crops chosen by the crop sampler (defect-centred or random) — then the same
 * seeded augmentation per view. Deterministic in (config, data, seed = mix(seed, epoch, batch)).
 */
export function trainBatchViews(data: RunData, batch: readonly Sample[], config: TrainConfig, seed: number): TrainView[] {
  if (!config.tileSize) return augmentBatch(batch, config.augmentation, seed);
  const index = cropIndexOf(data.train);
  const crops = chooseCrops(index, data.train, batch, { tile: config.tileSize, defectShare: config.defectCropShare }, mixSeed(seed, 0xc409));
  const views = crops.map((c) => {
    const s = data.train[c.sample]!;
    return { ...s, resized: cropRgb(s.resized, c.rect), resizedLabel: cropMap(s.resizedLabel, s.resized.width, c.rect) };
  });
  return augmentBatch(views, config.augmentation, seed);
}

/** Seeded shuffle (copy). */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  return new Rng(seed).shuffle([...items]);
}

/**
 * Chooses the mask versions a new run trains and validates on: the ground-truth version
 * (groundTruthMask) of every annotated `train` image; validation = `val` images, else a seeded share of `train` held out,
 * else (valFraction 0) the training images themselves.
 */
export function chooseRunMasks(store: ProjectStore, opts: { seed: number; valFraction: number }): { used: UsedMask[]; valSource: RunData['valSource'] } {
  const train = groundTruthIds(store, 'train');
  if (train.length === 0) throw new Error("the project has no annotated images in the 'train' split");
  const val = groundTruthIds(store, 'val');
  if (val.length > 0) return { used: [...train.map((id) => ({ maskVersionId: id, split: 'train' as Split })), ...val.map((id) => ({ maskVersionId: id, split: 'val' as Split }))], valSource: 'val' };
  if (opts.valFraction === 0 || train.length < 2) return { used: train.map((id) => ({ maskVersionId: id, split: 'train' as Split })), valSource: 'train' };
  const nVal = Math.min(train.length - 1, Math.max(1, Math.round(train.length * opts.valFraction)));
  const held = new Set(seededShuffle(train, opts.seed ^ 0x5eed).slice(0, nVal));
  return { used: train.map((id) => ({ maskVersionId: id, split: (held.has(id) ? 'val' : 'train') as Split })), valSource: 'held-out' };
}

/** Loads the samples of a run's mask versions (in the recorded order). */
export async function loadRunData(store: ProjectStore, used: UsedMask[], valSource: RunData['valSource'], s: number, tiling: TilingSpec | null = null): Promise<RunData> {
  const train: Sample[] = [];
  const val: Sample[] = [];
  for (const u of used) {
    const sample = await loadSample(store, u.maskVersionId, s, tiling);
    (u.split === 'val' ? val : train).push(sample);
  }
  return { train, val: valSource === 'train' ? train : val, valSource, used };
}

/** Loads the ground-truth samples of one split (for evaluation). */
export async function loadSplit(store: ProjectStore, split: Split, s: number, tiling: TilingSpec | null = null): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const id of groundTruthIds(store, split)) out.push(await loadSample(store, id, s, tiling));
  return out;
}

/**
 * Nearest label on a `grid`×`grid` map covering the padded S×S input, read from the label at the
 * resized image's size (cell centres); cells over the padding are background.
 */
export function labelOnGrid(resizedLabel: Uint8Array, rw: number, rh: number, s: number, grid: number, out = new Uint8Array(grid * grid)): Uint8Array {
  const cell = s / grid;
  for (let gy = 0; gy < grid; gy++) {
    const y = Math.floor((gy + 0.5) * cell);
    for (let gx = 0; gx < grid; gx++) {
      const x = Math.floor((gx + 0.5) * cell);
      out[gy * grid + gx] = y < rh && x < rw ? resizedLabel[y * rw + x]! : 0;
    }
  }
  return out;
}

/** Stacks resized images into an input batch (B, S, S, 3): normalised, zero-padded (SAM preprocessing). */
export function inputBatch(samples: readonly { resized: RgbImage }[], s: number, mean: readonly number[], std: readonly number[]): tf.Tensor4D {
  const parts = samples.map((smp) => preprocessImage(smp.resized, s, mean, std).input);
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, 0);
  parts.forEach((p) => p.dispose());
  return out;
}

/** Stacks labels on a grid into (B, grid, grid) int32. */
export function labelBatch(views: readonly TrainView[], s: number, grid: number): tf.Tensor3D {
  const per = grid * grid;
  const buf = new Int32Array(views.length * per);
  const tmp = new Uint8Array(per);
  views.forEach((v, i) => {
    labelOnGrid(v.resizedLabel, v.resized.width, v.resized.height, s, grid, tmp);
    buf.set(tmp, i * per);
  });
  return tf.tensor3d(buf, [views.length, grid, grid], 'int32');
}
