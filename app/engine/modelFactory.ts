// Builds the model a run trains: PA-SAM on a library base model (MSPCA-LoRA + IPEG + multi-class
// decoder trained, the SAM weights frozen) or a preset from scratch. The base model's hash goes
// into every checkpoint so that trained tensors are never applied to other weights.
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import { loadModelWeights } from '../model/library.js';
import { PasamModel } from '../model/pasam/pasamModel.js';
import { parsePasamConfig } from '../model/pasam/pasamConfig.js';
import type { TrainConfig } from './trainConfig.js';
import { TrainConfigError } from './trainConfig.js';

export interface BuiltSegmenter {
  model: TrainableSegmenter;
  base: { name: string; sha256: string | null } | null;
}

/** Checks config.model.options against the PA-SAM model's own schema (errors name the option). */
export function validateModelOptions(config: TrainConfig): void {
  try {
    parsePasamConfig({ ...config.model.options, inputSize: config.inputSize }, 'model.options');
  } catch (err) {
    throw new TrainConfigError('model.options', `is not valid: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function buildSegmenter(config: TrainConfig, numClasses: number): Promise<BuiltSegmenter> {
  const pasamConfig = parsePasamConfig({ ...config.model.options, inputSize: config.inputSize }, 'model.options');
  if (config.model.base !== null) {
    const { manifest, weights } = await loadModelWeights(config.model.base);
    const model = PasamModel.fromSam(weights, manifest.config, { numClasses, config: pasamConfig, seed: config.seed });
    return { model, base: { name: manifest.name, sha256: manifest.source.sha256 } };
  }
  const model = PasamModel.fromScratch(config.model.preset as 'tiny', { numClasses, config: pasamConfig, seed: config.seed });
  return { model, base: null };
}
