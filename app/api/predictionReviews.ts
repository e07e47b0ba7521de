// The handler of the annotator's ground-truth-vs-prediction view. The prediction and its IoU are
// computed in a job worker (app/finetune/predictionReview.ts) and kept per (image, run checkpoint,
// ground-truth mask version) in a byte-bounded LRU, so that toggling the view and coming back to an
// image are instant and two asks for the same key share one job. A new mask version or a new best
// checkpoint is a new key; nothing here writes to the project.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import { checkpointDir, hasCheckpoint, readCheckpointMeta } from '../engine/runCheckpoint.js';
import { resolveCheckpointKind } from '../onnx/runExport.js';
import { NoActiveModelError, requireActiveRun } from '../finetune/activeModel.js';
import type { PredictionReview } from '../finetune/predictionReview.js';
import type { ApiMethods } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { runJobInWorker } from './jobWorkerClient.js';
import { optInt, reqInt } from './paramCheck.js';

/** Predictions kept at most (bytes of class maps): 200×200 NEU images → thousands, 20 MP → a dozen. */
const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

type Compute = (projectDir: string, runId: number, imageId: number) => Promise<PredictionReview>;
const inJobWorker: Compute = (projectDir, runId, imageId) => runJobInWorker<PredictionReview>({ task: 'reviewPrediction', projectDir, runId, imageId }).done;

export class PredictionReviewCache {
  /** Map order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, PredictionReview>();
  private readonly inFlight = new Map<string, Promise<PredictionReview>>();
  private bytes = 0;

  constructor(
    private readonly compute: Compute = inJobWorker,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {}

  /** Run `runId`'s prediction of `image` scored against its latest mask (cached). */
  async get(store: ProjectStore, image: ImageRecord, runId: number): Promise<PredictionReview> {
    const run = store.getRun(runId);
    if (!run) throw new ApiError('not-found', `no training run with id ${runId}`);
    const kind = resolveCheckpointKind(store, runId, 'auto');
    const ckDir = checkpointDir(store.dir, runId, kind);
    if (!hasCheckpoint(ckDir)) throw new ApiError('unavailable', `run ${runId} (${run.name}) has no checkpoint yet: its model exists once an epoch has finished`);
    const runKey = `${store.dir}|${image.id}|${runId}|${kind}:${readCheckpointMeta(ckDir).dataSha256}`;
    const key = `${runKey}|${store.latestMask(image.id)?.id ?? 0}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.compute(store.dir, runId, image.id).then((review) => {
        // Keyed by the version the worker really scored (a save may have landed meanwhile).
        this.put(`${runKey}|${review.truth?.maskVersionId ?? 0}`, review);
        return review;
      });
      this.inFlight.set(key, pending);
      void pending.then(
        () => this.inFlight.delete(key),
        () => this.inFlight.delete(key),
      );
    }
    return pending;
  }

  private put(key: string, review: PredictionReview): void {
    const old = this.entries.get(key);
    if (old) this.bytes -= old.prediction.data.byteLength;
    this.entries.delete(key);
    this.entries.set(key, review);
    this.bytes += review.prediction.data.byteLength;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes || this.entries.size === 1) break;
      this.entries.delete(k);
      this.bytes -= v.prediction.data.byteLength;
    }
  }
}

/** The API handler: the image, and the run (the active model when none is named). */
export function predictionReviewHandlers(ctx: { requireStore(): ProjectStore; requireImage(id: number): ImageRecord }, cache = new PredictionReviewCache()): {
  'model.reviewPrediction': (p: Record<string, unknown>) => Promise<ApiMethods['model.reviewPrediction']['result']>;
} {
  return {
    'model.reviewPrediction': async (p) => {
      const store = ctx.requireStore();
      const image = ctx.requireImage(reqInt(p, 'imageId', 1));
      let runId = optInt(p, 'runId', 1);
      try {
        runId ??= requireActiveRun(store);
      } catch (err) {
        throw err instanceof NoActiveModelError ? new ApiError('unavailable', err.message) : err;
      }
      return cache.get(store, image, runId);
    },
  };
}
