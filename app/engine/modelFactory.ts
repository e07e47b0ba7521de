// Builds the model a run trains: PA-SAM on a library base model (MSPCA-LoRA + IPEG + multi-class
// decoder trained, the SAM weights frozen) or a preset from scratch. The base model's hash goes
// into every checkpoint so that trained tensors are never applied to other weights.
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import { loadModelWeights } from '../model/library.js';
import { disposeSamWeights } from '../model/sam/weights.js';
import { PasamModel } from '../model/pasam/pasamModel.js';
import { parsePasamConfig } from '../model/pasam/pasamConfig.js';
import { BACKBONE_NAMES, type BackboneName } from '../model/pasam/backbones.js';
import { encoderAttentionPeakBytes } from '../model/sam/imageEncoder.js';
import { assertFits } from '../tensor/memoryGuard.js';
import type { TrainConfig } from './trainConfig.js';
import { TrainConfigError } from './trainConfig.js';

export interface BuiltSegmenter {
  model: TrainableSegmenter;
  base: { name: string; sha256: string | null } | null;
  /** Refuses (and disposes the model) when a tfjs forward pass at the config's size would not fit. */
  guardTfjsForward(): void;
}

/** Checks config.model.options against the PA-SAM model's own schema (errors name the option). */
export function validateModelOptions(config: TrainConfig): void {
  if (config.model.preset !== null && !(BACKBONE_NAMES as readonly string[]).includes(config.model.preset)) {
    throw new TrainConfigError('model.preset', `'${config.model.preset}' is not a preset (known: ${BACKBONE_NAMES.join(', ')})`);
  }
  try {
    parsePasamConfig({ ...config.model.options, inputSize: config.inputSize }, 'model.options');
  } catch (err) {
    throw new TrainConfigError('model.options', `is not valid: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Builds the run's model. tfjsForward (default true): the model's forward passes run on tfjs here,
 * so the tfjs memory guard applies now; a caller that runs them elsewhere (ONNX Runtime) skips it.
 */
export async function buildSegmenter(config: TrainConfig, numClasses: number, opts: { tfjsForward?: boolean } = {}): Promise<BuiltSegmenter> {
  const created = await createSegmenter(config, numClasses);
  // The memory policy is the engine's: refuse before the first forward pass whose largest
  // attention chunk would not fit, rather than inside the model's math.
  const guardTfjsForward = (): void => {
    const peak = encoderAttentionPeakBytes(created.model.samConfig, config.inputSize, config.batchSize);
    try {
      assertFits(peak.what, peak.bytes);
    } catch (err) {
      created.model.dispose();
      throw err;
    }
  };
  if (opts.tfjsForward !== false) guardTfjsForward();
  return { ...created, guardTfjsForward };
}

async function createSegmenter(config: TrainConfig, numClasses: number): Promise<{ model: PasamModel; base: BuiltSegmenter['base'] }> {
  const pasamConfig = parsePasamConfig({ ...config.model.options, inputSize: config.inputSize }, 'model.options');
  if (config.model.base !== null) {
    const { manifest, weights } = await loadModelWeights(config.model.base);
    try {
      const model = PasamModel.fromSam(weights, manifest.config, pasamConfig, { numClasses, seed: config.seed });
      return { model, base: { name: manifest.name, sha256: manifest.source.sha256 } };
    } finally {
      disposeSamWeights(weights);
    }
  }
  const preset = config.model.preset!;
  if (!(BACKBONE_NAMES as readonly string[]).includes(preset)) throw new TrainConfigError('model.preset', `'${preset}' is not a preset (known: ${BACKBONE_NAMES.join(', ')})`);
  const model = PasamModel.fromScratch(preset as BackboneName, pasamConfig, { numClasses, seed: config.seed });
  return { model, base: null };
}
