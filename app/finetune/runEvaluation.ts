// A run's best checkpoint evaluated on a split at original resolution (confusion matrix, per-class
// IoU/Dice, per-image IoU), cached under runs/<id>/eval/ per checkpoint and data so that the
// comparison view and the heat map reopen instantly; and the comparison of two runs on the same
// images, worst first.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import type { Split } from '../store/storeTypes.js';
import { groundTruthIds } from '../dataset/groundTruth.js';
import { checkpointDir, hasCheckpoint, readCheckpointMeta, runDir } from '../engine/runCheckpoint.js';
import { tilingOf } from '../engine/tiling.js';
import type { ComparedImage, RunComparison, RunEvaluation, StoredEvaluation } from './runTypes.js';

export type EvalSplit = Extract<Split, 'test' | 'val' | 'train'>;

/** Which mask versions the split scores (its ground truth), as a digest: the cache key's data half. */
function splitDigest(store: ProjectStore, split: EvalSplit): { digest: string; count: number } {
  const ids = groundTruthIds(store, split).map(String);
  return { digest: createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16), count: ids.length };
}

export async function evaluateRun(store: ProjectStore, runId: number, split: EvalSplit = 'test'): Promise<RunEvaluation> {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no training run with id ${runId}`);
  const kind = hasCheckpoint(checkpointDir(store.dir, runId, 'best')) ? 'best' : 'last';
  const ckDir = checkpointDir(store.dir, runId, kind);
  if (!hasCheckpoint(ckDir)) throw new Error(`run ${runId} has no checkpoint yet`);
  const { digest, count } = splitDigest(store, split);
  if (count === 0) throw new Error(`the '${split}' split has no annotated images to evaluate on`);
  const meta = readCheckpointMeta(ckDir);
  const ckSha = meta.dataSha256;
  const cacheFile = join(runDir(store.dir, runId), 'eval', `${split}-${ckSha.slice(0, 16)}-${digest}.json`);
  const setting = { inputSize: meta.config.inputSize, tiling: tilingOf(meta.config) };
  if (existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as RunEvaluation;
      recordEvaluation(store, cached, ckDir, setting);
      return cached;
    } catch {
      // A damaged cache file is recomputed.
    }
  }
  const { initBackend } = await import('../tensor/backend.js');
  const { loadRunSegmenter } = await import('../engine/runModel.js');
  const { loadSplit } = await import('../engine/dataPipeline.js');
  const { summarise } = await import('../engine/evaluate.js');
  const { evaluateWithChosenEngine } = await import('./runEngine.js');
  await initBackend();
  const loaded = await loadRunSegmenter(store, runId, kind);
  try {
    const samples = await loadSplit(store, split, loaded.model.describe().inputSize, loaded.tiling);
    const { result } = await evaluateWithChosenEngine(loaded.model, loaded.meta.config, samples, { batchSize: Math.min(4, loaded.meta.config.batchSize) });
    const classes = ['background', ...store.listClasses().map((c) => c.name)];
    const evaluation: RunEvaluation = {
      runId,
      split,
      checkpoint: kind,
      classes,
      images: result.images,
      confusion: result.confusion,
      summary: summarise(result),
      perImage: result.perImage.map((p) => ({ imageId: p.imageId, name: p.name, mIoU: p.mIoU, iou: p.iou })),
    };
    recordEvaluation(store, evaluation, ckDir, setting);
    mkdirSync(join(runDir(store.dir, runId), 'eval'), { recursive: true });
    writeFileSync(`${cacheFile}.tmp`, JSON.stringify(evaluation));
    renameSync(`${cacheFile}.tmp`, cacheFile);
    return evaluation;
  } finally {
    loaded.model.dispose();
  }
}

/**
 * Keeps an evaluation with its run (metrics.eval[split]): the summary, the classes it was scored
 * on, when, and at which resolution/tiling. Evaluating again replaces it with the new date.
 */
export function recordEvaluation(store: ProjectStore, e: Pick<RunEvaluation, 'runId' | 'split' | 'summary' | 'classes' | 'images'>, checkpoint: string, setting: Pick<StoredEvaluation, 'inputSize' | 'tiling'>): void {
  const m = store.getRun(e.runId)!.metrics;
  const evals = (m.eval as Record<string, unknown> | undefined) ?? {};
  const stored: StoredEvaluation = { ...e.summary, classes: e.classes, images: e.images, checkpoint, at: new Date().toISOString(), ...setting };
  store.updateRun(e.runId, { metrics: { ...m, eval: { ...evals, [e.split]: stored } } });
}

/** Per-image IoU of two evaluations on the images both scored, worst first (lower of the two mIoUs). */
export function compareEvaluations(a: RunEvaluation, b: RunEvaluation): ComparedImage[] {
  const bBy = new Map(b.perImage.map((p) => [p.imageId, p]));
  const rows: ComparedImage[] = [];
  for (const pa of a.perImage) {
    const pb = bBy.get(pa.imageId);
    if (!pb) continue;
    rows.push({ imageId: pa.imageId, name: pa.name, a: pa.mIoU, b: pb.mIoU, delta: pa.mIoU === null || pb.mIoU === null ? null : pb.mIoU - pa.mIoU });
  }
  const key = (r: ComparedImage): number => Math.min(r.a ?? 2, r.b ?? 2);
  return rows.sort((x, y) => key(x) - key(y) || x.imageId - y.imageId);
}

export async function compareRuns(store: ProjectStore, a: number, b: number, split: EvalSplit = 'test'): Promise<RunComparison> {
  const ea = await evaluateRun(store, a, split);
  const eb = await evaluateRun(store, b, split);
  return { split, a: ea, b: eb, images: compareEvaluations(ea, eb) };
}
