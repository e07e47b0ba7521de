// Batch segmentation jobs run in the background of a serve or desktop process: start (or resume
// the unfinished job over the same folders), cancel between batches, and tell which jobs run here
// or in another process (their lock file). Each job uses its own store connection, so it keeps
// running when the UI switches project.
import { ProjectStore } from '../store/projectStore.js';
import { UsageError } from '../store/storeContext.js';
import { lockHeldElsewhere } from '../store/runLock.js';
import { batchJobLockFile, BATCH_JOB_KIND } from './batchJobRecord.js';
import type { BatchJobOptions, BatchProgress } from './batchSegmentation.js';
import { batchJobRow, type BatchJobRow } from './batchJobRows.js';

export interface BatchRunnerEvents {
  progress(p: BatchProgress): void;
  changed(jobId: number): void;
}

export class BatchJobRunner {
  private readonly running = new Map<string, { stop: boolean; done: Promise<void> }>();

  constructor(private readonly events: BatchRunnerEvents) {}

  /** Prepares the job for `opts` (or reopens its unfinished twin) and starts it. */
  async start(s: ProjectStore, opts: BatchJobOptions): Promise<{ jobId: number; resumed: boolean }> {
    const { prepareBatchJob } = await import('./batchSegmentation.js');
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
    if (b) b.stop = true;
    return Boolean(b);
  }

  isLive(projectDir: string, jobId: number): boolean {
    return this.running.has(key(projectDir, jobId)) || lockHeldElsewhere(batchJobLockFile(projectDir, jobId));
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
    for (const b of this.running.values()) b.stop = true;
  }

  private launch(projectDir: string, jobId: number): void {
    const k = key(projectDir, jobId);
    const state = { stop: false, done: Promise.resolve() };
    this.running.set(k, state);
    let last = 0;
    state.done = (async () => {
      const store = ProjectStore.open(projectDir);
      try {
        const { runBatchJob } = await import('./batchSegmentation.js');
        await runBatchJob(store, jobId, {
          shouldStop: () => state.stop,
          onProgress: (pr: BatchProgress) => {
            const now = Date.now();
            if (now - last < 200 && pr.pending > 0) return;
            last = now;
            this.events.progress(pr);
          },
        });
      } catch {
        // The job row carries the error (runBatchJob marks it failed).
      } finally {
        store.close();
        this.running.delete(k);
        this.events.changed(jobId);
      }
    })();
    this.events.changed(jobId);
  }
}

const key = (projectDir: string, jobId: number): string => `${projectDir}#${jobId}`;
