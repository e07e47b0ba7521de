// Runs one job handed over by jobWorkerClient inside a worker thread: evaluation and comparison
// of runs, pre-annotation, batch segmentation and run export — everything of the fine-tune API that runs a
// model. Protocol: workerData = JobRequest; parent → worker {type:'stop'}; worker → parent
// {type:'progress', progress} ... then {type:'done', ok, result | error}.
import { parentPort, workerData } from 'node:worker_threads';
import { ProjectStore } from '../store/projectStore.js';
import { ApiError, toErrorBody } from './apiErrors.js';
import type { JobRequest, JobToParent } from './jobWorkerClient.js';

const port = parentPort!;
const req = workerData as JobRequest;
let stop = false;
port.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') stop = true;
});
const post = (m: JobToParent): void => port.postMessage(m);
const fail = (err: Error): never => {
  throw err;
};

async function run(store: ProjectStore): Promise<unknown> {
  switch (req.task) {
    case 'evaluate': {
      const { evaluateRun } = await import('../finetune/runEvaluation.js');
      return evaluateRun(store, req.runId, req.split);
    }
    case 'compare': {
      const { compareRuns } = await import('../finetune/runEvaluation.js');
      return compareRuns(store, req.a, req.b, req.split);
    }
    case 'preannotate': {
      const { openActiveEngine, preannotate } = await import('../finetune/preannotate.js');
      const engine = await openActiveEngine(store, req.runId);
      try {
        // Images in the Trash get no pre-annotation, even when named (listImages leaves them out).
        const images = req.imageIds === null ? store.listImages({}) : store.listImages({ ids: req.imageIds });
        return await preannotate(store, engine, req.runId, images);
      } finally {
        engine.dispose();
      }
    }
    case 'reviewPredictions': {
      const { reviewPredictions } = await import('../finetune/predictionReview.js');
      const images = req.imageIds.map((id) => store.getImage(id) ?? fail(new ApiError('not-found', `no image with id ${id}`)));
      return reviewPredictions(store, req.runId, images);
    }
    case 'calibrate': {
      const { calibrateTraining } = await import('../finetune/trainCalibration.js');
      return calibrateTraining(req.cacheFile, req.key, req.numClasses);
    }
    case 'export': {
      const { initBackend } = await import('../tensor/backend.js');
      const { exportRunAs } = await import('../onnx/runExport.js');
      await initBackend();
      return exportRunAs(store, req.runId, req.options);
    }
    case 'batch': {
      const { runBatchJob } = await import('../batch/batchSegmentation.js');
      return runBatchJob(store, req.jobId, { shouldStop: () => stop, onProgress: (progress) => post({ type: 'progress', progress }) });
    }
  }
}

// A promise chain, not top-level await: the production bundle is CommonJS (scripts/build.mjs).
const store = ProjectStore.open(req.projectDir);
void run(store)
  .then(
    (result) => post({ type: 'done', ok: true, result }),
    (err: unknown) => post({ type: 'done', ok: false, error: toErrorBody(err) }),
  )
  .finally(() => {
    store.close();
    port.close();
  });
