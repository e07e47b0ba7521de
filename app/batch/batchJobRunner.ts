// Batch segmentation jobs run in the background of a serve or desktop process: start (or resume
// the unfinished job over the same folders), cancel between batches, and tell which jobs run here
// or in another process (their lock file). The caller supplies how a job runs (the API layer: in a
// worker thread with its own store connection, so it keeps running when the UI switches project
// and the model never runs on the thread that serves the UI).
import type { ProjectStore } from '../store/projectStore.js';
import { UsageError } from '../store/storeContext.js';
import { lockHeldElsewhere } from '../store/runLock.js';
import { batchJobLockFile, BATCH_JOB_KIND, readBatchJobConfigOrNull } from './batchJobRecord.js';
import type { BatchJobOptions, BatchJobPlan } from './batchJobPreparation.js';
import type { BatchProgress, BatchRunResult } from './batchSegmentation.js';
import { batchJobRow, type BatchJobRow } from './batchJobRows.js';
import { batchJobEndMessage, type BatchOutcome } from './batchOutcome.js';

export interface BatchRunnerEvents {
  progress(p: BatchProgress): void;
  changed(jobId: number): void;
  /** A job launched here ended (completed, with failures, cancelled or failed), in words. */
  finished(end: { projectDir: string; jobId: number; outcome: BatchOutcome; message: string }): void;
}

/** Runs one prepared job to its end; `stop` asks it to stop after the current image. */
export type BatchJobLauncher = (projectDir: string, jobId: number, onProgress: (p: BatchProgress) => void) => { stop(): void; done: Promise<Pick<BatchRunResult, 'job' | 'progress'>> };

export class BatchJobRunner {
  private readonly running = new Map<string, { stop: () => void; done: Promise<void> }>();

  constructor(
    private readonly events: BatchRunnerEvents,
    private readonly launchJob: BatchJobLauncher,
  ) {}

  /** What start would do: resume, or a new job and the files in its output it would replace. */
  async plan(s: ProjectStore, opts: BatchJobOptions): Promise<BatchJobPlan> {
    const { planBatchJob } = await import('./batchJobPreparation.js');
    return planBatchJob(s, opts);
  }

  /** Prepares the job for `opts` (or reopens its unfinished twin) and starts it; refuses to replace output files unless `overwrite`. */
  async start(s: ProjectStore, opts: BatchJobOptions & { overwrite?: boolean }): Promise<{ jobId: number; resumed: boolean }> {
    const { prepareBatchJob } = await import('./batchJobPreparation.js');
    const prepared = prepareBatchJob(s, opts);
    if (this.running.has(key(s.dir, prepared.job.id))) throw new UsageError(`batch job ${prepared.job.id} over these folders is already running`);
    this.launch(s.dir, prepared.job.id);
    return { jobId: prepared.job.id, resumed: prepared.resumed };
  }

  /** Continues an unfinished job (the caller has checked that it exists). */
  resume(s: ProjectStore, jobId: number): void {
    const job = s.getBatchJob(jobId)!;
    if (job.status === 'completed') throw new UsageError(`batch job ${jobId} is complete; nothing to resume`);
    if (this.running.has(key(s.dir, jobId))) throw new UsageError(`batch job ${jobId} is running`);
    this.launch(s.dir, jobId);
  }

  /** Asks a job running here to stop after its current batch; false when it does not run here. */
  cancel(projectDir: string, jobId: number): boolean {
    const b = this.running.get(key(projectDir, jobId));
    b?.stop();
    return Boolean(b);
  }

  isLive(projectDir: string, jobId: number): boolean {
    return this.running.has(key(projectDir, jobId)) || lockHeldElsewhere(batchJobLockFile(projectDir, jobId));
  }

  /** Jobs segmenting with one of run `runId`'s checkpoints right now (here or in another process). */
  liveJobsOfRun(s: ProjectStore, runId: number): number[] {
    return s
      .listBatchJobs()
      .filter((j) => {
        const model = readBatchJobConfigOrNull(j)?.model;
        return model?.kind === 'run' && model.runId === runId && this.isLive(s.dir, j.id);
      })
      .map((j) => j.id);
  }

  /** The project's segment-folder jobs, newest first. */
  jobs(s: ProjectStore): BatchJobRow[] {
    return s
      .listBatchJobs()
      .filter((j) => j.kind === BATCH_JOB_KIND)
      .reverse()
      .map((j) => batchJobRow(s, j.id, this.isLive(s.dir, j.id)));
  }

  close(): void {
    for (const b of this.running.values()) b.stop();
  }

  private launch(projectDir: string, jobId: number): void {
    const k = key(projectDir, jobId);
    let last = 0;
    const job = this.launchJob(projectDir, jobId, (pr: BatchProgress) => {
      const now = Date.now();
      if (now - last < 200 && pr.pending > 0) return;
      last = now;
      this.events.progress(pr);
    });
    const done = job.done
      .then(
        (r) => batchJobEndMessage({ jobId, ended: 'ran', status: r.job.status, output: r.job.output, progress: r.progress }),
        // The job row carries the error too (runBatchJob marks it failed).
        (err: unknown) => batchJobEndMessage({ jobId, ended: 'threw', error: err instanceof Error ? err.message : String(err) }),
      )
      .then((end) => {
        this.running.delete(k);
        this.events.changed(jobId);
        this.events.finished({ projectDir, jobId, ...end });
      });
    this.running.set(k, { stop: () => job.stop(), done });
    this.events.changed(jobId);
  }
}

const key = (projectDir: string, jobId: number): string => `${projectDir}#${jobId}`;
