// Ground truth vs a run's prediction on one project image (the annotator's review view): the run's
// class map and the image's per-class IoU against its latest mask, scored exactly as a run
// evaluation scores one image (scoreImage, the mmseg convention: a class absent from both truth
// and prediction has no IoU and stays out of the mean). Reads only: the view never changes a mask.
// The prediction itself runs in a job worker (app/api/jobWorkerMain.ts), never on the main thread.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import { scoreImage } from '../metrics/segmentationMetrics.js';
import { autoCheckpointKind } from '../engine/runCheckpoint.js';
import { openActiveEngine, predictImage } from './preannotate.js';

export interface ClassIoU {
  /** 0 = background, then the project's classes. */
  index: number;
  name: string;
  /** null when the class is in neither the ground truth nor the prediction (shown as "—"). */
  iou: number | null;
  truthPixels: number;
  predictedPixels: number;
}

export interface ImageIoU {
  classes: ClassIoU[];
  /** Mean over the scored classes, background included (the Runs page's per-image mIoU). */
  mIoU: number | null;
  /** The same over the defect classes only. */
  mIoUDefects: number | null;
}

export interface PredictionReview {
  imageId: number;
  runId: number;
  runName: string;
  checkpoint: 'best' | 'last';
  /** The run's class map at the image's size (row-major, class indices). */
  prediction: { width: number; height: number; data: Uint8Array };
  /** The mask version scored as ground truth; null when the image has no mask (then no scores). */
  truth: { maskVersionId: number; version: number } | null;
  iou: ImageIoU | null;
}

/** Per-class IoU of one image's prediction against its ground truth; classNames[0] is background. */
export function imageIoU(truth: Uint8Array, prediction: Uint8Array, classNames: readonly string[], what = 'image'): ImageIoU {
  const { metrics } = scoreImage(prediction, truth, classNames.length, { what, classNames });
  return {
    classes: metrics.perClass.map((c) => ({ index: c.index, name: c.name, iou: c.iou, truthPixels: c.support, predictedPixels: c.tp + c.fp })),
    mIoU: metrics.mIoU,
    mIoUDefects: metrics.mIoUDefects,
  };
}

/** Run `runId`'s predictions of `images` (its model opened once) and their IoU against their latest masks. */
export async function reviewPredictions(store: ProjectStore, runId: number, images: readonly ImageRecord[]): Promise<PredictionReview[]> {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no training run with id ${runId}`);
  const checkpoint = autoCheckpointKind(store.dir, runId);
  const classNames = ['background', ...store.listClasses().map((c) => c.name)];
  const engine = await openActiveEngine(store, runId);
  try {
    const out: PredictionReview[] = [];
    for (const image of images) {
      const predicted = await predictImage(store, engine, image);
      const latest = store.latestMask(image.id);
      out.push({
        imageId: image.id,
        runId,
        runName: run.name,
        checkpoint,
        prediction: { width: image.width, height: image.height, data: predicted },
        truth: latest ? { maskVersionId: latest.id, version: latest.version } : null,
        iou: latest ? imageIoU(store.readMask(latest), predicted, classNames, image.originalName) : null,
      });
    }
    return out;
  } finally {
    engine.dispose();
  }
}
