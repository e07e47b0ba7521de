// The product's step engine for a run: the engine choice (trainEngineChoice), the memory check
// that picks plain or recomputing graphs or refuses (trainMemory), and the run's record of both.
import { TrainingService } from '../engine/trainingService.js';
import type { PreparedEngine } from '../engine/trainingJob.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { TrainConfig } from '../engine/trainConfig.js';
import type { TrainEvent } from '../engine/trainEvents.js';
import { join } from 'node:path';
import { chooseTrainEngine, createStepEngine, describeChoice } from './trainEngineChoice.js';
import { planTrainingMemory } from './trainMemory.js';

/** The worker entry that chooses the engine (ONNX Runtime by default). */
export const PRODUCT_TRAIN_WORKER = new URL('./trainWorker.ts', import.meta.url);

/** A TrainingService whose runs use the product's engine choice. */
export function createTrainingService(): TrainingService {
  return new TrainingService({ workerEntry: PRODUCT_TRAIN_WORKER });
}

export async function prepareRunEngine(model: TrainableSegmenter, config: TrainConfig, ctx: { projectDir: string; emit: (e: TrainEvent) => void; runId: number }): Promise<PreparedEngine> {
  const choice = await chooseTrainEngine();
  const plan = planTrainingMemory(model, config, choice.engine);
  if (!plan.fits) throw new Error(plan.message);
  for (const line of describeChoice(choice)) ctx.emit({ type: 'log', runId: ctx.runId, message: line });
  ctx.emit({ type: 'log', runId: ctx.runId, message: plan.message });
  const { engine, trainedWith } = await createStepEngine(choice, model, config, { recompute: plan.recompute, cacheDir: join(ctx.projectDir, 'cache', 'training-graphs') });
  return { engine, trainedWith: { ...trainedWith, estimatedPeakBytes: plan.peakBytes } };
}
