// Starts, cancels and resumes training runs, each in its own worker thread, and streams their
// events. The CLI, the serve/Electron main process and the batch page build on this.
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../buildMode.js';
import { ProjectStore } from '../store/projectStore.js';
import { createRun, type JobResult } from './trainingJob.js';
import type { TrainConfig } from './trainConfig.js';
import type { TrainEvent } from './trainEvents.js';
import type { TrainWorkerInput, WorkerToParent } from './trainWorkerHost.js';

/** A worker entry module: its TypeScript source (checkout, under tsx) and its bundle name (built). */
export interface WorkerModule {
  source: URL;
  bundle: string;
}

/** The reference worker (tfjs steps); the product passes app/finetune's entry, which chooses the engine. */
export const TFJS_TRAIN_WORKER: WorkerModule = { source: new URL('./trainWorker.ts', import.meta.url), bundle: 'tfjsTrainWorker.cjs' };

export interface TrainingHandle {
  readonly projectDir: string;
  readonly runId: number;
  /** Every event of the run, in order; also re-emitted as 'event' on the service. */
  onEvent(listener: (e: TrainEvent) => void): () => void;
  /** Asks the run to stop after the current step (it saves its `last` checkpoint first). */
  cancel(): void;
  /** Resolves when the worker ends (never rejects; failures come back as status 'failed'). */
  readonly done: Promise<JobResult>;
}

/** A wasm abort says nothing useful by itself; on this path it means the 4 GiB heap ran out. */
export function explainWorkerError(message: string): string {
  if (/^Aborted\(/.test(message) || /out of memory/i.test(message)) {
    return `the tensor backend ran out of memory (${message.split('.')[0]}); on wasm the heap is limited to 4 GiB: use a smaller --size or --batch, or a native backend (tfjs-node / tfjs-node-gpu)`;
  }
  return message;
}

export class TrainingService extends EventEmitter {
  private readonly active = new Map<string, TrainingHandle>();
  private readonly workerEntry: WorkerModule;

  /** workerEntry: the worker module that runs a job (default: the tfjs reference worker). */
  constructor(opts: { workerEntry?: WorkerModule } = {}) {
    super();
    this.workerEntry = opts.workerEntry ?? TFJS_TRAIN_WORKER;
  }

  private key(projectDir: string, runId: number): string {
    return `${resolve(projectDir)}#${runId}`;
  }

  /** Creates a run with `config` and trains it. */
  start(projectDir: string, config: TrainConfig, opts: { name?: string } = {}): TrainingHandle {
    const store = ProjectStore.open(projectDir);
    let runId: number;
    try {
      runId = createRun(store, config, opts.name);
    } finally {
      store.close();
    }
    return this.launch({ projectDir: resolve(projectDir), runId, resume: false });
  }

  /** Continues a killed, failed or cancelled run from its last checkpoint. */
  resume(projectDir: string, runId: number): TrainingHandle {
    const store = ProjectStore.open(projectDir);
    try {
      const run = store.getRun(runId);
      if (!run) throw new Error(`no training run with id ${runId} in ${store.dir}`);
      if (run.status === 'completed') throw new Error(`run ${runId} already completed; nothing to resume`);
    } finally {
      store.close();
    }
    if (this.active.has(this.key(projectDir, runId))) throw new Error(`run ${runId} is already training`);
    return this.launch({ projectDir: resolve(projectDir), runId, resume: true });
  }

  cancel(projectDir: string, runId: number): boolean {
    const h = this.active.get(this.key(projectDir, runId));
    h?.cancel();
    return h !== undefined;
  }

  get(projectDir: string, runId: number): TrainingHandle | undefined {
    return this.active.get(this.key(projectDir, runId));
  }

  list(): TrainingHandle[] {
    return [...this.active.values()];
  }

  private launch(input: TrainWorkerInput): TrainingHandle {
    const events = new EventEmitter();
    // Its bundle when built, its TypeScript source under tsx in a checkout (app/buildMode.ts).
    const worker = new Worker(workerEntry(this.workerEntry.source, this.workerEntry.bundle), { workerData: input });
    let result: JobResult | null = null;
    let lastError: string | null = null;
    const emit = (e: TrainEvent): void => {
      events.emit('event', e);
      this.emit('event', { projectDir: input.projectDir, event: e });
    };
    worker.on('message', (m: WorkerToParent) => {
      if (m.type === 'event') emit(m.event);
      else if (m.type === 'done') result = m.result;
    });
    worker.on('error', (err) => {
      lastError = explainWorkerError(err instanceof Error ? err.message : String(err));
    });
    const key = this.key(input.projectDir, input.runId);
    const done = new Promise<JobResult>((resolveDone) => {
      worker.on('exit', (code) => {
        this.active.delete(key);
        if (result) return resolveDone(result);
        // The worker died without reporting (crash, out of memory): record that on the run.
        const error = lastError ?? `training worker exited with code ${code}`;
        try {
          const store = ProjectStore.open(input.projectDir);
          try {
            if (store.getRun(input.runId)?.status === 'running' || store.getRun(input.runId)?.status === 'queued') store.updateRun(input.runId, { status: 'failed', error });
          } finally {
            store.close();
          }
        } catch {
          // Reported below regardless.
        }
        emit({ type: 'failed', runId: input.runId, error });
        resolveDone({ runId: input.runId, status: 'failed', best: null, last: null, bestEpoch: null, epochsDone: 0, step: 0, error });
      });
    });
    const handle: TrainingHandle = {
      projectDir: input.projectDir,
      runId: input.runId,
      onEvent(listener) {
        events.on('event', listener);
        return () => events.off('event', listener);
      },
      cancel() {
        worker.postMessage({ type: 'cancel' });
      },
      done,
    };
    this.active.set(key, handle);
    return handle;
  }
}
