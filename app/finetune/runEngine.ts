// The product's step engine for a run: the engine choice (trainEngineChoice), the memory check
// that picks plain or recomputing graphs or refuses (trainMemory), and the run's record of both.
import { TrainingService, type WorkerModule } from '../engine/trainingService.js';
import type { PreparedEngine } from '../engine/trainingJob.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { TrainConfig } from '../engine/trainConfig.js';
import type { TrainEvent } from '../engine/trainEvents.js';
import { join } from 'node:path';
import { chooseTrainEngine, createStepEngine, describeChoice } from './trainEngineChoice.js';
import type { Sample } from '../engine/dataPipeline.js';
import { evaluateSamples, evaluateSamplesWith, type EvaluateOptions, type EvaluationResult } from '../engine/evaluate.js';
import { readParams, type StepLossOptions } from '../engine/stepEngine.js';
import { planTrainingMemory } from './trainMemory.js';

/** The worker entry that chooses the engine (ONNX Runtime by default). */
export const PRODUCT_TRAIN_WORKER: WorkerModule = { source: new URL('./trainWorker.ts', import.meta.url), bundle: 'trainWorker.cjs' };

/** A TrainingService whose runs use the product's engine choice. */
export function createTrainingService(): TrainingService {
  return new TrainingService({ workerEntry: PRODUCT_TRAIN_WORKER });
}

export async function prepareRunEngine(model: TrainableSegmenter, config: TrainConfig, ctx: { projectDir: string; emit: (e: TrainEvent) => void; runId: number; loss: StepLossOptions }): Promise<PreparedEngine> {
  const choice = await chooseTrainEngine(process.env, config);
  const plan = planTrainingMemory(model, config, choice.engine);
  if (!plan.fits) throw new Error(plan.message);
  for (const line of describeChoice(choice)) ctx.emit({ type: 'log', runId: ctx.runId, message: line });
  ctx.emit({ type: 'log', runId: ctx.runId, message: plan.message });
  const { engine, trainedWith } = await createStepEngine(choice, model, config, { recompute: plan.recompute, cacheDir: join(ctx.projectDir, 'cache', 'training-graphs'), loss: ctx.loss });
  return { engine, trainedWith: { ...trainedWith, estimatedPeakBytes: plan.peakBytes } };
}

/**
 * Evaluates a loaded run's model on samples with the engine training would use now: ONNX Runtime's
 * forward graph where it loads (vit_b in seconds, not minutes), the tfjs model otherwise. Both
 * post-process logits identically (evaluate.ts), so the metrics do not depend on the engine.
 */
export async function evaluateWithChosenEngine(model: TrainableSegmenter, config: TrainConfig, samples: readonly Sample[], opts: EvaluateOptions = {}): Promise<{ result: EvaluationResult; engine: string }> {
  const choice = await chooseTrainEngine(process.env);
  // A SAM base (vit_b: tens of seconds per image on tfjs-wasm) needs ONNX Runtime; a model from
  // scratch (tiny) evaluates on tfjs faster than its forward graph is built.
  if (choice.engine === 'tfjs' || config.model.base === null) return { result: evaluateSamples(model, samples, opts), engine: `tfjs (${choice.engine === 'tfjs' ? choice.executionProvider : 'model from scratch'})` };
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 4, samples.length));
  const { engine, trainedWith } = await createStepEngine(choice, model, { ...config, batchSize }, { recompute: false, mode: 'forward' });
  try {
    const params = readParams(model);
    const result = await evaluateSamplesWith((images) => engine.forward(params, images), model.describe(), samples, { ...opts, batchSize });
    return { result, engine: `ONNX Runtime (${trainedWith.executionProvider})` };
  } finally {
    await engine.dispose();
  }
}
