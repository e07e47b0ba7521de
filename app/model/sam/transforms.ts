// SAM pre/post-processing (reference `utils/transforms.py` ResizeLongestSide and
// `Sam.preprocess`/`postprocess_masks`). The longest-side resize reproduces what the reference
// does (torchvision → PIL bilinear, which antialiases when shrinking, 8-bit fixed point).
import { resizeBilinearTorch, tf } from '../nn.js';

export interface RgbImage {
  /** Interleaved RGB, 8-bit, row-major: length width·height·3. */
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** (h, w) after scaling the longest side to `s` (reference get_preprocess_shape). */
export function preprocessShape(h: number, w: number, s: number): [number, number] {
  const scale = s / Math.max(h, w);
  return [Math.trunc(h * scale + 0.5), Math.trunc(w * scale + 0.5)];
}

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's precompute_coeffs for the bilinear (triangle) filter + 8-bit normalisation. */
function pilCoeffs(inSize: number, outSize: number): { bounds: Int32Array; kk: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const wgt = t < 1 ? 1 - t : 0;
      pre[x] = wgt;
      ww += wgt;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax && ww !== 0 ? pre[x] / ww : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

function clip8(v: number): number {
  if (v >= 2 ** (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / 2 ** PRECISION_BITS);
}

/** One separable pass of PIL's 8-bit resampling along x (horizontal) or y. */
function resamplePass(src: Uint8Array, w: number, h: number, outSize: number, horizontal: boolean): Uint8Array {
  const inSize = horizontal ? w : h;
  const { bounds, kk, ksize } = pilCoeffs(inSize, outSize);
  const ow = horizontal ? outSize : w;
  const oh = horizontal ? h : outSize;
  const out = new Uint8Array(ow * oh * 3);
  const half = 2 ** (PRECISION_BITS - 1);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const o = horizontal ? x : y;
      const xmin = bounds[o * 2];
      const xmax = bounds[o * 2 + 1];
      for (let c = 0; c < 3; c++) {
        let acc = half;
        for (let t = 0; t < xmax; t++) {
          const sx = horizontal ? xmin + t : x;
          const sy = horizontal ? y : xmin + t;
          acc += src[(sy * w + sx) * 3 + c] * kk[o * ksize + t];
        }
        out[(y * ow + x) * 3 + c] = clip8(acc);
      }
    }
  }
  return out;
}

/** PIL `Image.resize((w, h), BILINEAR)` on 8-bit RGB (horizontal pass, then vertical). */
export function resizeRgbPil(img: RgbImage, width: number, height: number): RgbImage {
  let data: Uint8Array = Uint8Array.from(img.data);
  let w = img.width;
  if (width !== img.width) {
    data = resamplePass(data, img.width, img.height, width, true);
    w = width;
  }
  if (height !== img.height) data = resamplePass(data, w, img.height, height, false);
  return { data, width, height };
}

/** Resize longest side to S (PIL bilinear), normalise, zero-pad bottom/right → (1, S, S, 3). */
export function preprocessImage(img: RgbImage, s: number, pixelMean: readonly number[], pixelStd: readonly number[]): { input: tf.Tensor4D; inputSize: [number, number] } {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`image data has ${img.data.length} bytes, expected ${img.width}×${img.height}×3`);
  const [h, w] = preprocessShape(img.height, img.width, s);
  const resized = h === img.height && w === img.width ? img : resizeRgbPil(img, w, h);
  const out = new Float32Array(s * s * 3);
  const mean = Float32Array.from(pixelMean);
  const std = Float32Array.from(pixelStd);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const o = (y * s + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.fround(Math.fround(resized.data[i + c] - mean[c]) / std[c]);
    }
  }
  return { input: tf.tensor4d(out, [1, s, s, 3]), inputSize: [h, w] };
}

/** Original-image (x, y) → input frame, per the reference apply_coords. */
export function transformCoords(points: number[][], original: [number, number], s: number): number[][] {
  const [oh, ow] = original;
  const [nh, nw] = preprocessShape(oh, ow, s);
  return points.map(([x, y]) => [x * (nw / ow), y * (nh / oh)]);
}

export function transformBox(box: number[], original: [number, number], s: number): number[] {
  const [a, b] = transformCoords([box.slice(0, 2), box.slice(2, 4)], original, s);
  return [...a, ...b];
}

/**
 * Low-res mask logits (B, M, h, w) → logits at the original size (B, M, H, W): bilinear to S×S,
 * crop the padding, bilinear to the original size.
 */
export function postprocessMasks(masks: tf.Tensor4D, inputSize: [number, number], original: [number, number], s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, m] = masks.shape;
    const nhwc = masks.transpose([0, 2, 3, 1]) as tf.Tensor4D;
    const full = resizeBilinearTorch(nhwc, [s, s]);
    const cropped = tf.slice(full, [0, 0, 0, 0], [b, inputSize[0], inputSize[1], m]);
    return resizeBilinearTorch(cropped, original).transpose([0, 3, 1, 2]) as tf.Tensor4D;
  });
}
