// Worker-thread entry of one evaluation, comparison, pre-annotation or batch job: compile the
// TypeScript core with tsx (as bin/pasam.js does), then run the job. Keeps tensor ops and ONNX
// Runtime sessions off the serve / Electron main thread.
import { register } from 'tsx/esm/api';

register();
await import('./jobWorkerMain.ts');
