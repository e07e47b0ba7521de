// API contract of fine-tuning, run results, the active model, pre-annotations and batch
// segmentation. Types only (the renderer imports them); merged into ApiMethods / ApiEvent.
import type { TrainConfig } from '../engine/trainConfig.js';
import type { MetricSummary, TrainEvent, ProgressEvent } from '../engine/trainEvents.js';
import type { TrainingPreset, HardwareFacts, DatasetFacts } from '../finetune/hardwarePreset.js';
import type { BatchProgress } from '../batch/batchSegmentation.js';
import type { BatchReport } from '../batch/batchReport.js';
import type { PresetInfo } from '../finetune/trainingPreset.js';
import type { BatchJobRow, BatchItemRow } from '../batch/batchJobRows.js';
import type { BatchJobPlan } from '../batch/batchJobPreparation.js';
import type { BatchOutcome } from '../batch/batchOutcome.js';
import type { RunRow, EpochPoint, RunDetail, ImageScore, RunEvaluation, ComparedImage, RunComparison, StoredEvaluation } from '../finetune/runTypes.js';
import type { RunDeleteResult } from '../finetune/runManagement.js';
import type { RunExportFormat, RunExportSummary } from '../onnx/runExport.js';

export type { TrainConfig, MetricSummary, TrainEvent, ProgressEvent, TrainingPreset, HardwareFacts, DatasetFacts, BatchProgress, BatchReport };
export type { RunRow, EpochPoint, RunDetail, ImageScore, RunEvaluation, ComparedImage, RunComparison, StoredEvaluation, RunDeleteResult, RunExportFormat, RunExportSummary };
export type { PresetInfo, BatchJobRow, BatchItemRow, BatchJobPlan, BatchOutcome };

/** The folders, model and options of a batch job (batch.plan, batch.start). */
export interface BatchJobParams {
  input: string;
  output: string;
  runId?: number;
  model?: string;
  overlay?: boolean;
  recursive?: boolean;
}

export interface FineTuneApiMethods {
  'training.preset': { params: Record<string, never>; result: PresetInfo };
  /** Starts a run from the hardware preset with `config` overrides (Advanced panel). */
  'training.start': { params: { config?: Record<string, unknown>; name?: string }; result: { runId: number } };
  'training.cancel': { params: { runId: number }; result: { cancelled: boolean } };
  'training.resume': { params: { runId: number }; result: { runId: number } };
  'training.runs': { params: Record<string, never>; result: RunRow[] };
  'training.run': { params: { runId: number }; result: RunDetail };
  /** Evaluates a run's best checkpoint on a split (cached per checkpoint and data). */
  'training.evaluate': { params: { runId: number; split?: 'test' | 'val' | 'train' }; result: RunEvaluation };
  /** A new display name for a run (shown wherever the run is named). */
  'training.rename': { params: { runId: number; name: string }; result: { runId: number; name: string } };
  /** Deletes a run for good (records and folder); refused while it trains; the active model needs clearActive. */
  'training.delete': { params: { runId: number; clearActive?: boolean }; result: RunDeleteResult };
  /** Exports a run's model as ONNX + model.json or as a Triton repository into an empty folder (in a job worker). */
  'training.export': { params: { runId: number; format: RunExportFormat; out: string; name?: string }; result: RunExportSummary };
  'training.compare': { params: { a: number; b: number; split?: 'test' | 'val' | 'train' }; result: RunComparison };
  'model.active': { params: Record<string, never>; result: { runId: number | null; name: string | null } };
  'model.setActive': { params: { runId: number | null }; result: { runId: number | null; name: string | null } };
  /** The active model's predictions as mask versions (source 'model') on images without a human mask. */
  'model.preannotate': { params: { imageIds?: number[] }; result: { created: number; skipped: number; runId: number } };
  /** What batch.start would do (resume, or a new job and the output files it would replace); writes nothing. */
  'batch.plan': { params: BatchJobParams; result: BatchJobPlan };
  /** A new job whose output holds files it would write is refused unless `overwrite`. */
  'batch.start': { params: BatchJobParams & { overwrite?: boolean }; result: { jobId: number; resumed: boolean } };
  'batch.jobs': { params: Record<string, never>; result: BatchJobRow[] };
  'batch.items': { params: { jobId: number; limit?: number; offset?: number }; result: { total: number; items: BatchItemRow[] } };
  'batch.cancel': { params: { jobId: number }; result: { cancelled: boolean } };
  'batch.resume': { params: { jobId: number }; result: { jobId: number } };
}

export const FINETUNE_API_METHODS: readonly (keyof FineTuneApiMethods)[] = [
  'training.preset', 'training.start', 'training.cancel', 'training.resume', 'training.runs', 'training.run', 'training.evaluate', 'training.compare', 'training.rename', 'training.delete', 'training.export',
  'model.active', 'model.setActive', 'model.preannotate',
  'batch.plan', 'batch.start', 'batch.jobs', 'batch.items', 'batch.cancel', 'batch.resume',
];

export type FineTuneEvent =
  | { type: 'training.event'; event: TrainEvent }
  | { type: 'runs.changed' }
  | { type: 'batch.progress'; progress: BatchProgress }
  | { type: 'batch.changed'; jobId: number }
  /** A batch job ended; `message` says how, in words (shown on whatever page is open). */
  | { type: 'batch.finished'; jobId: number; projectDir: string; outcome: BatchOutcome; message: string };
