// Seeded training augmentation on plain typed arrays: the 8 flips/90° rotations (applied to image
// and class mask alike, exactly, no interpolation) and brightness/contrast jitter (image only).
import type { Rng } from '../tensor/random.js';

/** Interleaved H×W×C pixels (C = 1 grey or 3 RGB) and an H×W class-index mask. */
export interface SegSample<I extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  image: I;
  mask: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export interface AugmentOptions {
  hflip: boolean;
  vflip: boolean;
  rot90: boolean;
  /** Brightness factor drawn from [1 − b, 1 + b] (torchvision ColorJitter: multiply). 0 = off. */
  brightness: number;
  /** Contrast factor drawn from [1 − c, 1 + c], blended with the image's grey mean. 0 = off. */
  contrast: number;
  /** Largest pixel value (255 for 8-bit images); results are clamped to [0, maxValue]. */
  maxValue: number;
}

/** §9 defaults: flips, 90° rotations, brightness/contrast ±10 %. */
export const DEFAULT_AUGMENT: AugmentOptions = { hflip: true, vflip: true, rot90: true, brightness: 0.1, contrast: 0.1, maxValue: 255 };

export interface Geometry {
  flipH: boolean;
  flipV: boolean;
  /** Number of 90° counter-clockwise turns (np.rot90 convention), applied after the flips. */
  turns: 0 | 1 | 2 | 3;
}

/** Applies flips then `turns` counter-clockwise quarter turns to an H×W×C array. */
export function transformGeometry<A extends Uint8Array | Float32Array>(src: A, width: number, height: number, channels: number, g: Geometry): { data: A; width: number; height: number } {
  if (src.length !== width * height * channels) {
    throw new Error(`transformGeometry: ${src.length} values do not make a ${width}×${height}×${channels} array`);
  }
  const odd = g.turns % 2 === 1;
  const ow = odd ? height : width;
  const oh = odd ? width : height;
  const out = new (src.constructor as { new (n: number): A })(src.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // Undo the turns: after a CCW quarter turn of an image of width Win, out(y, x) = in(x, Win − 1 − y),
      // and Win is the rotated image's height.
      let sx = x;
      let sy = y;
      let w = ow;
      let h = oh;
      for (let t = 0; t < g.turns; t++) {
        const px = h - 1 - sy;
        sy = sx;
        sx = px;
        [w, h] = [h, w];
      }
      if (g.flipH) sx = width - 1 - sx;
      if (g.flipV) sy = height - 1 - sy;
      const si = (sy * width + sx) * channels;
      const oi = (y * ow + x) * channels;
      for (let c = 0; c < channels; c++) out[oi + c] = src[si + c];
    }
  }
  return { data: out, width: ow, height: oh };
}

/** Photometric jitter: x·b, then (x − mean)·c + mean with the grey mean of the brightened image. */
export function adjustBrightnessContrast<A extends Uint8Array | Float32Array>(img: A, channels: number, b: number, c: number, maxValue: number): A {
  const out = new (img.constructor as { new (n: number): A })(img.length);
  let mean = 0;
  const n = img.length / channels;
  for (let i = 0; i < n; i++) {
    if (channels >= 3) mean += 0.299 * img[i * channels] + 0.587 * img[i * channels + 1] + 0.114 * img[i * channels + 2];
    else mean += img[i * channels];
  }
  mean = (mean / n) * b;
  const isInt = img instanceof Uint8Array;
  for (let i = 0; i < img.length; i++) {
    let v = (img[i] * b - mean) * c + mean;
    v = v < 0 ? 0 : v > maxValue ? maxValue : v;
    out[i] = isInt ? Math.round(v) : v;
  }
  return out;
}

/**
 * One random augmentation of a sample. Consumes a fixed number of draws from rng (5), so the
 * stream stays aligned whatever options are switched off.
 */
export function augmentSample<S extends SegSample>(s: S, rng: Rng, opts: AugmentOptions = DEFAULT_AUGMENT): S {
  if (s.mask.length !== s.width * s.height) {
    throw new Error(`augmentSample: mask has ${s.mask.length} values, image is ${s.width}×${s.height}`);
  }
  const flipH = rng.bool() && opts.hflip;
  const flipV = rng.bool() && opts.vflip;
  const turnsDraw = rng.int(4);
  const b = 1 + opts.brightness * (2 * rng.next() - 1);
  const c = 1 + opts.contrast * (2 * rng.next() - 1);
  const g: Geometry = { flipH, flipV, turns: (opts.rot90 ? turnsDraw : 0) as Geometry['turns'] };
  const img = transformGeometry(s.image, s.width, s.height, s.channels, g);
  const mask = transformGeometry(s.mask, s.width, s.height, 1, g);
  const image = opts.brightness > 0 || opts.contrast > 0 ? adjustBrightnessContrast(img.data, s.channels, b, c, opts.maxValue) : img.data;
  return { ...s, image, mask: mask.data, width: img.width, height: img.height };
}
