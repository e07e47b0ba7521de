// Worker-thread entry of a training run on the reference engine (tfjs) only. The product starts
// app/finetune/trainWorker.ts instead, which chooses ONNX Runtime where it loads.
import { runTrainWorker } from './trainWorkerHost.js';

// A promise chain, not top-level await: the production bundle is CommonJS (scripts/build.mjs). A
// rejection stays unhandled on purpose, so that it reaches the parent as the worker's 'error'.
void runTrainWorker();
