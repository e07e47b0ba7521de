// The handler of the annotator's ground-truth-vs-prediction view. The prediction and its IoU are
// computed in a job worker (app/finetune/predictionReview.ts) and kept per (image, run checkpoint,
// ground-truth mask version) in a byte-bounded LRU, so that toggling the view and coming back to an
// image are instant and two asks for the same key share one job; the next images of the list are
// predicted ahead in one background job (a job pays seconds to start a worker and open the model).
// A new mask version or a new best checkpoint is a new key; nothing here writes to the project.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import { autoCheckpointKind, checkpointDir, hasCheckpoint, readCheckpointMeta } from '../engine/runCheckpoint.js';
import { NoActiveModelError, requireActiveRun } from '../finetune/activeModel.js';
import type { PredictionReview } from '../finetune/predictionReview.js';
import type { ApiMethods } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { runJobInWorker } from './jobWorkerClient.js';
import { intList, optInt, reqInt } from './paramCheck.js';

/** Predictions kept at most (bytes of class maps): 200×200 NEU images → thousands, 20 MP → a dozen. */
const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

export type Compute = (projectDir: string, runId: number, imageIds: number[]) => Promise<PredictionReview[]>;
export const predictInJobWorker: Compute = (projectDir, runId, imageIds) => runJobInWorker<PredictionReview[]>({ task: 'reviewPredictions', projectDir, runId, imageIds }).done;

/** Images predicted ahead at most per ask (the next ones of the annotator's list). */
export const MAX_PREFETCH = 8;

interface Wanted {
  imageId: number;
  /** Project, run and checkpoint: the part of the key a prediction depends on. */
  runKey: string;
  key: string;
}

export class PredictionReviewCache {
  /** Map order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, PredictionReview>();
  private readonly inFlight = new Map<string, Promise<PredictionReview>>();
  private prefetching = false;
  private bytes = 0;

  constructor(
    private readonly compute: Compute = predictInJobWorker,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {}

  /** Run `runId`'s prediction of `image` scored against its latest mask (cached). */
  async get(store: ProjectStore, image: ImageRecord, runId: number): Promise<PredictionReview> {
    const [wanted] = this.keys(store, runId, [image.id]);
    const hit = this.entries.get(wanted!.key);
    if (hit) {
      this.entries.delete(wanted!.key);
      this.entries.set(wanted!.key, hit);
      return hit;
    }
    return this.inFlight.get(wanted!.key) ?? this.start(store.dir, runId, [wanted!])[0]!;
  }

  /**
   * Predicts `imageIds` ahead in one background job (one such job at a time), so that walking on
   * through the list finds them ready; an ask for one of them meanwhile waits for that job.
   */
  prefetch(store: ProjectStore, runId: number, imageIds: readonly number[]): void {
    if (this.prefetching) return;
    const todo = this.keys(store, runId, imageIds.slice(0, MAX_PREFETCH)).filter((w) => !this.entries.has(w.key) && !this.inFlight.has(w.key));
    if (todo.length === 0) return;
    this.prefetching = true;
    void Promise.allSettled(this.start(store.dir, runId, todo)).then(() => (this.prefetching = false));
  }

  /** Cache keys of (image, run checkpoint, latest mask version); a run without a model is refused. */
  private keys(store: ProjectStore, runId: number, imageIds: readonly number[]): Wanted[] {
    const run = store.getRun(runId);
    if (!run) throw new ApiError('not-found', `no training run with id ${runId}`);
    const kind = autoCheckpointKind(store.dir, runId);
    const ckDir = checkpointDir(store.dir, runId, kind);
    if (!hasCheckpoint(ckDir)) throw new ApiError('unavailable', `run ${runId} (${run.name}) has no checkpoint yet: its model exists once an epoch has finished`);
    const runKey = `${store.dir}|${runId}|${kind}:${readCheckpointMeta(ckDir).dataSha256}`;
    return imageIds.map((imageId) => ({ imageId, runKey, key: `${runKey}|${imageId}|${store.latestMask(imageId)?.id ?? 0}` }));
  }

  private start(projectDir: string, runId: number, wanted: Wanted[]): Promise<PredictionReview>[] {
    const job = this.compute(projectDir, runId, wanted.map((w) => w.imageId));
    return wanted.map((w, i) => {
      const one = job.then((reviews) => {
        const review = reviews[i]!;
        // Kept under the version the worker really scored (a save may have landed meanwhile).
        this.put(`${w.runKey}|${w.imageId}|${review.truth?.maskVersionId ?? 0}`, review);
        return review;
      });
      this.inFlight.set(w.key, one);
      void one.then(
        () => this.inFlight.delete(w.key),
        () => this.inFlight.delete(w.key),
      );
      return one;
    });
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

/** The API handler: the image, the run (the active model when none is named), images to predict ahead. */
export function predictionReviewHandlers(ctx: { requireStore(): ProjectStore; requireImage(id: number): ImageRecord }, cache = new PredictionReviewCache()): {
  'model.reviewPrediction': (p: Record<string, unknown>) => Promise<ApiMethods['model.reviewPrediction']['result']>;
} {
  return {
    'model.reviewPrediction': async (p) => {
      const store = ctx.requireStore();
      const image = ctx.requireImage(reqInt(p, 'imageId', 1));
      const ahead = p.prefetch === undefined ? [] : intList(p, 'prefetch', MAX_PREFETCH).filter((id) => id !== image.id && store.getImage(id));
      let runId = optInt(p, 'runId', 1);
      try {
        runId ??= requireActiveRun(store);
      } catch (err) {
        throw err instanceof NoActiveModelError ? new ApiError('unavailable', err.message) : err;
      }
      const review = await cache.get(store, image, runId);
      // Only while the same project is open: its store may be closed by now.
      if (ahead.length && ctx.requireStore() === store) cache.prefetch(store, runId, ahead);
      return review;
    },
  };
}
