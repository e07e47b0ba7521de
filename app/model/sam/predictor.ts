// Interactive SAM predictor (reference `predictor.py` SamPredictor): setImage computes (or loads
// from the cache) the image embedding once; predict runs only the prompt encoder and mask decoder.
import { tf } from '../nn.js';
import { createHash } from 'node:crypto';
import type { CachedEmbedding, EmbeddingCache } from './embeddingCache.js';
import type { SamModel } from './samModel.js';
import { postprocessMasks, preprocessImage, transformBox, transformCoords, type RgbImage } from './transforms.js';

export interface SamPrompt {
  /** Points in original-image pixels, [x, y]. */
  points?: number[][];
  /** 1 foreground, 0 background, one per point. */
  labels?: number[];
  /** Box in original-image pixels [x0, y0, x1, y1]. */
  box?: number[];
  /** Low-res mask logits from a previous prediction, (4g)² values (e.g. 256×256 at S=1024). */
  maskInput?: Float32Array;
  /** Three masks (true, the default) or one. */
  multimask?: boolean;
}

export interface SamPrediction {
  /** Per mask: original-size logits, H·W row-major. Threshold > 0 for the mask. */
  maskLogits: Float32Array[];
  /** Per mask: 0/1 at original size. */
  masks: Uint8Array[];
  iouScores: number[];
  /** Per mask: (4g)² low-res logits (feed back as maskInput). */
  lowResLogits: Float32Array[];
  width: number;
  height: number;
  lowResSize: number;
}

export interface PromptEmbeddingArrays {
  /** (1, Ns, C) */
  sparse: Float32Array;
  sparseShape: number[];
  /** (1, g, g, C) NHWC */
  dense: Float32Array;
}

/** 0/1 mask from logits (> 0), as the reference mask_threshold 0.0. */
export function thresholdLogits(logits: Float32Array): Uint8Array {
  const out = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] > 0 ? 1 : 0;
  return out;
}

export function hashRgbImage(img: RgbImage): string {
  return createHash('sha256').update(`${img.width}x${img.height}:`).update(img.data).digest('hex');
}

export class SamPredictor {
  private embedding?: tf.Tensor4D;
  private originalSize: [number, number] = [0, 0];
  private inputSize: [number, number] = [0, 0];

  constructor(
    readonly model: SamModel,
    /** Identifies the weights (library modelId); part of the cache key. */
    readonly modelId: string,
    readonly cache?: EmbeddingCache,
  ) {}

  get hasImage(): boolean {
    return this.embedding !== undefined;
  }

  /** Computes or loads the image embedding. Returns whether it came from the cache (and why it could not be stored). */
  async setImage(img: RgbImage, imageHash = hashRgbImage(img)): Promise<{ fromCache: boolean; cacheError?: string }> {
    const s = this.model.inputSize;
    const key = { imageHash, modelId: this.modelId, inputSize: s };
    const cached = await this.cache?.get(key);
    this.embedding?.dispose();
    this.embedding = undefined;
    this.originalSize = [img.height, img.width];
    if (cached && cached.originalSize[0] === img.height && cached.originalSize[1] === img.width && cached.shape[0] === this.model.grid) {
      this.setImageEmbedding(cached);
      return { fromCache: true };
    }
    const { input, inputSize } = preprocessImage(img, s, this.model.config.pixelMean, this.model.config.pixelStd);
    try {
      this.embedding = this.model.encodeImage(input);
    } finally {
      input.dispose();
    }
    this.inputSize = inputSize;
    if (this.cache) {
      const [, g, g2, c] = this.embedding.shape;
      try {
        await this.cache.put(key, { data: (await this.embedding.data()) as Float32Array, shape: [g, g2, c], originalSize: this.originalSize, inputSize });
      } catch (err) {
        // The embedding is ready; an unwritable cache must not stop the annotator.
        return { fromCache: false, cacheError: err instanceof Error ? err.message : String(err) };
      }
    }
    return { fromCache: false };
  }

  /** Uses an embedding computed elsewhere (e.g. a batch job) instead of running the encoder. */
  setImageEmbedding(e: CachedEmbedding): void {
    if (e.shape[0] !== this.model.grid || e.shape[1] !== this.model.grid) throw new Error(`SamPredictor: embedding grid ${e.shape[0]}×${e.shape[1]} does not match the model's ${this.model.grid}×${this.model.grid}`);
    this.embedding?.dispose();
    this.embedding = tf.tensor4d(e.data, [1, ...e.shape]);
    this.originalSize = e.originalSize;
    this.inputSize = e.inputSize;
  }

  /** The cached image embedding (1, g, g, C); owned by the predictor. */
  imageEmbedding(): tf.Tensor4D {
    if (!this.embedding) throw new Error('SamPredictor: call setImage before predict');
    return this.embedding;
  }

  private encodePrompts(p: SamPrompt) {
    const s = this.model.inputSize;
    const lowRes = 4 * this.model.grid;
    if (p.points && (!p.labels || p.labels.length !== p.points.length)) throw new Error('predict: give one label per point');
    if (p.box && p.box.length !== 4) throw new Error('predict: a box is [x0, y0, x1, y1]');
    if (p.maskInput && p.maskInput.length !== lowRes * lowRes) throw new Error(`predict: maskInput must hold ${lowRes}×${lowRes} values, got ${p.maskInput.length}`);
    return tf.tidy(() =>
      this.model.encodePrompts({
        points: p.points?.length ? [transformCoords(p.points, this.originalSize, s)] : undefined,
        labels: p.points?.length ? [p.labels!] : undefined,
        boxes: p.box ? [transformBox(p.box, this.originalSize, s)] : undefined,
        masks: p.maskInput ? tf.tensor4d(p.maskInput, [1, lowRes, lowRes, 1]) : undefined,
      }),
    );
  }

  /** The sparse and dense prompt embeddings of a prompt (for inspection and tests). */
  promptEmbeddings(p: SamPrompt): PromptEmbeddingArrays {
    this.imageEmbedding();
    const e = this.encodePrompts(p);
    try {
      return { sparse: e.sparse.dataSync() as Float32Array, sparseShape: e.sparse.shape, dense: e.dense.dataSync() as Float32Array };
    } finally {
      tf.dispose([e.sparse, e.dense]);
    }
  }

  predict(p: SamPrompt): SamPrediction {
    const embedding = this.imageEmbedding();
    const [h, w] = this.originalSize;
    const { lowRes, full, iou } = tf.tidy(() => {
      const prompts = this.encodePrompts(p);
      const out = this.model.decodeMasks(embedding, prompts, p.multimask ?? true);
      return { lowRes: out.masks, full: postprocessMasks(out.masks, this.inputSize, this.originalSize, this.model.inputSize), iou: out.iou };
    });
    try {
      const m = lowRes.shape[1];
      const lr = lowRes.shape[2];
      const fullData = full.dataSync() as Float32Array;
      const lowData = lowRes.dataSync() as Float32Array;
      const maskLogits = Array.from({ length: m }, (_, i) => fullData.slice(i * h * w, (i + 1) * h * w));
      return {
        maskLogits,
        masks: maskLogits.map(thresholdLogits),
        iouScores: Array.from(iou.dataSync()),
        lowResLogits: Array.from({ length: m }, (_, i) => lowData.slice(i * lr * lr, (i + 1) * lr * lr)),
        width: w,
        height: h,
        lowResSize: lr,
      };
    } finally {
      tf.dispose([lowRes, full, iou]);
    }
  }

  /** Drops the image embedding (the model stays). */
  reset(): void {
    this.embedding?.dispose();
    this.embedding = undefined;
  }
}
