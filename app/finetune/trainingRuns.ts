// The training use cases of a serve or desktop process: start, resume and cancel runs (worker
// threads of the engine's TrainingService, loaded on first use), and list them with what is live
// here — the latest progress and the loss curve of each run this process trains. A run trained by
// another process is recognised by its lock file (store/runLock.ts).
import { join } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { UsageError } from '../store/storeContext.js';
import { lockHeldElsewhere } from '../store/runLock.js';
import type { TrainingService } from '../engine/trainingService.js';
import type { ProgressEvent, TrainEvent } from '../engine/trainEvents.js';
import { resolveTrainConfig, type TrainConfig } from '../engine/trainConfig.js';
import { runDir } from '../engine/runCheckpoint.js';
import { activeRunId } from './activeModel.js';
import { runDetail, runRow } from './runSummary.js';
import type { RunDetail, RunRow } from './runTypes.js';

const LOSS_POINTS_KEPT = 5000;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The lock file trainingJob.ts holds while it trains a run. */
export function runLockFile(projectDir: string, runId: number): string {
  return join(runDir(projectDir, runId), 'lock');
}

export class TrainingRuns {
  private service: TrainingService | null = null;
  private readonly progress = new Map<string, ProgressEvent>();
  private readonly loss = new Map<string, { step: number; loss: number }[]>();

  /** `onEvent` hears every event of every run this process trains, with the run's project folder. */
  constructor(private readonly onEvent: (projectDir: string, e: TrainEvent) => void) {}

  /** Starts a run from `base` (the preset's config) with `overrides` (the Advanced panel's JSON). */
  async start(s: ProjectStore, overrides: unknown, base: TrainConfig, name: string | undefined): Promise<number> {
    let config: TrainConfig;
    try {
      config = resolveTrainConfig(overrides, base);
      const { validateModelOptions } = await import('../engine/modelFactory.js');
      validateModelOptions(config);
    } catch (err) {
      throw new UsageError(message(err));
    }
    if (s.countImages({ split: 'train', hasMask: true }) === 0) throw new UsageError("nothing to train on: no annotated images in the 'train' split (set the split of annotated images in the Dataset page)");
    return (await this.training()).start(s.dir, config, { name }).runId;
  }

  async resume(projectDir: string, runId: number): Promise<void> {
    if (lockHeldElsewhere(runLockFile(projectDir, runId))) throw new UsageError(`run ${runId} is being trained by another process`);
    const svc = await this.training();
    try {
      svc.resume(projectDir, runId);
    } catch (err) {
      throw new UsageError(message(err));
    }
  }

  async cancel(projectDir: string, runId: number): Promise<boolean> {
    return (await this.training()).cancel(projectDir, runId);
  }

  /** Whether the run trains now, here or in another process. */
  isLive(projectDir: string, runId: number): boolean {
    return Boolean(this.service?.get(projectDir, runId)) || lockHeldElsewhere(runLockFile(projectDir, runId));
  }

  /** Every run of the project, newest first. */
  list(s: ProjectStore): RunRow[] {
    const active = activeRunId(s);
    return s
      .listRuns()
      .reverse()
      .map((r) => runRow(s, r, { live: this.isLive(s.dir, r.id), activeRunId: active }));
  }

  detail(s: ProjectStore, runId: number): RunDetail {
    const key = `${s.dir}#${runId}`;
    return runDetail(s, runId, { live: this.isLive(s.dir, runId), activeRunId: activeRunId(s), progress: this.progress.get(key) ?? null, lossCurve: this.loss.get(key) ?? [] });
  }

  private async training(): Promise<TrainingService> {
    if (this.service) return this.service;
    // The product's engine choice (ONNX Runtime where it loads, tfjs otherwise) runs in the worker.
    const { createTrainingService } = await import('./runEngine.js');
    const svc = createTrainingService();
    svc.on('event', ({ projectDir, event }: { projectDir: string; event: TrainEvent }) => this.record(projectDir, event));
    this.service ??= svc;
    return this.service;
  }

  private record(projectDir: string, e: TrainEvent): void {
    if (e.type === 'progress') {
      const key = `${projectDir}#${e.runId}`;
      this.progress.set(key, e);
      const curve = this.loss.get(key) ?? [];
      curve.push({ step: e.step, loss: e.loss });
      if (curve.length > LOSS_POINTS_KEPT) curve.splice(0, curve.length - LOSS_POINTS_KEPT);
      this.loss.set(key, curve);
    }
    this.onEvent(projectDir, e);
  }
}
