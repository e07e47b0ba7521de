// What a training run produced, as the fine-tune use cases report it: run rows, per-epoch
// curves, evaluations and comparisons. The API contract (app/api/fineTuneTypes.ts) re-exports them.
import type { TrainConfig } from '../engine/trainConfig.js';
import type { MetricSummary, ProgressEvent } from '../engine/trainEvents.js';
import type { RunStatus } from '../store/storeTypes.js';

export interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  /** Training in this server process right now. */
  live: boolean;
  /** Left 'running' or 'queued' by a process that is gone (closed or crashed): resumable. */
  interrupted: boolean;
  /** Library base model, or 'tiny (scratch)'. */
  base: string;
  inputSize: number;
  epochs: number;
  epochsDone: number;
  /** Annotated images the run used (train + validation) and a short digest of those mask versions. */
  data: { images: number; train: number; val: number; digest: string };
  best: { mIoU: number | null; mDice: number | null; epoch: number | null } | null;
  durationSeconds: number | null;
  createdAt: string;
  error: string | null;
  active: boolean;
  /** The engine and execution provider that trained the run, e.g. 'ONNX Runtime (cpu)'; null if not recorded. */
  trainedWith: string | null;
  /** The latest evaluation on the test split kept with the run (null: never evaluated). */
  test: StoredEvaluation | null;
}

export interface EpochPoint {
  epoch: number;
  trainLoss: number | null;
  val: MetricSummary | null;
  seconds: number | null;
}

export interface RunDetail {
  run: RunRow;
  config: TrainConfig;
  /** 'background' then the project's classes. */
  classes: string[];
  epochs: EpochPoint[];
  /** Best checkpoint's per-class IoU/Dice on validation (null when none yet). */
  best: MetricSummary | null;
  /** The latest progress event (live runs), for the progress bar after a reload. */
  progress: ProgressEvent | null;
  /** Loss per optimiser step seen by this server (live runs). */
  lossCurve: { step: number; loss: number }[];
  valSource: string | null;
}

export interface ImageScore {
  imageId: number;
  name: string;
  mIoU: number | null;
  iou: (number | null)[];
}

export interface RunEvaluation {
  runId: number;
  split: string;
  checkpoint: string;
  classes: string[];
  images: number;
  /** confusion[t][p]: pixels of true class t predicted as p, at original resolution. */
  confusion: number[][];
  summary: MetricSummary;
  perImage: ImageScore[];
}

/** An evaluation as kept with its run (run metrics eval[split]); the Runs table's Test columns. */
export interface StoredEvaluation extends MetricSummary {
  /** 'background' then the project's classes at evaluation time (names of iou[] / dice[]). */
  classes: string[];
  images: number;
  /** The checkpoint folder evaluated. */
  checkpoint: string;
  /** ISO time of the evaluation. */
  at: string;
  /** The model's input side S, and the tiling it predicted with (null: whole image resized to S). */
  inputSize: number;
  tiling: { tile: number; overlap: number; scale: number } | null;
}

export interface ComparedImage {
  imageId: number;
  name: string;
  a: number | null;
  b: number | null;
  /** b − a (null when either is). */
  delta: number | null;
}

export interface RunComparison {
  split: string;
  a: RunEvaluation;
  b: RunEvaluation;
  /** Images scored by both, worst first (by the lower of the two mIoUs). */
  images: ComparedImage[];
}
