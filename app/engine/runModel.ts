// A trained run as a ready model: rebuilds the segmenter from the checkpoint's config and base
// model (refusing a base whose hash changed) and loads the trained tensors. Used by eval, segment
// and the batch feature.
import type { ProjectStore } from '../store/projectStore.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import { autoCheckpointKind, checkpointDir, hasCheckpoint, readCheckpoint, type CheckpointKind, type CheckpointMeta } from './runCheckpoint.js';
import { buildSegmenter } from './modelFactory.js';
import { fromHost } from './trainer.js';
import { resizeForInput, resizeForTiling } from './dataPipeline.js';
import { tilingOf, type TilingSpec } from './tiling.js';
import { predictClassMaps } from './evaluate.js';
import type { RgbImage } from '../model/sam/transforms.js';

export interface LoadedRun {
  model: TrainableSegmenter;
  meta: CheckpointMeta;
  checkpointPath: string;
  /** How the run applies its model (null = whole image resized to S). */
  tiling: TilingSpec | null;
}

/** Loads run `runId`'s `best` checkpoint (or `last`; 'auto' = best if present, else last). */
export async function loadRunSegmenter(store: ProjectStore, runId: number, kind: CheckpointKind | 'auto' = 'auto'): Promise<LoadedRun> {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no training run with id ${runId} in ${store.dir}`);
  const chosen: CheckpointKind = kind !== 'auto' ? kind : autoCheckpointKind(store.dir, runId);
  const dir = checkpointDir(store.dir, runId, chosen);
  if (!hasCheckpoint(dir)) throw new Error(`run ${runId} has no ${chosen} checkpoint (${dir}); it was ${run.status} before its first epoch ended`);
  const ck = readCheckpoint(dir);
  const numClasses = store.classCount() + 1;
  if (ck.meta.numClasses !== numClasses) throw new Error(`${dir}: trained for ${ck.meta.numClasses} classes (incl. background), the project now has ${numClasses}`);
  const built = await buildSegmenter(ck.meta.config, ck.meta.numClasses);
  try {
    if ((ck.meta.base?.sha256 ?? null) !== (built.base?.sha256 ?? null)) {
      throw new Error(`${dir}: trained on base model '${ck.meta.base?.name}' (sha256 ${ck.meta.base?.sha256?.slice(0, 12)}…) but the library's '${built.base?.name}' has sha256 ${built.base?.sha256?.slice(0, 12)}…; re-import the original base model`);
    }
    const tensors = new Map([...ck.model].map(([k, h]) => [k, fromHost(h)]));
    try {
      built.model.importTrained(tensors);
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  return { model: built.model, meta: ck.meta, checkpointPath: dir, tiling: tilingOf(ck.meta.config) };
}

/** Class-index map (original size) of one RGB image (tiled when the run trained tiled). */
export function segmentRgb(model: TrainableSegmenter, img: RgbImage, tiling: TilingSpec | null = null): Uint8Array {
  const resized = tiling ? resizeForTiling(img, tiling) : resizeForInput(img, model.describe().inputSize);
  return predictClassMaps(model, [{ resized, width: img.width, height: img.height, tiling }])[0]!;
}
