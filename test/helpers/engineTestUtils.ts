// Shared setup of the engine tests: a private model library holding the sam-tiny fixture
// (imported through the real importer), and runs trained in-process through the real job.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { initBackend } from '../../app/tensor/backend.js';
import { makeNeuProject } from './neuProject.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { createRun, runTrainingJob, type JobResult } from '../../app/engine/trainingJob.js';
import { prepareRunEngine } from '../../app/finetune/runEngine.js';
import { resolveTrainConfig, type TrainConfig } from '../../app/engine/trainConfig.js';
import type { TrainEvent } from '../../app/engine/trainEvents.js';
import { FIXTURE_DIR, loadFixture } from './samFixture.js';

/** Points PASAM_HOME at a fresh library and imports sam-tiny as 'sam-tiny' (once per process). */
let library: Promise<string> | undefined;
export function samTinyLibrary(): Promise<string> {
  library ??= (async () => {
    const home = mkdtempSync(join(tmpdir(), 'pasam-home-'));
    process.env.PASAM_HOME = home;
    const fx = loadFixture();
    await importCheckpoint(join(FIXTURE_DIR, fx.manifest.checkpoints.pth ?? 'sam_tiny.pth'), { name: 'sam-tiny', config: fx.config });
    return home;
  })();
  return library;
}

export function config(overrides: Record<string, unknown>): TrainConfig {
  return resolveTrainConfig(overrides);
}

/**
 * Creates a run and trains it in this thread through the real job (store, checkpoints, events),
 * with the product's engine choice — as `pasam train` does (ONNX Runtime where it loads;
 * PASAM_TRAIN_ENGINE=tfjs for the reference engine).
 */
export async function trainInProcess(dir: string, cfg: TrainConfig, opts: { onEvent?: (e: TrainEvent) => void; cancelWhen?: (e: TrainEvent) => boolean } = {}): Promise<JobResult & { events: TrainEvent[] }> {
  const store = ProjectStore.open(dir);
  let runId: number;
  try {
    runId = createRun(store, cfg);
  } finally {
    store.close();
  }
  return resumeInProcess(dir, runId, false, opts);
}

export async function resumeInProcess(dir: string, runId: number, resume: boolean, opts: { onEvent?: (e: TrainEvent) => void; cancelWhen?: (e: TrainEvent) => boolean } = {}): Promise<JobResult & { events: TrainEvent[] }> {
  const events: TrainEvent[] = [];
  let cancelled = false;
  const result = await runTrainingJob(dir, runId, resume, {
    emit: (e) => {
      events.push(e);
      opts.onEvent?.(e);
      if (opts.cancelWhen?.(e)) cancelled = true;
    },
    isCancelled: () => cancelled,
    pause: async () => {},
  }, { prepareEngine: prepareRunEngine });
  return { ...result, events };
}

/** Four NEU-Seg training images covering all three classes (for loss tests). */
export const MIXED_FOUR: [string, 'train'][] = [
  ['train_000201', 'train'],
  ['train_000501', 'train'],
  ['train_000601', 'train'],
  ['train_003591', 'train'],
];

/** A project of four NEU-Seg train images with one short tiny-from-scratch run: a real model to
 * predict, segment and export with. */
export async function trainedTinyNeuProject(): Promise<{ dir: string; runId: number }> {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
  const dir = await makeNeuProject([
    ['train_000201', 'train'],
    ['train_000501', 'train'],
    ['train_000601', 'train'],
    ['train_003591', 'train'],
  ]);
  const run = await trainInProcess(dir, config({ model: { preset: 'tiny', base: null }, inputSize: 64, epochs: 1, batchSize: 2, valFraction: 0, learningRate: 2e-3 }));
  if (run.status !== 'completed') throw new Error(`the tiny training run did not complete: ${run.error}`);
  return { dir, runId: run.runId };
}
