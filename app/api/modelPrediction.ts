// "Predict": a pre-annotation of one project image from the project's active fine-tuned model —
// the project's active model (Fine-tune → Runs), else the newest completed training run.
// Runs in the SAM worker thread, beside the interactive predictor.
import { readFileSync } from 'node:fs';
import type { LabelMask } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import type { ProjectStore } from '../store/projectStore.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';
import { activeRunId } from '../finetune/activeModel.js';
import { checkpointDir, hasCheckpoint } from '../engine/runCheckpoint.js';

/** The run "Predict" uses: the project's active model, else the newest completed run with a checkpoint. */
export function activeRun(store: ProjectStore): { id: number; name: string } {
  const chosen = activeRunId(store);
  if (chosen !== null) return store.getRun(chosen)!;
  const done = store
    .listRuns()
    .filter((r) => r.status === 'completed' && (hasCheckpoint(checkpointDir(store.dir, r.id, 'best')) || hasCheckpoint(checkpointDir(store.dir, r.id, 'last'))))
    .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? '') || a.id - b.id);
  const last = done.at(-1);
  if (!last) throw new ApiError('unavailable', 'this project has no fine-tuned model yet: train one in Fine-tune, then Predict fills a pre-annotation from it');
  return last;
}

export class ModelPredictor {
  private store: ProjectStore | null = null;
  private engine: { key: string; engine: SegmentationEngine } | null = null;

  private async openStore(projectDir: string): Promise<ProjectStore> {
    if (this.store?.dir !== projectDir) {
      this.store?.close();
      const { ProjectStore } = await import('../store/projectStore.js');
      this.store = ProjectStore.open(projectDir);
    }
    return this.store;
  }

  async predict(projectDir: string, imageId: number): Promise<{ mask: LabelMask; model: string; runId: number }> {
    const store = await this.openStore(projectDir);
    const image = store.getImage(imageId);
    if (!image) throw new ApiError('not-found', `no image with id ${imageId}`);
    const run = activeRun(store);
    const key = `${projectDir}:${run.id}`;
    if (this.engine?.key !== key) {
      const { initBackend } = await import('../tensor/backend.js');
      await initBackend();
      const { openRunSegmentation } = await import('../onnx/runExport.js');
      this.engine = { key, engine: await openRunSegmentation(store, run.id, { checkpoint: 'auto' }) };
    }
    const { decodeImageRgb } = await import('../images/imageIO.js');
    const { predictImages } = await import('../batch/batchPredict.js');
    const file = store.imagePath(image);
    const rgb = await decodeImageRgb(readFileSync(file), file);
    const [prediction] = await predictImages(this.engine.engine, [rgb]);
    return { mask: { width: rgb.width, height: rgb.height, data: prediction!.map }, model: run.name, runId: run.id };
  }

  close(): void {
    this.store?.close();
    this.store = null;
    this.engine = null;
  }
}
