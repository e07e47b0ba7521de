// Worker-thread entry of the SAM predictor: compile the TypeScript core with tsx (as bin/pasam.js
// does), then serve requests. Keeps the encoder's seconds of compute off the API's event loop.
import { register } from 'tsx/esm/api';

register();
await import('./samWorkerMain.ts');
