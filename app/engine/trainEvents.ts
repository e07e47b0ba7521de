// What a training run reports while it runs. Plain JSON: the events cross the worker boundary
// (postMessage) and the API/UI stream them unchanged.

/** Dataset-level evaluation summary (see evaluate.ts for the full result). */
export interface MetricSummary {
  /** Over all classes including background (the headline figure). */
  mIoU: number | null;
  mDice: number | null;
  /** Over the defect classes only. */
  mIoUDefects: number | null;
  mDiceDefects: number | null;
  pixelAccuracy: number | null;
  /** Per class index 0..K (null where a class is absent from both truth and prediction). Means skip nulls. */
  iou: (number | null)[];
  dice: (number | null)[];
}

export interface StartedEvent {
  type: 'started';
  runId: number;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  trainImages: number;
  valImages: number;
  valSource: 'val' | 'held-out' | 'train';
  /** Set when continuing from a checkpoint. */
  resumedAt: { epochsDone: number; step: number } | null;
  trainableParams: number;
  totalParams: number;
  backend: string;
}

export interface ProgressEvent {
  type: 'progress';
  runId: number;
  /** 1-based epoch in progress. */
  epoch: number;
  epochs: number;
  /** Optimiser steps done (1-based after the first step). */
  step: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface EpochEvent {
  type: 'epoch';
  runId: number;
  epoch: number;
  epochs: number;
  trainLoss: number;
  val: MetricSummary;
  isBest: boolean;
  epochsWithoutImprovement: number;
  seconds: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  runId: number;
  kind: 'last' | 'best';
  epochsDone: number;
  step: number;
  path: string;
}

export interface FinishedEvent {
  type: 'finished';
  runId: number;
  status: 'completed' | 'cancelled';
  /** Why the loop ended ('epochs' | 'early-stopping' | 'cancelled'). */
  reason: 'epochs' | 'early-stopping' | 'cancelled';
  epochsDone: number;
  step: number;
  bestEpoch: number | null;
  best: MetricSummary | null;
  last: MetricSummary | null;
  seconds: number;
}

export interface FailedEvent {
  type: 'failed';
  runId: number | null;
  error: string;
}

export interface LogEvent {
  type: 'log';
  runId: number | null;
  message: string;
}

export type TrainEvent = StartedEvent | ProgressEvent | EpochEvent | CheckpointEvent | FinishedEvent | FailedEvent | LogEvent;

/** One line of human-readable progress (CLI). */
export function formatEvent(e: TrainEvent): string | null {
  const pct = (v: number | null): string => (v === null ? '-' : (100 * v).toFixed(2));
  switch (e.type) {
    case 'started':
      return (
        `run ${e.runId}: ${e.trainImages} training / ${e.valImages} validation images (${e.valSource}), ${e.epochs} epochs × ${e.stepsPerEpoch} steps, ` +
        `${e.trainableParams.toLocaleString('en')} of ${e.totalParams.toLocaleString('en')} parameters trained, backend ${e.backend}` +
        (e.resumedAt ? `; resuming after epoch ${e.resumedAt.epochsDone}, step ${e.resumedAt.step}` : '')
      );
    case 'progress':
      return `epoch ${e.epoch}/${e.epochs} step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} lr ${e.learningRate.toExponential(2)} ${e.imagesPerSecond.toFixed(2)} img/s ETA ${formatSeconds(e.etaSeconds)}`;
    case 'epoch':
      return `epoch ${e.epoch}/${e.epochs} done in ${formatSeconds(e.seconds)}: train loss ${e.trainLoss.toFixed(4)}, val mIoU ${pct(e.val.mIoU)} % mDice ${pct(e.val.mDice)} % (defects: mIoU ${pct(e.val.mIoUDefects)} %), pixel acc ${pct(e.val.pixelAccuracy)} %${e.isBest ? ' (best)' : ''}`;
    case 'checkpoint':
      return null;
    case 'finished':
      return `run ${e.runId} ${e.status} (${e.reason}) after ${e.epochsDone} epochs, ${e.step} steps, ${formatSeconds(e.seconds)}` + (e.best ? `; best epoch ${e.bestEpoch}: val mIoU ${pct(e.best.mIoU)} %, mDice ${pct(e.best.mDice)} %` : '');
    case 'failed':
      return `run ${e.runId ?? '?'} failed: ${e.error}`;
    case 'log':
      return e.message;
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
