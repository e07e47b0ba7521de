// The fine-tune / results / batch handlers of the API: parameter checks, then one use-case call
// (app/finetune/ for runs, presets, evaluation and the active model; app/batch/ for batch jobs).
// ApiService mounts these handlers; heavy modules (tfjs, ONNX Runtime) load on first use.
import { isAbsolute, join, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import type { TrainEvent } from '../engine/trainEvents.js';
import { activeModelInfo, activeRunId, NoActiveModelError, requireActiveRun, setActiveRun } from '../finetune/activeModel.js';
import { TrainingRuns } from '../finetune/trainingRuns.js';
import { trainingPreset, type Calibrate } from '../finetune/trainingPreset.js';
import type { RunComparison, RunEvaluation } from '../finetune/runTypes.js';
import { deleteRun, renameRun } from '../finetune/runManagement.js';
import { MAX_RUN_NAME } from '../store/runs.js';
import type { RunExportSummary } from '../onnx/runExport.js';
import type { PreannotateResult } from '../finetune/preannotate.js';
import type { Calibration } from '../finetune/trainCalibration.js';
import { BatchJobRunner } from '../batch/batchJobRunner.js';
import { batchItemRows } from '../batch/batchJobRows.js';
import type { BatchJobOptions } from '../batch/batchJobPreparation.js';
import type { BatchRunResult } from '../batch/batchSegmentation.js';
import { runJobInWorker } from './jobWorkerClient.js';
import type { ApiEvent } from './apiTypes.js';
import type { FineTuneApiMethods } from './fineTuneTypes.js';
import { ApiError } from './apiErrors.js';
import { asObject, intList, optBool, optInt, optString, reqInt, reqString } from './paramCheck.js';

type Handlers = { [M in keyof FineTuneApiMethods]: (p: Record<string, unknown>) => Promise<FineTuneApiMethods[M]['result']> | FineTuneApiMethods[M]['result'] };

export interface FineTuneContext {
  requireStore(): ProjectStore;
  requireImage(id: number): ImageRecord;
  emit(e: ApiEvent): void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Runs `fn`, answering a failure as `code` (evaluation and prediction need a model that may be missing). */
async function answerFailureAs<T>(code: 'unavailable' | 'bad-request', fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ApiError(code, message(err));
  }
}

export class FineTuneService {
  private readonly runs: TrainingRuns;
  private readonly batches: BatchJobRunner;
  readonly handlers: Handlers;

  constructor(private readonly ctx: FineTuneContext) {
    this.runs = new TrainingRuns((projectDir, e) => this.onTrainEvent(projectDir, e));
    // Model jobs run in worker threads (jobWorkerMain.ts): this thread never runs a tensor op or an
    // ONNX Runtime session and keeps answering the UI meanwhile.
    this.batches = new BatchJobRunner(
      {
        progress: (progress) => ctx.emit({ type: 'batch.progress', progress }),
        changed: (jobId) => ctx.emit({ type: 'batch.changed', jobId }),
        finished: (end) => ctx.emit({ type: 'batch.finished', ...end }),
      },
      (projectDir, jobId, onProgress) => runJobInWorker<BatchRunResult>({ task: 'batch', projectDir, jobId }, { onProgress }),
    );
    const store = () => ctx.requireStore();
    const runsChanged = () => ctx.emit({ type: 'runs.changed' });
    this.handlers = {
      'training.preset': () => trainingPreset(store(), calibrateInWorker),
      'training.start': async (p) => {
        const s = store();
        const overrides = p.config === undefined ? {} : asObject(p.config, 'config');
        const runId = await this.runs.start(s, overrides, (await trainingPreset(s, calibrateInWorker)).config, optString(p, 'name', 200));
        runsChanged();
        return { runId };
      },
      'training.cancel': async (p) => ({ cancelled: await this.runs.cancel(store().dir, reqInt(p, 'runId', 1)) }),
      'training.resume': async (p) => {
        const runId = reqInt(p, 'runId', 1);
        await this.runs.resume(store().dir, runId);
        runsChanged();
        return { runId };
      },
      'training.runs': () => this.runs.list(store()),
      'training.run': (p) => this.runs.detail(store(), this.requireRun(reqInt(p, 'runId', 1))),
      'training.evaluate': (p) => {
        const [runId, split] = [reqInt(p, 'runId', 1), evalSplit(p)];
        // The evaluation is kept with the run: the runs list changes with it.
        return answerFailureAs('unavailable', () => runJobInWorker<RunEvaluation>({ task: 'evaluate', projectDir: store().dir, runId, split }).done).then((r) => (runsChanged(), r));
      },
      'training.rename': (p) => {
        const r = renameRun(store(), this.requireRun(reqInt(p, 'runId', 1)), reqString(p, 'name', MAX_RUN_NAME));
        runsChanged();
        return r;
      },
      'training.delete': (p) => {
        const s = store();
        const r = deleteRun(s, this.requireRun(reqInt(p, 'runId', 1)), {
          training: (id) => this.runs.isLive(s.dir, id),
          batchJobsUsing: (id) => this.batches.liveJobsOfRun(s, id),
        }, { clearActive: optBool(p, 'clearActive') ?? false });
        runsChanged();
        return r;
      },
      'training.export': (p) => {
        const runId = this.requireRun(reqInt(p, 'runId', 1));
        const format = reqString(p, 'format');
        if (format !== 'onnx' && format !== 'triton') throw new ApiError('bad-request', `'format' must be onnx or triton, got '${format}'`);
        const options = { format, out: absolute(reqString(p, 'out')), name: optString(p, 'name', 100) } as const;
        return answerFailureAs('bad-request', () => runJobInWorker<RunExportSummary>({ task: 'export', projectDir: store().dir, runId, options }).done);
      },
      'training.compare': (p) => {
        const [a, b, split] = [reqInt(p, 'a', 1), reqInt(p, 'b', 1), evalSplit(p)];
        return answerFailureAs('unavailable', () => runJobInWorker<RunComparison>({ task: 'compare', projectDir: store().dir, a, b, split }).done);
      },
      'model.active': () => activeModelInfo(store()),
      'model.setActive': async (p) => {
        const s = store();
        const runId = p.runId === null ? null : reqInt(p, 'runId', 1);
        await answerFailureAs('bad-request', () => setActiveRun(s, runId));
        runsChanged();
        return activeModelInfo(s);
      },
      'model.preannotate': async (p) => {
        const s = store();
        let runId: number;
        try {
          runId = requireActiveRun(s);
        } catch (err) {
          throw err instanceof NoActiveModelError ? new ApiError('unavailable', err.message) : err;
        }
        const imageIds = p.imageIds === undefined ? null : intList(p, 'imageIds').map((id) => ctx.requireImage(id).id);
        const r = await runJobInWorker<PreannotateResult>({ task: 'preannotate', projectDir: s.dir, runId, imageIds }).done;
        if (r.ids.length) ctx.emit({ type: 'images.changed', ids: r.ids });
        return { created: r.created, skipped: r.skipped, runId };
      },
      'batch.plan': (p) => this.batches.plan(store(), batchJobOptions(store(), p)),
      'batch.start': (p) => this.batches.start(store(), { ...batchJobOptions(store(), p), overwrite: optBool(p, 'overwrite') ?? false }),
      'batch.jobs': () => this.batches.jobs(store()),
      'batch.items': (p) => batchItemRows(store(), this.requireJob(reqInt(p, 'jobId', 1)), { limit: optInt(p, 'limit', 1) ?? 500, offset: optInt(p, 'offset', 0) ?? 0 }),
      'batch.cancel': (p) => ({ cancelled: this.batches.cancel(store().dir, reqInt(p, 'jobId', 1)) }),
      'batch.resume': (p) => {
        const jobId = this.requireJob(reqInt(p, 'jobId', 1));
        this.batches.resume(store(), jobId);
        return { jobId };
      },
    };
  }

  close(): void {
    this.batches.close();
  }

  private requireRun(runId: number): number {
    if (!this.ctx.requireStore().getRun(runId)) throw new ApiError('not-found', `no training run with id ${runId}`);
    return runId;
  }

  private requireJob(jobId: number): number {
    if (!this.ctx.requireStore().getBatchJob(jobId)) throw new ApiError('not-found', `no batch job with id ${jobId}`);
    return jobId;
  }

  /** Training events reach the UI only while their project is the open one. */
  private onTrainEvent(projectDir: string, e: TrainEvent): void {
    let current: string | null = null;
    try {
      current = this.ctx.requireStore().dir;
    } catch {
      current = null;
    }
    if (current !== projectDir) return;
    this.ctx.emit({ type: 'training.event', event: e });
    if (e.type === 'finished' || e.type === 'failed' || e.type === 'started' || e.type === 'epoch') this.ctx.emit({ type: 'runs.changed' });
  }
}

/** The preset's speed calibration, in a job worker (a few ONNX Runtime training steps). */
const calibrateInWorker: Calibrate = (req) => runJobInWorker<Calibration>({ task: 'calibrate', ...req }).done;

function evalSplit(p: Record<string, unknown>): 'test' | 'val' | 'train' {
  const v = p.split ?? 'test';
  if (v !== 'test' && v !== 'val' && v !== 'train') throw new ApiError('bad-request', `'split' must be test, val or train`);
  return v;
}

/** batch.plan / batch.start parameters as the job's options (the report goes into the output folder). */
function batchJobOptions(s: ProjectStore, p: Record<string, unknown>): BatchJobOptions {
  const input = absolute(reqString(p, 'input'));
  const output = absolute(reqString(p, 'output'));
  const model = optString(p, 'model');
  const runId = optInt(p, 'runId', 1) ?? (model === undefined ? activeRunId(s) ?? undefined : undefined);
  if (runId === undefined && model === undefined) throw new ApiError('bad-request', 'choose a run or an exported model (the project has no active model)');
  return {
    input,
    output,
    model: model !== undefined ? { kind: 'model', path: absolute(model) } : { kind: 'run', runId: runId!, checkpoint: 'auto' },
    overlay: optBool(p, 'overlay') ?? false,
    recursive: optBool(p, 'recursive') ?? false,
    report: join(resolve(output), 'report.csv'),
  };
}

function absolute(p: string): string {
  if (!isAbsolute(p)) throw new ApiError('bad-request', `'${p}' must be an absolute path`);
  return resolve(p);
}
