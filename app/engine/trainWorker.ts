// Worker-thread entry of a training run on the reference engine (tfjs) only. The product starts
// app/finetune/trainWorker.ts instead, which chooses ONNX Runtime where it loads.
import { runTrainWorker } from './trainWorkerHost.js';

await runTrainWorker();
