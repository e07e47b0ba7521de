// The serve/main process side of the SAM worker thread: the same calls as SamSession, answered by
// a worker (started on first use, restarted after a crash) so that saves never wait on the encoder.
import { Worker } from 'node:worker_threads';
import type { ApiErrorBody, ApiEvent, ImageRecord, LabelMask, SamPoint, SamStatus } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { workerEntry } from '../buildMode.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Request = { op: 'status' } | { op: 'setImage'; image: ImageRecord; file: string; projectDir: string } | { op: 'predict'; image: ImageRecord; file: string; projectDir: string; points: SamPoint[]; box: [number, number, number, number] | null } | { op: 'clearImage' } | { op: 'modelPredict'; projectDir: string; imageId: number };

export class SamWorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly emit: (e: ApiEvent) => void) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerEntry(new URL('./samWorkerMain.ts', import.meta.url), 'samWorker.cjs'));
    w.unref();
    w.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: ApiErrorBody; event?: ApiEvent }) => {
      if (m.event) return this.emit(m.event);
      const p = this.pending.get(m.id!);
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.ok) p.resolve(m.result);
      else p.reject(new ApiError(m.error?.code ?? 'failed', m.error?.message ?? 'SAM failed'));
    });
    const fail = (err: Error) => {
      this.worker = null;
      for (const p of this.pending.values()) p.reject(new ApiError('failed', `the SAM worker stopped: ${err.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = w;
    return w;
  }

  private request<T>(req: Request): Promise<T> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // A request in flight keeps the process alive; an idle worker does not.
      w.ref();
      w.postMessage({ id, ...req });
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  status(): Promise<SamStatus> {
    return this.request({ op: 'status' });
  }

  setImage(image: ImageRecord, file: string, projectDir: string): Promise<{ ms: number }> {
    return this.request({ op: 'setImage', image, file, projectDir });
  }

  predict(image: ImageRecord, file: string, projectDir: string, points: SamPoint[], box: [number, number, number, number] | null): Promise<{ mask: LabelMask; score: number }> {
    return this.request({ op: 'predict', image, file, projectDir, points, box });
  }

  /** The active fine-tuned model's class map for a project image (see modelPrediction.ts). */
  modelPredict(projectDir: string, imageId: number): Promise<{ mask: LabelMask; model: string; runId: number }> {
    return this.request({ op: 'modelPredict', projectDir, imageId });
  }

  clearImage(): void {
    if (this.worker) void this.request({ op: 'clearImage' }).catch(() => undefined);
  }

  dispose(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }
}
