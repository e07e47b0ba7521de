// Pre-annotation: the active model's predictions become mask versions (source 'model', with the
// run id) for review in the annotator — never on top of a human mask (an image whose latest mask
// is manual, SAM-accepted or imported is skipped), so the label → train → better pre-annotation
// loop never overwrites work.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import { decodeImageRgb } from '../images/imageIO.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';

/** Whether an image may receive a prediction: no mask yet, or only earlier predictions. */
export function acceptsPrediction(store: ProjectStore, image: ImageRecord): boolean {
  const latest = store.latestMask(image.id);
  return latest === null || latest.source === 'model';
}

export async function openActiveEngine(store: ProjectStore, runId: number): Promise<SegmentationEngine> {
  const { initBackend } = await import('../tensor/backend.js');
  await initBackend();
  const { openRunSegmentation } = await import('../onnx/runExport.js');
  return openRunSegmentation(store, runId, { checkpoint: 'auto' });
}

/** The class map of one project image predicted by `engine`. */
export async function predictImage(store: ProjectStore, engine: SegmentationEngine, image: ImageRecord): Promise<Uint8Array> {
  const path = store.imagePath(image);
  const { readFileSync } = await import('node:fs');
  const rgb = await decodeImageRgb(readFileSync(path), image.originalName);
  const [map] = await engine.segment([rgb]);
  return map!;
}

export interface PreannotateResult {
  created: number;
  skipped: number;
  ids: number[];
}

/** Adds a 'model' mask version to each of `images` that accepts one; returns what was done. */
export async function preannotate(store: ProjectStore, engine: SegmentationEngine, runId: number, images: readonly ImageRecord[], onProgress?: (done: number, total: number) => void): Promise<PreannotateResult> {
  let created = 0;
  let skipped = 0;
  const ids: number[] = [];
  let done = 0;
  for (const image of images) {
    if (!acceptsPrediction(store, image)) skipped++;
    else {
      const map = await predictImage(store, engine, image);
      const latest = store.latestMask(image.id);
      // The same prediction again adds nothing.
      if (latest && latest.source === 'model' && latest.runId === runId && Buffer.from(store.readMask(latest)).equals(Buffer.from(map))) skipped++;
      else {
        store.addMaskVersion(image.id, map, { source: 'model', runId, note: `pre-annotation by run ${runId}` });
        created++;
        ids.push(image.id);
      }
    }
    onProgress?.(++done, images.length);
  }
  return { created, skipped, ids };
}
