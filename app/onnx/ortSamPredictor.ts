// The interactive SAM predictor on ONNX Runtime: the same setImage/predict contract as the tfjs
// SamPredictor (and the same embedding cache, NHWC (g,g,C) entries), over an exported encoder and
// prompt-encoder/decoder pair. Preprocessing is SAM's (PIL-bilinear longest-side resize, normalise,
// zero pad), written straight into the NCHW input.
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { EmbeddingCache } from '../model/sam/embeddingCache.js';
import { hashRgbImage, type SamPrediction, type SamPrompt } from '../model/sam/predictor.js';
import { preprocessShape, resizeRgbPil, transformBox, transformCoords, type RgbImage } from '../model/sam/transforms.js';
import { readModelCard, type ModelCard } from './modelCard.js';
import { openOrtSession } from './ortSession.js';

/** What a front end needs from an interactive predictor, whichever engine runs it. */
export interface InteractiveSamPredictor {
  readonly engine: 'onnxruntime' | 'tfjs';
  readonly modelId: string;
  readonly hasImage: boolean;
  setImage(img: RgbImage, imageHash?: string): Promise<{ fromCache: boolean }>;
  predict(p: SamPrompt): Promise<SamPrediction>;
  reset(): void;
  /** Frees what the predictor owns (the tfjs model; ONNX Runtime sessions stay cached for reuse). */
  dispose(): void;
}

/** Normalised, zero-padded (1, 3, S, S) input and the resized (h, w) inside it. */
export function preprocessNchw(img: RgbImage, s: number, mean: readonly number[], std: readonly number[]): { data: Float32Array; inputSize: [number, number] } {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`image data has ${img.data.length} bytes, expected ${img.width}×${img.height}×3`);
  const [h, w] = preprocessShape(img.height, img.width, s);
  const resized = h === img.height && w === img.width ? img : resizeRgbPil(img, w, h);
  const out = new Float32Array(3 * s * s);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const sd = Math.fround(std[c]!);
    const plane = c * s * s;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[plane + y * s + x] = Math.fround(Math.fround(resized.data[(y * w + x) * 3 + c]! - m) / sd);
    }
  }
  return { data: out, inputSize: [h, w] };
}

function nchwToNhwc(data: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = data[k * h * w + i]!;
  return out;
}

function nhwcToNchw(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) out[k * h * w + i] = data[i * c + k]!;
  return out;
}

export class OrtSamPredictor implements InteractiveSamPredictor {
  readonly engine = 'onnxruntime' as const;
  private embedding?: Float32Array;
  private originalSize: [number, number] = [0, 0];
  private inputSize: [number, number] = [0, 0];

  private constructor(
    readonly card: ModelCard,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    readonly modelId: string,
    readonly cache?: EmbeddingCache,
  ) {}

  /** Opens an exported SAM (a folder with model.json, encoder.onnx, decoder.onnx). */
  static async open(dir: string, opts: { modelId?: string; cache?: EmbeddingCache } = {}): Promise<OrtSamPredictor> {
    const card = readModelCard(join(dir, 'model.json'));
    if (card.kind !== 'sam' || !card.files.encoder || !card.files.decoder) throw new Error(`${join(dir, 'model.json')}: not an exported interactive SAM (needs encoder and decoder files)`);
    const [encoder, decoder] = await Promise.all([openOrtSession(join(dir, card.files.encoder)), openOrtSession(join(dir, card.files.decoder))]);
    const modelId = opts.modelId ?? String((card.source as { modelId?: string }).modelId ?? card.name);
    return new OrtSamPredictor(card, encoder, decoder, modelId, opts.cache);
  }

  get side(): number {
    return this.card.preprocessing.inputSize;
  }
  get grid(): number {
    return this.side / 16;
  }
  private get channels(): number {
    const out = this.card.signatures.encoder?.outputs[0];
    return typeof out?.shape[1] === 'number' ? out.shape[1] : 256;
  }

  get hasImage(): boolean {
    return this.embedding !== undefined;
  }

  async setImage(img: RgbImage, imageHash = hashRgbImage(img)): Promise<{ fromCache: boolean }> {
    const s = this.side;
    const g = this.grid;
    const c = this.channels;
    const key = { imageHash, modelId: this.modelId, inputSize: s };
    this.embedding = undefined;
    this.originalSize = [img.height, img.width];
    const cached = await this.cache?.get(key);
    if (cached && cached.originalSize[0] === img.height && cached.originalSize[1] === img.width && cached.shape[0] === g && cached.shape[2] === c) {
      this.embedding = nhwcToNchw(cached.data, g, g, c);
      this.inputSize = cached.inputSize;
      return { fromCache: true };
    }
    const { mean, std } = this.card.preprocessing.normalize;
    const { data, inputSize } = preprocessNchw(img, s, mean, std);
    const out = await this.encoder.run({ image: new ort.Tensor('float32', data, [1, 3, s, s]) });
    this.embedding = out.image_embeddings!.data as Float32Array;
    this.inputSize = inputSize;
    if (this.cache) await this.cache.put(key, { data: nchwToNhwc(this.embedding, c, g, g), shape: [g, g, c], originalSize: this.originalSize, inputSize: this.inputSize });
    return { fromCache: false };
  }

  async predict(p: SamPrompt): Promise<SamPrediction> {
    if (!this.embedding) throw new Error('OrtSamPredictor: call setImage before predict');
    const s = this.side;
    const g = this.grid;
    const lowRes = 4 * g;
    if (p.points && (!p.labels || p.labels.length !== p.points.length)) throw new Error('predict: give one label per point');
    if (p.box && p.box.length !== 4) throw new Error('predict: a box is [x0, y0, x1, y1]');
    if (p.maskInput && p.maskInput.length !== lowRes * lowRes) throw new Error(`predict: maskInput must hold ${lowRes}×${lowRes} values, got ${p.maskInput.length}`);
    const coords: number[][] = p.points?.length ? transformCoords(p.points, this.originalSize, s) : [];
    const labels: number[] = p.points?.length ? [...p.labels!] : [];
    if (p.box) {
      const [x0, y0, x1, y1] = transformBox(p.box, this.originalSize, s) as [number, number, number, number];
      coords.push([x0, y0], [x1, y1]);
      labels.push(2, 3);
    } else {
      // SAM pads point prompts with a not-a-point when no box is given.
      coords.push([0, 0]);
      labels.push(-1);
    }
    const [h, w] = this.originalSize;
    const out = await this.decoder.run({
      image_embeddings: new ort.Tensor('float32', this.embedding, [1, this.channels, g, g]),
      point_coords: new ort.Tensor('float32', Float32Array.from(coords.flat()), [1, coords.length, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, labels.length]),
      mask_input: new ort.Tensor('float32', p.maskInput ?? new Float32Array(lowRes * lowRes), [1, 1, lowRes, lowRes]),
      has_mask_input: new ort.Tensor('float32', new Float32Array([p.maskInput ? 1 : 0]), [1]),
      orig_im_size: new ort.Tensor('float32', new Float32Array([h, w]), [2]),
    });
    const all = out.masks!.data as Float32Array;
    const low = out.low_res_masks!.data as Float32Array;
    const iou = out.iou_predictions!.data as Float32Array;
    const m = iou.length;
    const picked = (p.multimask ?? true) ? Array.from({ length: m - 1 }, (_, i) => i + 1) : [0];
    const maskLogits = picked.map((i) => all.slice(i * h * w, (i + 1) * h * w));
    return {
      maskLogits,
      masks: maskLogits.map((l) => Uint8Array.from(l, (v) => (v > 0 ? 1 : 0))),
      iouScores: picked.map((i) => iou[i]!),
      lowResLogits: picked.map((i) => low.slice(i * lowRes * lowRes, (i + 1) * lowRes * lowRes)),
      width: w,
      height: h,
      lowResSize: lowRes,
    };
  }

  reset(): void {
    this.embedding = undefined;
  }

  dispose(): void {
    this.reset();
  }
}
