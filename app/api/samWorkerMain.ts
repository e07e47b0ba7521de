// Runs a SamSession inside a worker thread and answers the SamWorkerClient's requests.
import { parentPort } from 'node:worker_threads';
import { SamSession } from './samSession.js';
import { ModelPredictor } from './modelPrediction.js';
import { toErrorBody } from './apiErrors.js';
import type { ImageRecord, SamPoint } from './apiTypes.js';

export type SamRequest =
  | { id: number; op: 'status' }
  | { id: number; op: 'setImage'; image: ImageRecord; file: string; projectDir: string }
  | { id: number; op: 'predict'; image: ImageRecord; file: string; projectDir: string; points: SamPoint[]; box: [number, number, number, number] | null }
  | { id: number; op: 'clearImage' }
  | { id: number; op: 'modelPredict'; projectDir: string; imageId: number };

const port = parentPort!;
const session = new SamSession((event) => port.postMessage({ event }));
const finetuned = new ModelPredictor();

port.on('message', async (m: SamRequest) => {
  try {
    switch (m.op) {
      case 'status':
        return port.postMessage({ id: m.id, ok: true, result: await session.status() });
      case 'setImage':
        return port.postMessage({ id: m.id, ok: true, result: await session.setImage(m.image, m.file, m.projectDir) });
      case 'predict': {
        const result = await session.predict(m.image, m.file, m.projectDir, m.points, m.box);
        return port.postMessage({ id: m.id, ok: true, result }, [result.mask.data.buffer as ArrayBuffer]);
      }
      case 'modelPredict': {
        const result = await finetuned.predict(m.projectDir, m.imageId);
        return port.postMessage({ id: m.id, ok: true, result }, [result.mask.data.buffer as ArrayBuffer]);
      }
      case 'clearImage':
        session.clearImage();
        return port.postMessage({ id: m.id, ok: true, result: null });
    }
  } catch (err) {
    port.postMessage({ id: m.id, ok: false, error: toErrorBody(err) });
  }
});
