// One JSON-serialisable description of a training run. It is stored with the run and inside every
// checkpoint, so a resumed run trains with exactly what the first attempt was given.
export interface AugmentationConfig {
  hflip: boolean;
  vflip: boolean;
  rot90: boolean;
  /** Max relative brightness change (0.1 = ±10 %); 0 = off. */
  brightness: number;
  /** Max relative contrast change (0.1 = ±10 %); 0 = off. */
  contrast: number;
}

export interface ModelChoice {
  /** Name of a base model in the model library (e.g. 'sam-tiny', 'vit_b'), or null with a preset. */
  base: string | null;
  /** Train a model of this preset from scratch (no base weights). */
  preset: string | null;
  /** Options of the PA-SAM model (LoRA rank, IPEG, decoder...), validated by the model. */
  options: Record<string, unknown>;
}

export interface TrainConfig {
  model: ModelChoice;
  /** Input side S (multiple of 16). */
  inputSize: number;
  epochs: number;
  batchSize: number;
  /** Micro-batches whose gradients are summed before one optimiser step. */
  accumulationSteps: number;
  learningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Share of all optimiser steps spent in linear warm-up. */
  warmupFraction: number;
  /** Exponent of the poly decay after warm-up. */
  polyPower: number;
  augmentation: AugmentationConfig;
  seed: number;
  /** Epochs without a better validation mIoU before stopping; 0 = never stop early. */
  patience: number;
  /** Loss weights: ce·CE + dice·Dice. */
  ceWeight: number;
  diceWeight: number;
  /** Compute the loss on logits upsampled to S×S (thin defects need it at small S). */
  lossOnUpsampledLogits: boolean;
  /**
   * Share of `train` images held out (seeded) for validation when the project has no `val` images.
   * 0 = validate on the training images themselves (overfitting checks, tiny sets).
   */
  valFraction: number;
  /** Also write the `last` checkpoint every N optimiser steps inside an epoch (0 = epoch ends only). */
  checkpointEverySteps: number;
  /**
   * Tiled training and inference: 0 = whole image resized (longest side → inputSize); otherwise
   * S×S crops of the image at `tileScale` (must equal inputSize), and overlapping tiles blended at
   * inference (app/engine/tiling.ts).
   */
  tileSize: number;
  /** Pixels shared by neighbouring inference tiles (≤ tileSize/2). */
  tileOverlap: number;
  /** Image scale before tiling (1 = native resolution). */
  tileScale: number;
  /** Share of training crops centred on a defect pixel (classes drawn uniformly, so rare ones are oversampled). */
  defectCropShare: number;
  /**
   * 'frequency': CE weighted per class from the training masks' pixel frequencies (clipped;
   * app/engine/classBalance.ts); 'none': unweighted.
   */
  classWeighting: 'none' | 'frequency';
  /** Focal loss exponent γ on the CE term (0 = plain CE). tfjs engine only: the ONNX Runtime training graph computes plain CE. */
  focalGamma: number;
  /** Dice averaged over the classes present in the batch's labels only (absent classes add no loss). */
  dicePresentOnly: boolean;
}

/** What a config written before tiling/imbalance options existed means: today's whole-image behaviour. */
export const TILING_AND_BALANCE_DEFAULTS = {
  tileSize: 0,
  tileOverlap: 0,
  tileScale: 1,
  defectCropShare: 0.5,
  classWeighting: 'none',
  focalGamma: 0,
  dicePresentOnly: false,
} as const satisfies Partial<TrainConfig>;

export const DEFAULT_AUGMENTATION: AugmentationConfig = { hflip: true, vflip: true, rot90: true, brightness: 0.1, contrast: 0.1 };

/** The project's defaults (PA-SAM.md §9). */
export function defaultTrainConfig(): TrainConfig {
  return {
    model: { base: null, preset: 'tiny', options: {} },
    inputSize: 1024,
    epochs: 30,
    batchSize: 4,
    accumulationSteps: 1,
    learningRate: 5e-4,
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    warmupFraction: 0.05,
    polyPower: 0.9,
    augmentation: { ...DEFAULT_AUGMENTATION },
    seed: 42,
    patience: 0,
    ceWeight: 0.2,
    diceWeight: 0.8,
    lossOnUpsampledLogits: false,
    valFraction: 0.1,
    checkpointEverySteps: 0,
    ...TILING_AND_BALANCE_DEFAULTS,
  };
}

export class TrainConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`training config: '${key}' ${message}`);
    this.name = 'TrainConfigError';
  }
}

type Check = (key: string, v: unknown) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(min: number, max: number, opts: { integer?: boolean; minExclusive?: boolean } = {}): Check {
  return (key, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainConfigError(key, `must be a number, got ${JSON.stringify(v)}`);
    if (opts.integer && !Number.isInteger(v)) throw new TrainConfigError(key, `must be an integer, got ${v}`);
    if (opts.minExclusive ? v <= min : v < min) throw new TrainConfigError(key, `must be ${opts.minExclusive ? '>' : '≥'} ${min}, got ${v}`);
    if (v > max) throw new TrainConfigError(key, `must be ≤ ${max}, got ${v}`);
  };
}
const bool: Check = (key, v) => {
  if (typeof v !== 'boolean') throw new TrainConfigError(key, `must be true or false, got ${JSON.stringify(v)}`);
};
const nameOrNull: Check = (key, v) => {
  if (v !== null && (typeof v !== 'string' || v.trim() === '')) throw new TrainConfigError(key, `must be a non-empty name or null, got ${JSON.stringify(v)}`);
};

const oneOf =
  (...values: string[]): Check =>
  (key, v) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new TrainConfigError(key, `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(v)}`);
  };

const TOP_CHECKS: Record<Exclude<keyof TrainConfig, 'model' | 'augmentation'>, Check> = {
  inputSize: (key, v) => {
    num(16, 4096, { integer: true })(key, v);
    if ((v as number) % 16 !== 0) throw new TrainConfigError(key, `must be a multiple of 16, got ${v}`);
  },
  epochs: num(1, 100000, { integer: true }),
  batchSize: num(1, 4096, { integer: true }),
  accumulationSteps: num(1, 4096, { integer: true }),
  learningRate: num(0, 10, { minExclusive: true }),
  weightDecay: num(0, 10),
  beta1: num(0, 0.999999),
  beta2: num(0, 0.99999999),
  epsilon: num(0, 1, { minExclusive: true }),
  warmupFraction: num(0, 1),
  polyPower: num(0, 100),
  seed: num(0, 2 ** 32 - 1, { integer: true }),
  patience: num(0, 100000, { integer: true }),
  ceWeight: num(0, 1000),
  diceWeight: num(0, 1000),
  lossOnUpsampledLogits: bool,
  valFraction: num(0, 0.9),
  checkpointEverySteps: num(0, 1e9, { integer: true }),
  tileSize: (key, v) => {
    num(0, 4096, { integer: true })(key, v);
    if (v !== 0 && (v as number) % 16 !== 0) throw new TrainConfigError(key, `must be 0 (whole image) or a multiple of 16, got ${v}`);
  },
  tileOverlap: num(0, 2048, { integer: true }),
  tileScale: num(0, 1, { minExclusive: true }),
  defectCropShare: num(0, 1),
  classWeighting: oneOf('none', 'frequency'),
  focalGamma: num(0, 10),
  dicePresentOnly: bool,
};

const AUG_CHECKS: Record<keyof AugmentationConfig, Check> = {
  hflip: bool,
  vflip: bool,
  rot90: bool,
  brightness: num(0, 1),
  contrast: num(0, 1),
};

function unknownKey(prefix: string, key: string, known: string[]): TrainConfigError {
  return new TrainConfigError(prefix + key, `is not a setting (known: ${known.join(', ')})`);
}

/**
 * Merges `overrides` (parsed JSON, e.g. from `--config`) onto `base` and validates the result.
 * Every error names the bad key; unknown keys are errors (a typo must not silently train with a default).
 */
export function resolveTrainConfig(overrides: unknown, base: TrainConfig = defaultTrainConfig()): TrainConfig {
  if (!isObject(overrides)) throw new TrainConfigError('(root)', `must be a JSON object, got ${Array.isArray(overrides) ? 'an array' : JSON.stringify(overrides)}`);
  const out: TrainConfig = { ...base, model: { ...base.model, options: { ...base.model.options } }, augmentation: { ...base.augmentation } };
  const topKnown = [...Object.keys(TOP_CHECKS), 'model', 'augmentation'];
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'model') {
      if (!isObject(value)) throw new TrainConfigError('model', 'must be an object with base, preset, options');
      for (const [mk, mv] of Object.entries(value)) {
        if (mk === 'base' || mk === 'preset') {
          nameOrNull(`model.${mk}`, mv);
          out.model[mk] = mv as string | null;
        } else if (mk === 'options') {
          if (!isObject(mv)) throw new TrainConfigError('model.options', 'must be an object');
          out.model.options = { ...out.model.options, ...mv };
        } else throw unknownKey('model.', mk, ['base', 'preset', 'options']);
      }
    } else if (key === 'augmentation') {
      if (value === false) {
        out.augmentation = { hflip: false, vflip: false, rot90: false, brightness: 0, contrast: 0 };
        continue;
      }
      if (!isObject(value)) throw new TrainConfigError('augmentation', 'must be an object (or false to switch it off)');
      for (const [ak, av] of Object.entries(value)) {
        const check = AUG_CHECKS[ak as keyof AugmentationConfig];
        if (!check) throw unknownKey('augmentation.', ak, Object.keys(AUG_CHECKS));
        check(`augmentation.${ak}`, av);
        (out.augmentation as unknown as Record<string, unknown>)[ak] = av;
      }
    } else {
      const check = TOP_CHECKS[key as keyof typeof TOP_CHECKS];
      if (!check) throw unknownKey('', key, topKnown);
      check(key, value);
      (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  // A tile is one model input: a new input size carries a tiled base config along.
  if (out.tileSize !== 0 && !('tileSize' in overrides)) out.tileSize = out.inputSize;
  validateTrainConfig(out);
  return out;
}

/** Checks a complete config (e.g. one read back from a checkpoint). */
export function validateTrainConfig(c: TrainConfig): TrainConfig {
  if (!isObject(c)) throw new TrainConfigError('(root)', 'must be a JSON object');
  // Configs stored before these settings existed load as whole-image, unweighted runs.
  for (const [key, value] of Object.entries(TILING_AND_BALANCE_DEFAULTS)) if (!(key in c)) (c as unknown as Record<string, unknown>)[key] = value;
  for (const [key, check] of Object.entries(TOP_CHECKS)) {
    if (!(key in c)) throw new TrainConfigError(key, 'is missing');
    check(key, (c as unknown as Record<string, unknown>)[key]);
  }
  if (!isObject(c.augmentation)) throw new TrainConfigError('augmentation', 'is missing');
  for (const [key, check] of Object.entries(AUG_CHECKS)) check(`augmentation.${key}`, (c.augmentation as unknown as Record<string, unknown>)[key]);
  if (!isObject(c.model)) throw new TrainConfigError('model', 'is missing');
  nameOrNull('model.base', c.model.base);
  nameOrNull('model.preset', c.model.preset);
  if (!isObject(c.model.options)) throw new TrainConfigError('model.options', 'must be an object');
  if (c.model.base === null && c.model.preset === null) throw new TrainConfigError('model', 'needs a base model (model.base) or a preset to train from scratch (model.preset)');
  if (c.model.base !== null && c.model.preset !== null) throw new TrainConfigError('model', `gives both a base model ('${c.model.base}') and a preset ('${c.model.preset}'); choose one`);
  if (c.ceWeight === 0 && c.diceWeight === 0) throw new TrainConfigError('ceWeight', 'and diceWeight cannot both be 0');
  if (c.tileSize !== 0 && c.tileSize !== c.inputSize) throw new TrainConfigError('tileSize', `must be 0 (whole image) or equal inputSize (${c.inputSize}): a tile is one model input; use tileScale to cover more of the image per tile, got ${c.tileSize}`);
  if (c.tileOverlap > c.tileSize / 2) throw new TrainConfigError('tileOverlap', `must be at most half the tile (${c.tileSize / 2}), got ${c.tileOverlap}${c.tileSize === 0 ? ' (tiling is off: tileSize 0)' : ''}`);
  return c;
}

/** Parses JSON text (a `--config` file) into overrides, naming the file on a syntax error. */
export function parseConfigJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
