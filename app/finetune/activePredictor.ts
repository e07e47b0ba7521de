// The active model loaded for prediction, kept between calls (loading a run's checkpoint takes
// seconds) and reloaded when the active run or its best checkpoint changes. Pre-annotation uses it.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';
import { checkpointDir, hasCheckpoint, readCheckpointMeta } from '../engine/runCheckpoint.js';
import { activeRunId } from './activeModel.js';

/** The project has no active model to predict with; the message says what to do. */
export class NoActiveModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoActiveModelError';
  }
}

export class ActivePredictor {
  private loaded: { key: string; engine: SegmentationEngine; name: string } | null = null;

  async engine(s: ProjectStore): Promise<{ runId: number; engine: SegmentationEngine; name: string }> {
    const runId = activeRunId(s);
    if (runId === null) {
      const trained = s.listRuns().some((r) => hasCheckpoint(checkpointDir(s.dir, r.id, 'best')) || hasCheckpoint(checkpointDir(s.dir, r.id, 'last')));
      throw new NoActiveModelError(trained ? 'no active model: choose one in Fine-tune → Runs ("Set active")' : 'this project has no fine-tuned model yet: train one in Fine-tune, then Predict fills a pre-annotation from it');
    }
    const kind = hasCheckpoint(checkpointDir(s.dir, runId, 'best')) ? 'best' : 'last';
    const key = `${s.dir}#${runId}#${readCheckpointMeta(checkpointDir(s.dir, runId, kind)).dataSha256}`;
    if (this.loaded?.key !== key) {
      this.loaded?.engine.dispose();
      this.loaded = null;
      const { openActiveEngine } = await import('./preannotate.js');
      this.loaded = { key, engine: await openActiveEngine(s, runId), name: s.getRun(runId)!.name };
    }
    return { runId, engine: this.loaded.engine, name: this.loaded.name };
  }

  /** Pre-annotates `images` (default: every image) with the active model. */
  async preannotate(s: ProjectStore, images: readonly ImageRecord[] | undefined): Promise<{ created: number; skipped: number; runId: number; ids: number[] }> {
    const { runId, engine } = await this.engine(s);
    const { preannotate } = await import('./preannotate.js');
    const r = await preannotate(s, engine, runId, images ?? s.listImages({}));
    return { created: r.created, skipped: r.skipped, runId, ids: r.ids };
  }

  close(): void {
    this.loaded?.engine.dispose();
    this.loaded = null;
  }
}
