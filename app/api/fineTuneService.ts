// The fine-tune / results / batch half of the API: starts and follows training runs (worker
// threads of the engine's TrainingService), evaluates and compares runs, keeps the active model,
// writes pre-annotations and runs batch segmentation jobs. Lives beside ApiService, which mounts
// these handlers; heavy modules (tfjs, ONNX Runtime) load on first use.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { ProjectStore as Store } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import type { TrainingService } from '../engine/trainingService.js';
import type { ProgressEvent, TrainEvent } from '../engine/trainEvents.js';
import { resolveTrainConfig, type TrainConfig } from '../engine/trainConfig.js';
import { checkpointDir, hasCheckpoint, readCheckpointMeta, runDir } from '../engine/runCheckpoint.js';
import type { SegmentationEngine } from '../onnx/ortSegmenter.js';
import { chooseTrainingPreset, presetOverrides, type HardwareFacts } from '../finetune/hardwarePreset.js';
import { runDetail, runRow } from '../finetune/runSummary.js';
import { activeRunId, setActiveRun } from '../finetune/activeModel.js';
import type { BatchJobConfig, BatchProgress } from '../batch/batchSegmentation.js';
import type { BatchItemResult } from '../batch/batchReport.js';
import type { ApiEvent } from './apiTypes.js';
import type { BatchItemRow, BatchJobRow, FineTuneApiMethods, PresetInfo } from './fineTuneTypes.js';
import { ApiError } from './apiErrors.js';
import { asObject, intList, optBool, optInt, optString, reqInt, reqString } from './paramCheck.js';

type Handlers = { [M in keyof FineTuneApiMethods]: (p: Record<string, unknown>) => Promise<FineTuneApiMethods[M]['result']> | FineTuneApiMethods[M]['result'] };

export interface FineTuneContext {
  requireStore(): ProjectStore;
  requireImage(id: number): ImageRecord;
  emit(e: ApiEvent): void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const LOSS_POINTS_KEPT = 5000;

/** Whether the process whose pid a lock file holds (another serve or CLI process) is alive. */
function pidFileAlive(file: string): boolean {
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lockAlive(projectDir: string, runId: number): boolean {
  return pidFileAlive(join(runDir(projectDir, runId), 'lock'));
}

export class FineTuneService {
  private trainingService: TrainingService | null = null;
  private readonly progress = new Map<string, ProgressEvent>();
  private readonly loss = new Map<string, { step: number; loss: number }[]>();
  private readonly batches = new Map<string, { stop: boolean; done: Promise<void> }>();
  private predictor: { key: string; engine: SegmentationEngine; name: string } | null = null;
  readonly handlers: Handlers;

  constructor(private readonly ctx: FineTuneContext) {
    const store = () => ctx.requireStore();
    this.handlers = {
      'training.preset': () => this.preset(store()),
      'training.start': async (p) => {
        const s = store();
        const base = (await this.preset(s)).config;
        let config: TrainConfig;
        try {
          config = resolveTrainConfig(p.config === undefined ? {} : asObject(p.config, 'config'), base);
          const { validateModelOptions } = await import('../engine/modelFactory.js');
          validateModelOptions(config);
        } catch (err) {
          throw new ApiError('bad-request', message(err));
        }
        if (s.countImages({ split: 'train', hasMask: true }) === 0) throw new ApiError('bad-request', "nothing to train on: no annotated images in the 'train' split (set the split of annotated images in the Dataset page)");
        const svc = await this.training();
        const handle = svc.start(s.dir, config, { name: optString(p, 'name', 200) });
        this.ctx.emit({ type: 'runs.changed' });
        return { runId: handle.runId };
      },
      'training.cancel': async (p) => ({ cancelled: (await this.training()).cancel(store().dir, reqInt(p, 'runId', 1)) }),
      'training.resume': async (p) => {
        const s = store();
        const runId = reqInt(p, 'runId', 1);
        if (lockAlive(s.dir, runId)) throw new ApiError('bad-request', `run ${runId} is being trained by another process`);
        try {
          (await this.training()).resume(s.dir, runId);
        } catch (err) {
          throw new ApiError('bad-request', message(err));
        }
        this.ctx.emit({ type: 'runs.changed' });
        return { runId };
      },
      'training.runs': async () => {
        const s = store();
        const active = activeRunId(s);
        return s
          .listRuns()
          .reverse()
          .map((r) => this.row(s, r.id, active));
      },
      'training.run': async (p) => {
        const s = store();
        const runId = reqInt(p, 'runId', 1);
        if (!s.getRun(runId)) throw new ApiError('not-found', `no training run with id ${runId}`);
        const key = `${s.dir}#${runId}`;
        return runDetail(s, runId, { live: this.isLive(s.dir, runId), activeRunId: activeRunId(s), progress: this.progress.get(key) ?? null, lossCurve: this.loss.get(key) ?? [] });
      },
      'training.evaluate': async (p) => {
        const { evaluateRun } = await import('../finetune/runEvaluation.js');
        try {
          return await evaluateRun(store(), reqInt(p, 'runId', 1), evalSplit(p));
        } catch (err) {
          throw new ApiError('unavailable', message(err));
        }
      },
      'training.compare': async (p) => {
        const { compareRuns } = await import('../finetune/runEvaluation.js');
        try {
          return await compareRuns(store(), reqInt(p, 'a', 1), reqInt(p, 'b', 1), evalSplit(p));
        } catch (err) {
          throw new ApiError('unavailable', message(err));
        }
      },
      'model.active': () => this.activeInfo(store()),
      'model.setActive': (p) => {
        const s = store();
        const runId = p.runId === null ? null : reqInt(p, 'runId', 1);
        try {
          setActiveRun(s, runId);
        } catch (err) {
          throw new ApiError('bad-request', message(err));
        }
        this.ctx.emit({ type: 'runs.changed' });
        return this.activeInfo(s);
      },
      'model.preannotate': async (p) => {
        const s = store();
        const { runId, engine } = await this.activeEngine(s);
        const { preannotate } = await import('../finetune/preannotate.js');
        const images = p.imageIds === undefined ? s.listImages({}) : intList(p, 'imageIds').map((id) => this.ctx.requireImage(id));
        const r = await preannotate(s, engine, runId, images);
        if (r.ids.length) this.ctx.emit({ type: 'images.changed', ids: r.ids });
        return { created: r.created, skipped: r.skipped, runId };
      },
      'batch.start': async (p) => this.startBatch(store(), p),
      'batch.jobs': () => {
        const s = store();
        return s
          .listBatchJobs()
          .filter((j) => j.kind === 'segment-folder')
          .reverse()
          .map((j) => this.jobRow(s, j.id));
      },
      'batch.items': (p) => {
        const s = store();
        const jobId = reqInt(p, 'jobId', 1);
        if (!s.getBatchJob(jobId)) throw new ApiError('not-found', `no batch job with id ${jobId}`);
        const names = new Map(s.listClasses().map((c) => [c.index, c.name]));
        const total = s.listBatchJobItems(jobId).length;
        const items: BatchItemRow[] = s.listBatchJobItems(jobId, { limit: optInt(p, 'limit', 1) ?? 500, offset: optInt(p, 'offset', 0) ?? 0 }).map((it) => {
          const r = it.status === 'done' ? (it.result as unknown as BatchItemResult | null) : null;
          return { file: it.sourcePath, status: it.status, defectPercent: r?.defectPercent ?? null, classes: r ? r.classes.map((c) => names.get(c.index) ?? `class ${c.index}`) : [], meanConfidence: r?.meanConfidence ?? null, error: it.error };
        });
        return { total, items };
      },
      'batch.cancel': (p) => {
        const b = this.batches.get(`${store().dir}#${reqInt(p, 'jobId', 1)}`);
        if (b) b.stop = true;
        return { cancelled: Boolean(b) };
      },
      'batch.resume': (p) => {
        const s = store();
        const jobId = reqInt(p, 'jobId', 1);
        const job = s.getBatchJob(jobId);
        if (!job) throw new ApiError('not-found', `no batch job with id ${jobId}`);
        if (job.status === 'completed') throw new ApiError('bad-request', `batch job ${jobId} is complete; nothing to resume`);
        if (this.batches.has(`${s.dir}#${jobId}`)) throw new ApiError('bad-request', `batch job ${jobId} is running`);
        this.launchBatch(s.dir, jobId);
        return { jobId };
      },
    };
  }

  close(): void {
    for (const b of this.batches.values()) b.stop = true;
    this.predictor?.engine.dispose();
    this.predictor = null;
  }

  // ---- training -------------------------------------------------------------------------------

  private async training(): Promise<TrainingService> {
    if (this.trainingService) return this.trainingService;
    const { TrainingService } = await import('../engine/trainingService.js');
    const svc = new TrainingService();
    svc.on('event', ({ projectDir, event }: { projectDir: string; event: TrainEvent }) => this.onTrainEvent(projectDir, event));
    this.trainingService ??= svc;
    return this.trainingService;
  }

  private onTrainEvent(projectDir: string, e: TrainEvent): void {
    const key = `${projectDir}#${e.runId}`;
    if (e.type === 'progress') {
      this.progress.set(key, e);
      const curve = this.loss.get(key) ?? [];
      curve.push({ step: e.step, loss: e.loss });
      if (curve.length > LOSS_POINTS_KEPT) curve.splice(0, curve.length - LOSS_POINTS_KEPT);
      this.loss.set(key, curve);
    }
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

  private isLive(projectDir: string, runId: number): boolean {
    return Boolean(this.trainingService?.get(projectDir, runId)) || lockAlive(projectDir, runId);
  }

  private row(s: ProjectStore, runId: number, active: number | null) {
    return runRow(s, s.getRun(runId)!, { live: this.isLive(s.dir, runId), activeRunId: active });
  }

  private async preset(s: ProjectStore): Promise<PresetInfo> {
    const { initBackend } = await import('../tensor/backend.js');
    const backend = await initBackend();
    const hardware: HardwareFacts = { backend: backend.name, device: backend.device ?? null, cores: cpus().length, memoryBytes: totalmem(), gpuMemoryBytes: gpuMemoryFromEnv() };
    const annotated = s.listImages({ hasMask: true });
    const sides = annotated.map((im) => Math.max(im.width, im.height)).sort((a, b) => a - b);
    const train = annotated.filter((im) => im.split === 'train').length;
    const val = annotated.filter((im) => im.split === 'val').length;
    const { projectMaskStatistics } = await import('../dataset/maskStatistics.js');
    const dataset = { trainImages: train, valImages: val, medianLongSide: sides.length ? sides[Math.floor(sides.length / 2)]! : null, masks: projectMaskStatistics(s) };
    const { listModels } = await import('../model/library.js');
    let models: { name: string; preset: string | null }[] = [];
    try {
      models = (await listModels()).map((m) => ({ name: m.name, preset: m.preset }));
    } catch {
      // A damaged library entry must not block training from scratch.
    }
    const preset = chooseTrainingPreset(hardware, dataset, { models });
    const config = resolveTrainConfig(presetOverrides(preset));
    const { BACKBONE_NAMES } = await import('../model/pasam/backbones.js');
    return { preset, hardware, dataset, config, baseModels: models.map((m) => m.name), presets: [...BACKBONE_NAMES] };
  }

  // ---- active model ---------------------------------------------------------------------------

  private activeInfo(s: ProjectStore): { runId: number | null; name: string | null } {
    const id = activeRunId(s);
    return { runId: id, name: id === null ? null : (s.getRun(id)?.name ?? null) };
  }

  private async activeEngine(s: ProjectStore): Promise<{ runId: number; engine: SegmentationEngine; name: string }> {
    const runId = activeRunId(s);
    if (runId === null) {
      const trained = s.listRuns().some((r) => hasCheckpoint(checkpointDir(s.dir, r.id, 'best')) || hasCheckpoint(checkpointDir(s.dir, r.id, 'last')));
      throw new ApiError('unavailable', trained ? 'no active model: choose one in Fine-tune → Runs ("Set active")' : 'this project has no fine-tuned model yet: train one in Fine-tune, then Predict fills a pre-annotation from it');
    }
    const kind = hasCheckpoint(checkpointDir(s.dir, runId, 'best')) ? 'best' : 'last';
    const key = `${s.dir}#${runId}#${readCheckpointMeta(checkpointDir(s.dir, runId, kind)).dataSha256}`;
    if (this.predictor?.key !== key) {
      this.predictor?.engine.dispose();
      this.predictor = null;
      const { openActiveEngine } = await import('../finetune/preannotate.js');
      this.predictor = { key, engine: await openActiveEngine(s, runId), name: s.getRun(runId)!.name };
    }
    return { runId, engine: this.predictor.engine, name: this.predictor.name };
  }

  // ---- batch ----------------------------------------------------------------------------------

  private async startBatch(s: ProjectStore, p: Record<string, unknown>): Promise<{ jobId: number; resumed: boolean }> {
    const input = absolute(reqString(p, 'input'));
    const output = absolute(reqString(p, 'output'));
    const model = optString(p, 'model');
    let runId = optInt(p, 'runId', 1);
    if (runId === undefined && model === undefined) {
      runId = activeRunId(s) ?? undefined;
      if (runId === undefined) throw new ApiError('bad-request', 'choose a run or an exported model (the project has no active model)');
    }
    const { prepareBatchJob, BatchUsageError } = await import('../batch/batchSegmentation.js');
    let prepared;
    try {
      prepared = prepareBatchJob(s, {
        input,
        output,
        model: model !== undefined ? { kind: 'model', path: absolute(model) } : { kind: 'run', runId: runId!, checkpoint: 'auto' },
        overlay: optBool(p, 'overlay') ?? false,
        recursive: optBool(p, 'recursive') ?? false,
        report: join(resolve(output), 'report.csv'),
      });
    } catch (err) {
      if (err instanceof BatchUsageError) throw new ApiError('bad-request', err.message);
      throw err;
    }
    if (this.batches.has(`${s.dir}#${prepared.job.id}`)) throw new ApiError('bad-request', `batch job ${prepared.job.id} over these folders is already running`);
    this.launchBatch(s.dir, prepared.job.id);
    return { jobId: prepared.job.id, resumed: prepared.resumed };
  }

  private launchBatch(projectDir: string, jobId: number): void {
    const key = `${projectDir}#${jobId}`;
    const state = { stop: false, done: Promise.resolve() };
    this.batches.set(key, state);
    let last = 0;
    state.done = (async () => {
      // Its own connection: the job keeps running if the UI switches project meanwhile.
      const store = Store.open(projectDir);
      try {
        const { runBatchJob } = await import('../batch/batchSegmentation.js');
        await runBatchJob(store, jobId, {
          shouldStop: () => state.stop,
          onProgress: (pr: BatchProgress) => {
            const now = Date.now();
            if (now - last < 200 && pr.pending > 0) return;
            last = now;
            this.ctx.emit({ type: 'batch.progress', progress: pr });
          },
        });
      } catch {
        // The job row carries the error (runBatchJob marks it failed).
      } finally {
        store.close();
        this.batches.delete(key);
        this.ctx.emit({ type: 'batch.changed', jobId });
      }
    })();
    this.ctx.emit({ type: 'batch.changed', jobId });
  }

  private jobRow(s: ProjectStore, jobId: number): BatchJobRow {
    const j = s.getBatchJob(jobId)!;
    const c = j.config as unknown as Partial<BatchJobConfig>;
    const pr = s.batchJobProgress(jobId);
    const live = this.batches.has(`${s.dir}#${jobId}`) || jobLockAlive(s.dir, jobId);
    const m = c.model;
    const modelLabel = !m ? '?' : m.kind === 'run' ? `run ${m.runId}${s.getRun(m.runId) ? ` · ${s.getRun(m.runId)!.name}` : ''}` : m.path;
    return {
      id: j.id,
      status: j.status,
      live,
      interrupted: !live && (j.status === 'running' || j.status === 'queued'),
      input: j.source,
      output: j.output,
      model: modelLabel,
      overlay: c.overlay ?? false,
      recursive: c.recursive ?? false,
      report: c.report ?? null,
      total: pr.pending + pr.done + pr.failed + pr.skipped,
      ...pr,
      createdAt: j.createdAt,
      finishedAt: j.finishedAt,
      error: j.error,
    };
  }
}

function jobLockAlive(projectDir: string, jobId: number): boolean {
  return pidFileAlive(join(projectDir, 'batch', `job-${jobId}.lock`));
}

function evalSplit(p: Record<string, unknown>): 'test' | 'val' | 'train' {
  const v = p.split ?? 'test';
  if (v !== 'test' && v !== 'val' && v !== 'train') throw new ApiError('bad-request', `'split' must be test, val or train`);
  return v;
}

function absolute(p: string): string {
  if (!isAbsolute(p)) throw new ApiError('bad-request', `'${p}' must be an absolute path`);
  return resolve(p);
}

/** PASAM_GPU_MEMORY_GB tells the preset the GPU's memory where the backend cannot report it. */
function gpuMemoryFromEnv(): number | null {
  const v = Number(process.env.PASAM_GPU_MEMORY_GB);
  return Number.isFinite(v) && v > 0 ? v * 1024 ** 3 : null;
}
