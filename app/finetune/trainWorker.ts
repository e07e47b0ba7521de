// Worker-thread entry of the product's training runs: the engine (ONNX Runtime where it loads,
// tfjs otherwise) is chosen and built inside the worker, so no tensor op or ORT session ever runs
// on the thread that serves the UI/API.
import { runTrainWorker } from '../engine/trainWorkerHost.js';
import { prepareRunEngine } from './runEngine.js';

// A promise chain, not top-level await: the production bundle is CommonJS (scripts/build.mjs). A
// rejection stays unhandled on purpose, so that it reaches the parent as the worker's 'error'.
void runTrainWorker({ prepareEngine: prepareRunEngine });
