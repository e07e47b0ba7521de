// The worker side of a training run: keeps the loop (synchronous tfjs kernels, ONNX Runtime
// sessions) off the thread that serves the UI/API. Protocol: workerData = TrainWorkerInput;
// parent → worker {type:'cancel'}; worker → parent {type:'event', event} ... then {type:'done', result}.
// Entry files (app/engine/trainWorker.ts: tfjs only; app/finetune/trainWorker.ts: the product's
// engine choice) call runTrainWorker with the job options of their layer.
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainingJob, type JobOptions, type JobResult } from './trainingJob.js';
import type { TrainEvent } from './trainEvents.js';

export interface TrainWorkerInput {
  projectDir: string;
  runId: number;
  resume: boolean;
}

export type WorkerToParent = { type: 'event'; event: TrainEvent } | { type: 'done'; result: JobResult };
export type ParentToWorker = { type: 'cancel' };

export async function runTrainWorker(opts: JobOptions = {}): Promise<void> {
  if (!parentPort) throw new Error('a training worker entry must run in a worker thread');
  const port = parentPort;
  const input = workerData as TrainWorkerInput;
  let cancelled = false;
  port.on('message', (m: ParentToWorker) => {
    if (m?.type === 'cancel') cancelled = true;
  });
  const result = await runTrainingJob(
    input.projectDir,
    input.runId,
    input.resume,
    {
      emit: (event) => port.postMessage({ type: 'event', event } satisfies WorkerToParent),
      isCancelled: () => cancelled,
      // A macrotask turn lets a pending 'cancel' message in between steps.
      pause: () => new Promise((r) => setImmediate(r)),
    },
    opts,
  );
  port.postMessage({ type: 'done', result } satisfies WorkerToParent);
  port.close();
}
