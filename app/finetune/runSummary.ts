// Rows and details of training runs for the runs list and the fine-tune page, from the store
// (runs, epochs, mask versions) — nothing here trains or loads a model.
import { createHash } from 'node:crypto';
import type { ProjectStore } from '../store/projectStore.js';
import type { TrainingRunRecord } from '../store/storeTypes.js';
import type { TrainConfig } from '../engine/trainConfig.js';
import { readEpochMetrics, readMetricSummary, readRunConfig, readRunConfigOrNull, readRunMetrics } from '../engine/runRecord.js';
import { tilingOf } from '../engine/tiling.js';
import type { EpochPoint, RunDetail, RunRow, StoredEvaluation } from './runTypes.js';
import { trainedWithLabel } from './trainEngineChoice.js';

export function baseLabel(config: Pick<TrainConfig, 'model'> | null): string {
  const m = config?.model;
  if (!m) return '?';
  return m.base ?? `${m.preset ?? '?'} (scratch)`;
}

export function runRow(store: ProjectStore, run: TrainingRunRecord, opts: { live: boolean; activeRunId: number | null }): RunRow {
  const cfg = readRunConfigOrNull(run);
  const used = store.runMaskVersions(run.id);
  const train = used.filter((u) => u.split === 'train').length;
  const digest = used.length ? createHash('sha256').update(used.map((u) => `${u.maskVersionId}:${u.split}`).join('\n')).digest('hex').slice(0, 8) : '-';
  const m = readRunMetrics(run);
  const epochs = store.listRunEpochs(run.id);
  // The best so far comes from the epochs while a run trains (its summary is written at the end).
  let best: RunRow['best'] = m.best ? { mIoU: m.best.mIoU, mDice: m.best.mDice, epoch: m.bestEpoch ?? null } : null;
  if (!best) {
    for (const e of epochs) {
      const val = readEpochMetrics(e).val;
      if (val && val.mIoU !== null && (best === null || (best.mIoU ?? -1) < val.mIoU)) best = { mIoU: val.mIoU, mDice: val.mDice, epoch: e.epoch };
    }
  }
  const start = run.startedAt ? Date.parse(run.startedAt) : null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : opts.live ? Date.now() : null;
  const unfinished = run.status === 'running' || run.status === 'queued';
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    live: opts.live,
    interrupted: unfinished && !opts.live,
    base: baseLabel(cfg),
    inputSize: cfg?.inputSize ?? 0,
    epochs: cfg?.epochs ?? 0,
    epochsDone: m.epochsDone ?? (epochs.length ? epochs[epochs.length - 1]!.epoch : 0),
    data: { images: used.length, train, val: used.length - train, digest },
    best,
    durationSeconds: start !== null && end !== null ? Math.max(0, (end - start) / 1000) : null,
    createdAt: run.createdAt,
    error: run.error,
    active: opts.activeRunId === run.id,
    trainedWith: trainedWithLabel(run.metrics),
    test: storedEvaluation(m.eval.test, cfg, store),
  };
}

/**
 * An evaluation kept with a run, read back. Records written before the classes and the setting
 * were kept with them take the project's classes and the run's own input size and tiling (what
 * the evaluation used then too).
 */
export function storedEvaluation(v: unknown, cfg: TrainConfig | null, store: ProjectStore): StoredEvaluation | null {
  const summary = readMetricSummary(v);
  if (!summary) return null;
  const o = v as Record<string, unknown>;
  const t = o.tiling as StoredEvaluation['tiling'] | undefined;
  return {
    ...summary,
    classes: Array.isArray(o.classes) && o.classes.every((c) => typeof c === 'string') ? (o.classes as string[]) : ['background', ...store.listClasses().map((c) => c.name)],
    images: typeof o.images === 'number' ? o.images : 0,
    checkpoint: typeof o.checkpoint === 'string' ? o.checkpoint : '',
    at: typeof o.at === 'string' ? o.at : '',
    inputSize: typeof o.inputSize === 'number' ? o.inputSize : (cfg?.inputSize ?? 0),
    tiling: t !== undefined ? t : cfg ? tilingOf(cfg) : null,
  };
}

/** What the trainer records per epoch (trainer.ts recordEpoch): trainLoss, val, seconds. */
export function epochPoints(store: ProjectStore, runId: number): EpochPoint[] {
  return store.listRunEpochs(runId).map((e) => ({ epoch: e.epoch, ...readEpochMetrics(e) }));
}

export function runDetail(store: ProjectStore, runId: number, opts: { live: boolean; activeRunId: number | null; progress: RunDetail['progress']; lossCurve: RunDetail['lossCurve'] }): RunDetail {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no training run with id ${runId}`);
  const row = runRow(store, run, opts);
  const epochs = epochPoints(store, runId);
  const m = readRunMetrics(run);
  let best = m.best ?? null;
  if (!best && row.best?.epoch) best = epochs.find((e) => e.epoch === row.best!.epoch)?.val ?? null;
  return {
    run: row,
    config: readRunConfig(run),
    classes: ['background', ...store.listClasses().map((c) => c.name)],
    epochs,
    best,
    progress: opts.progress,
    lossCurve: opts.lossCurve,
    valSource: m.valSource ?? null,
  };
}
