// A short measured calibration of training speed on this machine: a few real training steps (and
// one validation forward pass) of a base model at (S, batch) on the engine a run would use, cached
// per (engine, provider, model, S, batch, cores) in the pasam home folder. The one-click preset
// projects a run's wall time from it instead of from constants measured elsewhere.
// Runs wherever it is called: the API calls it inside a job worker thread.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../engine/trainConfig.js';
import { buildSegmenter } from '../engine/modelFactory.js';
import { readParams } from '../engine/stepEngine.js';
import { chooseTrainEngine, createStepEngine } from './trainEngineChoice.js';
import { planTrainingMemory } from './trainMemory.js';

export interface CalibrationKey {
  /** Library name of the base model, or 'preset:<name>' for a preset trained from scratch. */
  model: string;
  /** The base's content hash (a re-imported model is re-measured). */
  sha256: string | null;
  inputSize: number;
  batchSize: number;
}

export interface Calibration extends CalibrationKey {
  engine: string;
  executionProvider: string;
  cores: number;
  /** Mean wall seconds of one micro-batch step (forward + loss + backward) after a warm-up step;
   *  AdamW on the ~1 M trainable values is negligible next to it. */
  secondsPerStep: number;
  /** Wall seconds of one forward pass of a batch (validation). */
  secondsPerForward: number;
  steps: number;
  measuredAt: string;
}

type CacheFile = { version: 1; entries: Calibration[] };

function cacheKey(c: CalibrationKey & { engine: string; executionProvider: string; cores: number }): string {
  return [c.model, c.sha256 ?? '-', c.inputSize, c.batchSize, c.engine, c.executionProvider, c.cores].join('|');
}

function readCache(file: string): CacheFile {
  if (!existsSync(file)) return { version: 1, entries: [] };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    return parsed.version === 1 && Array.isArray(parsed.entries) ? parsed : { version: 1, entries: [] };
  } catch {
    // A damaged cache is measured again.
    return { version: 1, entries: [] };
  }
}

/** The cached calibration for `key` on the engine chosen now, or null. */
export function cachedCalibration(file: string, key: CalibrationKey, engine: { engine: string; executionProvider: string }): Calibration | null {
  const want = cacheKey({ ...key, ...engine, cores: availableParallelism() });
  return readCache(file).entries.find((e) => cacheKey(e) === want) ?? null;
}

function storeCalibration(file: string, c: Calibration): void {
  const cache = readCache(file);
  cache.entries = [...cache.entries.filter((e) => cacheKey(e) !== cacheKey(c)), c];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(cache, null, 1));
  renameSync(`${file}.tmp`, file);
}

/**
 * Measures `steps` training steps (after one warm-up) of the base model at (S, batch) with the
 * engine a run would use now, on synthetic normalised images and labels (speed does not depend on
 * the pixels), and caches the result. Returns the cached value when there is one.
 */
export async function calibrateTraining(file: string, key: CalibrationKey, numClasses: number, steps = 3): Promise<Calibration> {
  const choice = await chooseTrainEngine();
  const cached = cachedCalibration(file, key, choice);
  if (cached) return cached;
  const preset = key.model.startsWith('preset:') ? key.model.slice('preset:'.length) : null;
  const config: TrainConfig = { ...defaultTrainConfig(), model: { base: preset === null ? key.model : null, preset, options: {} }, inputSize: key.inputSize, batchSize: key.batchSize };
  const built = await buildSegmenter(config, numClasses, { tfjsForward: choice.engine === 'tfjs' });
  try {
    const plan = planTrainingMemory(built.model, config, choice.engine);
    if (!plan.fits) throw new Error(plan.message);
    const { engine, trainedWith } = await createStepEngine(choice, built.model, config, { recompute: plan.recompute });
    try {
      const S = key.inputSize;
      const g = S / 4;
      const images = new Float32Array(key.batchSize * S * S * 3);
      const labels = new Int32Array(key.batchSize * g * g);
      // Deterministic pseudo-data: normalised pixels in about ±2, labels over every class.
      for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.37) * 2;
      for (let i = 0; i < labels.length; i++) labels[i] = (i >> 6) % numClasses;
      const params = readParams(built.model);
      // Untimed: the first call builds the graph and session, and on ONNX Runtime the second still
      // runs several times slower than the rest (measured: 4.5–5 s against 1.9 s for vit_b S=256 ×2).
      await engine.step(params, images, labels);
      await engine.step(params, images, labels);
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await engine.step(readParams(built.model), images, labels);
      const secondsPerStep = (performance.now() - t0) / 1000 / steps;
      // The forward graph's session is built on its first call: untimed too.
      await engine.forward(params, images);
      const t1 = performance.now();
      await engine.forward(params, images);
      const secondsPerForward = (performance.now() - t1) / 1000;
      const c: Calibration = { ...key, engine: trainedWith.engine, executionProvider: trainedWith.executionProvider, cores: availableParallelism(), secondsPerStep, secondsPerForward, steps, measuredAt: new Date().toISOString() };
      storeCalibration(file, c);
      return c;
    } finally {
      await engine.dispose();
    }
  } finally {
    built.model.dispose();
  }
}
