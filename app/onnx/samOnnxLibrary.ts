// Exported interactive SAMs cached in the model library: PASAM_HOME/models/<name>/onnx/sam-s<S>/
// (encoder.onnx, decoder.onnx, model.json). Exported on first use and re-exported when the
// library model's weights change (its modelId). `openInteractivePredictor` picks ONNX Runtime and
// falls back to tfjs when the export or ONNX Runtime fails.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModelWeights, modelDir, readModelManifest } from '../model/library.js';
import type { EmbeddingCache } from '../model/sam/embeddingCache.js';
import { SamModel } from '../model/sam/samModel.js';
import { SamPredictor, type SamPrediction, type SamPrompt } from '../model/sam/predictor.js';
import { disposeSamWeights } from '../model/sam/weights.js';
import type { RgbImage } from '../model/sam/transforms.js';
import { MODEL_CARD_FORMAT, MODEL_CARD_VERSION, readModelCard, samPreprocessing, writeModelCard, type ModelCard } from './modelCard.js';
import { readOnnxSignature } from './onnxSignature.js';
import { DEFAULT_OPSET } from './onnxGraphBuilder.js';
import { OrtSamPredictor, type InteractiveSamPredictor } from './ortSamPredictor.js';
import { exportSam } from './samExport.js';

export function samOnnxDir(modelName: string, inputSize: number): string {
  return join(modelDir(modelName), 'onnx', `sam-s${inputSize}`);
}

/** The card of an up-to-date export, or undefined when there is none (or it is stale/damaged). */
function currentExport(dir: string, modelId: string): ModelCard | undefined {
  if (!existsSync(join(dir, 'model.json'))) return undefined;
  try {
    const card = readModelCard(join(dir, 'model.json'));
    const fresh = (card.source as { modelId?: string }).modelId === modelId && Object.values(card.files).every((f) => existsSync(join(dir, f)));
    return fresh ? card : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Exports a library SAM to ONNX at input side S (default: the model's native size) unless an
 * up-to-date export exists; returns its folder. Written to a temporary folder and renamed.
 */
export async function ensureSamOnnx(modelName: string, opts: { inputSize?: number; force?: boolean } = {}): Promise<{ dir: string; exported: boolean; card: ModelCard }> {
  const manifest = await readModelManifest(modelName);
  const s = opts.inputSize ?? manifest.config.imgSize;
  const dir = samOnnxDir(modelName, s);
  const existing = opts.force ? undefined : currentExport(dir, manifest.modelId);
  if (existing) return { dir, exported: false, card: existing };
  const { weights } = await loadModelWeights(modelName);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    const r = exportSam(weights, manifest.config, tmp, { inputSize: s });
    const enc = readOnnxSignature(r.encoderPath);
    const dec = readOnnxSignature(r.decoderPath);
    const card: ModelCard = {
      format: MODEL_CARD_FORMAT,
      formatVersion: MODEL_CARD_VERSION,
      kind: 'sam',
      name: modelName,
      files: { encoder: 'encoder.onnx', decoder: 'decoder.onnx' },
      signatures: { encoder: { inputs: enc.inputs, outputs: enc.outputs }, decoder: { inputs: dec.inputs, outputs: dec.outputs } },
      preprocessing: samPreprocessing(s, manifest.config.pixelMean, manifest.config.pixelStd),
      postprocessing:
        'encoder → image_embeddings; decoder takes point_coords in the S-frame (original × S/longest side), labels 1 fg / 0 bg / −1 padding (append (0,0,−1) when there is no box) / 2,3 box corners, ' +
        'mask_input + has_mask_input, orig_im_size [h,w]; returns mask logits for every mask token (0 = single-mask output, 1.. = multimask), threshold > 0.',
      classes: [],
      source: { backbone: manifest.preset ?? 'custom', checkpoint: manifest.source.file, modelId: manifest.modelId } as ModelCard['source'],
      onnx: { opset: DEFAULT_OPSET, irVersion: enc.irVersion, producer: 'pasam-workstation' },
      exportedAt: new Date().toISOString(),
    };
    writeModelCard(tmp, card);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, exported: true, card };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    disposeSamWeights(weights);
  }
}

/** The tfjs SamPredictor behind the engine-neutral interface. */
export class TfjsInteractivePredictor implements InteractiveSamPredictor {
  readonly engine = 'tfjs' as const;
  constructor(readonly predictor: SamPredictor) {}
  get modelId(): string {
    return this.predictor.modelId;
  }
  get hasImage(): boolean {
    return this.predictor.hasImage;
  }
  setImage(img: RgbImage, imageHash?: string): Promise<{ fromCache: boolean }> {
    return this.predictor.setImage(img, imageHash);
  }
  async predict(p: SamPrompt): Promise<SamPrediction> {
    return this.predictor.predict(p);
  }
  reset(): void {
    this.predictor.reset();
  }
  dispose(): void {
    this.predictor.reset();
    this.predictor.model.dispose();
  }
}

export type InferenceEngine = 'auto' | 'onnx' | 'tfjs';

/** PASAM_INFERENCE=onnx|tfjs forces an engine; default auto (ONNX Runtime, tfjs as fallback). */
export function inferenceEngine(requested?: InferenceEngine): InferenceEngine {
  const env = process.env.PASAM_INFERENCE;
  const e = requested ?? (env === 'onnx' || env === 'tfjs' ? env : 'auto');
  return e;
}

/**
 * The interactive predictor for a library model: ONNX Runtime over an (on-demand) export, or tfjs.
 * `onFallback` hears why ONNX Runtime was not used in auto mode.
 */
export async function openInteractivePredictor(
  modelName: string,
  opts: { inputSize?: number; cache?: EmbeddingCache; engine?: InferenceEngine; onFallback?: (reason: string) => void } = {},
): Promise<InteractiveSamPredictor> {
  const engine = inferenceEngine(opts.engine);
  const manifest = await readModelManifest(modelName);
  if (engine !== 'tfjs') {
    try {
      const { dir, exported } = await ensureSamOnnx(modelName, { inputSize: opts.inputSize });
      try {
        return await OrtSamPredictor.open(dir, { modelId: manifest.modelId, cache: opts.cache });
      } catch (err) {
        if (exported) throw err;
        // A damaged cached export (e.g. truncated by a full disk): export again, once.
        opts.onFallback?.(`re-exporting: ${(err as Error).message}`);
        const again = await ensureSamOnnx(modelName, { inputSize: opts.inputSize, force: true });
        return await OrtSamPredictor.open(again.dir, { modelId: manifest.modelId, cache: opts.cache });
      }
    } catch (err) {
      if (engine === 'onnx') throw err;
      opts.onFallback?.((err as Error).message);
    }
  }
  const { weights } = await loadModelWeights(modelName);
  const model = new SamModel(manifest.config, weights, opts.inputSize ?? manifest.config.imgSize);
  return new TfjsInteractivePredictor(new SamPredictor(model, manifest.modelId, opts.cache));
}
