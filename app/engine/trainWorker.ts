// Worker-thread entry of a training run: keeps the loop (synchronous tfjs kernels) off the
// thread that serves the UI/API. Protocol: workerData = TrainWorkerInput; parent → worker
// {type:'cancel'}; worker → parent {type:'event', event} ... then {type:'done', result}.
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainingJob, type JobResult } from './trainingJob.js';
import type { TrainEvent } from './trainEvents.js';

export interface TrainWorkerInput {
  projectDir: string;
  runId: number;
  resume: boolean;
}

export type WorkerToParent = { type: 'event'; event: TrainEvent } | { type: 'done'; result: JobResult };
export type ParentToWorker = { type: 'cancel' };

if (!parentPort) throw new Error('trainWorker.ts must run in a worker thread');
const port = parentPort;
const input = workerData as TrainWorkerInput;
let cancelled = false;
port.on('message', (m: ParentToWorker) => {
  if (m?.type === 'cancel') cancelled = true;
});
// A promise chain, not top-level await: the production bundle is CommonJS (scripts/build.mjs). A
// rejection stays unhandled on purpose, so that it reaches the parent as the worker's 'error'.
void runTrainingJob(input.projectDir, input.runId, input.resume, {
  emit: (event) => port.postMessage({ type: 'event', event } satisfies WorkerToParent),
  isCancelled: () => cancelled,
  // A macrotask turn lets a pending 'cancel' message in between steps.
  pause: () => new Promise((r) => setImmediate(r)),
}).then((result: JobResult) => {
  port.postMessage({ type: 'done', result } satisfies WorkerToParent);
  port.close();
});
