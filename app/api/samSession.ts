// The interactive SAM predictor behind the annotator's prompts: one library model (loaded on first
// use), the embedding of the image being annotated (cached on disk per project), masks for
// point/box prompts. Lives in the serve/main process, never in the renderer.
import { join } from 'node:path';
import type { ApiEvent, ImageRecord, LabelMask, SamPoint, SamStatus } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import type { InteractiveSamPredictor } from '../onnx/ortSamPredictor.js';
import { sharpInputOptions } from '../images/inputLimits.js';

interface Loaded {
  name: string;
  predictor: InteractiveSamPredictor;
}

export class SamSession {
  private loaded: Promise<Loaded> | null = null;
  private imageKey: string | null = null;
  /** SAM calls run one at a time (tfjs state, one embedding). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly emit: (e: ApiEvent) => void) {}

  /** The library model the annotator uses: PASAM_SAM_MODEL, else the first in the library. */
  private async chooseModel(): Promise<{ name: string | null; reason: string | null }> {
    const { listModels, modelsRoot } = await import('../model/library.js');
    const wanted = process.env.PASAM_SAM_MODEL;
    const models = await listModels();
    if (wanted) return models.some((m) => m.name === wanted) ? { name: wanted, reason: null } : { name: null, reason: `PASAM_SAM_MODEL names '${wanted}', which is not in the model library (${modelsRoot()})` };
    if (models.length === 0) return { name: null, reason: `no SAM model in the library (${modelsRoot()}); import one with 'pasam model import'` };
    return { name: models[0]!.name, reason: null };
  }

  async status(): Promise<SamStatus> {
    try {
      const { name, reason } = await this.chooseModel();
      return { available: name !== null, model: name, reason };
    } catch (err) {
      return { available: false, model: null, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  private load(projectDir: string): Promise<Loaded> {
    if (!this.loaded) {
      this.loaded = (async () => {
        const { name, reason } = await this.chooseModel();
        if (!name) throw new ApiError('unavailable', reason ?? 'no SAM model');
        this.emit({ type: 'sam.loading', done: false, message: `loading ${name}` });
        const { initBackend } = await import('../tensor/backend.js');
        await initBackend();
        const { FileEmbeddingCache } = await import('../model/sam/embeddingCache.js');
        const { openInteractivePredictor } = await import('../onnx/samOnnxLibrary.js');
        // ONNX Runtime (exported once, cached in the library) with tfjs as the fallback.
        const predictor = await openInteractivePredictor(name, {
          cache: new FileEmbeddingCache(join(projectDir, 'cache', 'embeddings')),
          onFallback: (reason) => this.emit({ type: 'sam.loading', done: false, message: `using tfjs: ${reason}` }),
        });
        this.emit({ type: 'sam.loading', done: true, message: `${name} ready (${predictor.engine})` });
        return { name, predictor };
      })();
      this.loaded.catch(() => {
        this.loaded = null;
      });
    }
    return this.loaded;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async setImage(image: ImageRecord, file: string, projectDir: string): Promise<{ ms: number }> {
    return this.serial(async () => {
      const t0 = Date.now();
      const { predictor } = await this.load(projectDir);
      const key = `${projectDir}:${image.sha256}`;
      if (this.imageKey === key && predictor.hasImage) return { ms: 0 };
      const sharp = (await import('sharp')).default;
      let decoded;
      try {
        decoded = await sharp(file, sharpInputOptions()).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw new ApiError('failed', `${file}: cannot decode image ${image.originalName} (${err instanceof Error ? err.message : String(err)})`);
      }
      this.imageKey = null;
      await predictor.setImage({ data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), width: decoded.info.width, height: decoded.info.height }, image.sha256);
      this.imageKey = key;
      return { ms: Date.now() - t0 };
    });
  }

  async predict(image: ImageRecord, file: string, projectDir: string, points: SamPoint[], box: [number, number, number, number] | null): Promise<{ mask: LabelMask; score: number }> {
    await this.setImage(image, file, projectDir);
    return this.serial(async () => {
      const { predictor } = await this.load(projectDir);
      // One click is ambiguous: ask for three masks and keep the best; more prompts: one mask (as in SAM's reference usage).
      const multimask = points.length + (box ? 1 : 0) === 1 && points.length === 1;
      const out = await predictor.predict({
        points: points.length ? points.map((p) => [p.x, p.y]) : undefined,
        labels: points.length ? points.map((p) => p.label) : undefined,
        box: box ?? undefined,
        multimask,
      });
      const best = out.iouScores.indexOf(Math.max(...out.iouScores));
      return { mask: { width: out.width, height: out.height, data: out.masks[best]! }, score: out.iouScores[best]! };
    });
  }

  clearImage(): void {
    this.imageKey = null;
  }

  dispose(): void {
    const loaded = this.loaded;
    this.loaded = null;
    this.imageKey = null;
    void loaded?.then((l) => l.predictor.dispose(), () => undefined);
  }
}
