// The serve / Electron main thread's side of model jobs (evaluate, compare, pre-annotate, batch,
// export, one image's prediction for the review view): each runs in its own worker thread
// (jobWorkerMain.ts), so the main thread never runs a tensor op or an ONNX Runtime session and
// keeps answering the UI meanwhile.
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../buildMode.js';
import type { ApiErrorBody } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import type { BatchProgress } from '../batch/batchSegmentation.js';
import type { EvalSplit } from '../finetune/runEvaluation.js';
import type { CalibrationKey } from '../finetune/trainCalibration.js';
import type { RunExportOptions } from '../onnx/runExport.js';

export type JobRequest =
  | { task: 'evaluate'; projectDir: string; runId: number; split: EvalSplit }
  | { task: 'compare'; projectDir: string; a: number; b: number; split: EvalSplit }
  | { task: 'preannotate'; projectDir: string; runId: number; imageIds: number[] | null }
  | { task: 'reviewPredictions'; projectDir: string; runId: number; imageIds: number[] }
  | { task: 'batch'; projectDir: string; jobId: number }
  | { task: 'export'; projectDir: string; runId: number; options: RunExportOptions }
  | { task: 'calibrate'; projectDir: string; cacheFile: string; key: CalibrationKey; numClasses: number };

export type JobToParent = { type: 'progress'; progress: BatchProgress } | { type: 'done'; ok: true; result: unknown } | { type: 'done'; ok: false; error: ApiErrorBody };

export interface JobHandle<T> {
  readonly done: Promise<T>;
  /** Asks a batch job to stop after the current image. */
  stop(): void;
}

export function runJobInWorker<T>(req: JobRequest, opts: { onProgress?: (p: BatchProgress) => void } = {}): JobHandle<T> {
  const worker = new Worker(workerEntry(new URL('./jobWorkerMain.ts', import.meta.url), 'jobWorker.cjs'), { workerData: req });
  const done = new Promise<T>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: JobToParent) => {
      if (m.type === 'progress') opts.onProgress?.(m.progress);
      else if (m.type === 'done') {
        settled = true;
        if (m.ok) resolve(m.result as T);
        else reject(new ApiError(m.error.code, m.error.message));
      }
    });
    worker.on('error', (err) => {
      if (!settled) reject(new ApiError('failed', `the ${req.task} worker failed: ${err.message}`));
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new ApiError('failed', `the ${req.task} worker exited with code ${code} before it finished`));
    });
  });
  return { done, stop: () => worker.postMessage({ type: 'stop' }) };
}
