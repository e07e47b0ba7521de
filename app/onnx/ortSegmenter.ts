// Semantic segmentation of whole images (batch segmentation, "Predict" pre-annotation) through an
// exported PA-SAM on ONNX Runtime, or through the tfjs model: one interface, class maps at the
// original resolution. The logits → class-map step is the engine's own (classMapsFromLogits), so
// both engines post-process identically.
import { tf } from '../tensor/tf.js';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { RgbImage } from '../model/sam/transforms.js';
import { classMapsFromLogits } from '../metrics/evaluateLogits.js';
import { preprocessImage, preprocessShape, resizeRgbPil } from '../model/sam/transforms.js';
import { readModelCard, type ModelCard } from './modelCard.js';
import { openOrtSession } from './ortSession.js';
import { preprocessNchw } from './ortSamPredictor.js';
import type { TilingSpec } from '../engine/tiling.js';
import { segmentTiledBy, segmentTiledTf, type TiledPrediction } from '../engine/tiledInference.js';
import { resizeForTiling } from '../engine/dataPipeline.js';

export interface SegmentationEngine {
  readonly engine: 'onnxruntime' | 'tfjs';
  readonly inputSize: number;
  /** K+1 (background included). */
  readonly numClasses: number;
  /** Images (or tiles) per call to the model. */
  readonly batchSize: number;
  /** Tiled inference (app/engine/tiling.ts), or null for the whole image resized to S. */
  readonly tiling: TilingSpec | null;
  /** Class-index maps (row-major H×W) at each image's original size. */
  segment(images: readonly RgbImage[]): Promise<Uint8Array[]>;
  dispose(): void;
}

/** Images per ONNX Runtime call: enough to amortise the call, small enough to bound memory. */
export const DEFAULT_BATCH = 4;

function toResized(img: RgbImage, s: number): RgbImage {
  const [h, w] = preprocessShape(img.height, img.width, s);
  return h === img.height && w === img.width ? img : resizeRgbPil(img, w, h);
}

export class OrtSegmenter implements SegmentationEngine {
  readonly engine = 'onnxruntime' as const;

  private constructor(
    readonly card: ModelCard,
    private readonly session: ort.InferenceSession,
    readonly batchSize: number,
  ) {}

  /** Opens an exported PA-SAM folder (model.json + model.onnx). */
  static async open(dir: string, opts: { batchSize?: number } = {}): Promise<OrtSegmenter> {
    const card = readModelCard(join(dir, 'model.json'));
    if (card.kind !== 'pasam' || !card.files.model) throw new Error(`${join(dir, 'model.json')}: not an exported PA-SAM (kind '${card.kind}')`);
    const session = await openOrtSession(join(dir, card.files.model));
    return new OrtSegmenter(card, session, Math.max(1, opts.batchSize ?? DEFAULT_BATCH));
  }

  get inputSize(): number {
    return this.card.preprocessing.inputSize;
  }
  get tiling(): TilingSpec | null {
    const t = this.card.tiling;
    return t ? { tile: t.tile, overlap: t.overlap, scale: t.scale } : null;
  }
  get numClasses(): number {
    return this.card.classes.length;
  }

  /** Raw class logits (B, K+1, S/4, S/4) NCHW for a batch of images. */
  async logits(images: readonly RgbImage[]): Promise<ort.Tensor> {
    const s = this.inputSize;
    const { mean, std } = this.card.preprocessing.normalize;
    const per = 3 * s * s;
    const batch = new Float32Array(images.length * per);
    images.forEach((img, i) => batch.set(preprocessNchw(img, s, mean, std).data, i * per));
    const out = await this.session.run({ image: new ort.Tensor('float32', batch, [images.length, 3, s, s]) });
    return out.logits!;
  }

  /** The same logits as a (B, S/4, S/4, K+1) tfjs tensor, the layout the tiling blender and class maps read. */
  private async logitsNhwc(images: readonly RgbImage[]): Promise<tf.Tensor4D> {
    const logits = await this.logits(images);
    const [b, k, h, w] = logits.dims as [number, number, number, number];
    return tf.tidy(() => tf.tensor4d(logits.data as Float32Array, [b, k, h, w]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
  }

  /** One image tiled as the card states: tiles through ONNX Runtime, blended by the engine's TileBlender. */
  async predictTiled(img: RgbImage): Promise<TiledPrediction> {
    const spec = this.tiling;
    if (!spec) throw new Error(`${this.card.name}: the model card states no tiling`);
    const tilingImage = resizeForTiling(img, spec);
    return segmentTiledBy((crops) => this.logitsNhwc(crops), this.inputSize, this.numClasses, tilingImage, img, spec, this.batchSize);
  }

  async segment(images: readonly RgbImage[]): Promise<Uint8Array[]> {
    const maps: Uint8Array[] = [];
    if (this.tiling) {
      for (const img of images) maps.push((await this.predictTiled(img)).map);
      return maps;
    }
    for (let i = 0; i < images.length; i += this.batchSize) {
      const chunk = images.slice(i, i + this.batchSize);
      const nhwc = await this.logitsNhwc(chunk);
      try {
        maps.push(...classMapsFromLogits(nhwc, this.inputSize, chunk.map((img) => ({ width: img.width, height: img.height }))));
      } finally {
        nhwc.dispose();
      }
    }
    return maps;
  }

  dispose(): void {
    // The session stays cached in ortSession (shared by every user of the same file).
  }
}

/** The tfjs model behind the same interface (the fallback, and the engine for unexported runs). */
export class TfjsSegmenter implements SegmentationEngine {
  readonly engine = 'tfjs' as const;
  constructor(
    readonly model: TrainableSegmenter,
    readonly batchSize = DEFAULT_BATCH,
    readonly tiling: TilingSpec | null = null,
  ) {}

  /** One image tiled as the run trained (the engine's tiled driver). */
  async predictTiled(img: RgbImage): Promise<TiledPrediction> {
    if (!this.tiling) throw new Error('this model was not trained tiled');
    return segmentTiledTf(this.model, resizeForTiling(img, this.tiling), img, this.tiling, this.batchSize);
  }

  get inputSize(): number {
    return this.model.describe().inputSize;
  }
  get numClasses(): number {
    return this.model.describe().numClasses;
  }

  async segment(images: readonly RgbImage[]): Promise<Uint8Array[]> {
    const d = this.model.describe();
    const maps: Uint8Array[] = [];
    if (this.tiling) {
      for (const img of images) maps.push((await this.predictTiled(img)).map);
      return maps;
    }
    for (let i = 0; i < images.length; i += this.batchSize) {
      const chunk = images.slice(i, i + this.batchSize);
      const parts = chunk.map((img) => preprocessImage(toResized(img, d.inputSize), d.inputSize, d.pixelMean, d.pixelStd).input);
      const x = parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor4D);
      if (parts.length > 1) tf.dispose(parts);
      try {
        const logits = tf.tidy(() => this.model.forward(x, { training: false }));
        try {
          maps.push(...classMapsFromLogits(logits, d.inputSize, chunk.map((img) => ({ width: img.width, height: img.height }))));
        } finally {
          logits.dispose();
        }
      } finally {
        x.dispose();
      }
    }
    return maps;
  }

  dispose(): void {
    this.model.dispose();
  }
}
