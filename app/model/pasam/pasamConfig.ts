// PA-SAM's configuration: every [INFERRED] design choice of PA-SAM.md §1.3–§1.5 and §9 is an
// option here, with the project's decided default. Plain JSON in and out; `parsePasamConfig`
// fills defaults and rejects unknown options and bad values with messages that name the option.

/** Linear layers of each encoder block that get an MSPCA-LoRA branch ('proj' = attention output projection). */
export type LoraTarget = 'qkv' | 'q' | 'v' | 'proj';
export const LORA_TARGETS: readonly LoraTarget[] = ['qkv', 'q', 'v', 'proj'];

export interface MspcaLoraConfig {
  /** 'qkv' = the fused qkv linear (default); ['q','v'] = SAMed-style separate branches; 'proj' may be added to either. */
  targets: LoraTarget[];
  /** LoRA rank r. */
  rank: number;
  /** Scale α/r on the branch output (α = r gives SAMed's unscaled B·A). */
  alpha: number;
  /** 'mspca' = multi-scale partial convolutions in the bottleneck; 'none' = plain LoRA. */
  bottleneck: 'mspca' | 'none';
  /** ρ: share of the r channels that are convolved, cp = max(1, round(r·ρ)); the rest pass through. */
  partialRatio: number;
  /** 'kernels' = one conv per size in `kernels`; 'dilations' = a `dilationKernel` conv per dilation. */
  scales: 'kernels' | 'dilations';
  /** Odd kernel sizes (scales = 'kernels'). */
  kernels: number[];
  /** Dilations of the `dilationKernel`×`dilationKernel` conv (scales = 'dilations'). */
  dilations: number[];
  dilationKernel: number;
  /** 'sum' of the per-scale outputs, or 'concat' followed by a 1×1 conv cp·n → cp. */
  aggregation: 'sum' | 'concat';
  /** A 1×1 conv r → r after re-joining the convolved and untouched channels. */
  mixChannels: boolean;
  /** 'window' = convolve inside each attention window (Conv-LoRA parity); 'unwindowed' = convolve the whole un-windowed token grid. */
  spatial: 'window' | 'unwindowed';
}

export interface IpegConfig {
  /** Sparse prompt branch: learnable queries + cross-attention, GAP→MLP, or none (no sparse tokens). */
  sparse: 'queries' | 'gap-mlp' | 'none';
  /** Ns, the number of sparse prompt embeddings. */
  numQueries: number;
  /** Heads of the query cross-attention (must divide the prompt dim). */
  numHeads: number;
  /** Hidden width of the sparse branch's MLP, as a multiple of the prompt dim. */
  mlpRatio: number;
  /** Dense prompt branch: conv3×3 → LN2d → GELU → conv1×1, or 'none' = a learned constant (SAM's no_mask_embed). */
  dense: 'conv' | 'none';
}

export interface DecoderConfig {
  /**
   * How the K+1 mask tokens and hypernetwork MLPs start: 'token0' = every one a copy of SAM's mask
   * token 0 / MLP 0 (default); 'pretrained' = SAM's token i / MLP i where it exists, token 0 beyond.
   */
  tokenInit: 'token0' | 'pretrained';
}

export interface TrainableConfig {
  /** Also train the encoder neck. */
  neck: boolean;
  /** Train the whole encoder (full fine-tune baseline). Always on for models built from scratch. */
  encoder: boolean;
}

export interface PasamConfig {
  /** Input side S (multiple of 16). Absent = the backbone's native size (1024 for SAM checkpoints). */
  inputSize?: number;
  lora: MspcaLoraConfig;
  ipeg: IpegConfig;
  decoder: DecoderConfig;
  trainable: TrainableConfig;
}

export function defaultPasamConfig(): PasamConfig {
  return {
    lora: {
      targets: ['qkv'],
      rank: 8,
      alpha: 16,
      bottleneck: 'mspca',
      partialRatio: 0.5,
      scales: 'kernels',
      kernels: [3, 5, 7],
      dilations: [1, 2, 3],
      dilationKernel: 3,
      aggregation: 'sum',
      mixChannels: false,
      spatial: 'window',
    },
    ipeg: { sparse: 'queries', numQueries: 8, numHeads: 8, mlpRatio: 4, dense: 'conv' },
    decoder: { tokenInit: 'token0' },
    trainable: { neck: false, encoder: false },
  };
}

export class PasamConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasamConfigError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges `given` over `defaults` one level deep per section, rejecting names the defaults lack. */
function mergeSection(section: string, defaults: Json, given: unknown, where: string): Json {
  if (given === undefined) return { ...defaults };
  if (!isObject(given)) throw new PasamConfigError(`${where}: '${section}' must be an object, got ${JSON.stringify(given)}`);
  for (const key of Object.keys(given)) {
    if (!(key in defaults)) {
      throw new PasamConfigError(`${where}: unknown option '${section}.${key}' (known: ${Object.keys(defaults).map((k) => `${section}.${k}`).join(', ')})`);
    }
  }
  return { ...defaults, ...given };
}

/** Convolved channels of the MSPCA bottleneck: cp = max(1, round(r·ρ)). */
export function partialChannels(lora: Pick<MspcaLoraConfig, 'rank' | 'partialRatio'>): number {
  return Math.max(1, Math.min(lora.rank, Math.round(lora.rank * lora.partialRatio)));
}

/** The (kernel size, dilation) of every MSPCA scale. */
export function mspcaScales(lora: MspcaLoraConfig): { kernel: number; dilation: number; label: string }[] {
  return lora.scales === 'kernels'
    ? lora.kernels.map((k) => ({ kernel: k, dilation: 1, label: `k${k}` }))
    : lora.dilations.map((d) => ({ kernel: lora.dilationKernel, dilation: d, label: `d${d}` }));
}

/**
 * Validates and completes a (partial) configuration. Throws PasamConfigError naming the option.
 * `where` prefixes messages (e.g. the file the JSON came from).
 */
export function parsePasamConfig(input: unknown = {}, where = 'PA-SAM config'): PasamConfig {
  if (!isObject(input)) throw new PasamConfigError(`${where}: expected a JSON object, got ${JSON.stringify(input)}`);
  const d = defaultPasamConfig();
  const sections = ['inputSize', 'lora', 'ipeg', 'decoder', 'trainable'];
  for (const key of Object.keys(input)) {
    if (!sections.includes(key)) throw new PasamConfigError(`${where}: unknown option '${key}' (known: ${sections.join(', ')})`);
  }
  const cfg: PasamConfig = {
    lora: mergeSection('lora', d.lora as unknown as Json, input.lora, where) as unknown as MspcaLoraConfig,
    ipeg: mergeSection('ipeg', d.ipeg as unknown as Json, input.ipeg, where) as unknown as IpegConfig,
    decoder: mergeSection('decoder', d.decoder as unknown as Json, input.decoder, where) as unknown as DecoderConfig,
    trainable: mergeSection('trainable', d.trainable as unknown as Json, input.trainable, where) as unknown as TrainableConfig,
  };
  if (input.inputSize !== undefined) cfg.inputSize = input.inputSize as number;
  validatePasamConfig(cfg, where);
  // Own copies of the arrays, so callers cannot change a validated config afterwards.
  cfg.lora = { ...cfg.lora, targets: [...cfg.lora.targets], kernels: [...cfg.lora.kernels], dilations: [...cfg.lora.dilations] };
  return cfg;
}

function check(ok: boolean, problems: string[], message: string): void {
  if (!ok) problems.push(message);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const oneOf = (v: unknown, options: readonly string[]) => typeof v === 'string' && options.includes(v);

/** Throws PasamConfigError listing every problem of a complete configuration. */
export function validatePasamConfig(cfg: PasamConfig, where = 'PA-SAM config'): void {
  const p: string[] = [];
  const l = cfg.lora;
  if (cfg.inputSize !== undefined) check(isInt(cfg.inputSize) && cfg.inputSize > 0 && cfg.inputSize % 16 === 0, p, `inputSize must be a positive multiple of 16, got ${JSON.stringify(cfg.inputSize)}`);
  const t = l.targets as unknown;
  if (!Array.isArray(t) || t.length === 0 || !t.every((x) => oneOf(x, LORA_TARGETS))) {
    p.push(`lora.targets must be a non-empty list of ${LORA_TARGETS.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(t)}`);
  } else {
    if (new Set(t).size !== t.length) p.push(`lora.targets lists a target twice: ${JSON.stringify(t)}`);
    if (t.includes('qkv') && (t.includes('q') || t.includes('v'))) p.push(`lora.targets: 'qkv' already covers 'q' and 'v'; use ['qkv'] or ['q', 'v'], got ${JSON.stringify(t)}`);
  }
  check(isInt(l.rank) && l.rank >= 1, p, `lora.rank must be a positive integer, got ${JSON.stringify(l.rank)}`);
  check(isNum(l.alpha) && l.alpha > 0, p, `lora.alpha must be a positive number, got ${JSON.stringify(l.alpha)}`);
  check(oneOf(l.bottleneck, ['mspca', 'none']), p, `lora.bottleneck must be 'mspca' or 'none', got ${JSON.stringify(l.bottleneck)}`);
  check(isNum(l.partialRatio) && l.partialRatio > 0 && l.partialRatio <= 1, p, `lora.partialRatio (ρ) must be in (0, 1], got ${JSON.stringify(l.partialRatio)}`);
  check(oneOf(l.scales, ['kernels', 'dilations']), p, `lora.scales must be 'kernels' or 'dilations', got ${JSON.stringify(l.scales)}`);
  const oddList = (name: string, v: unknown, what: string) => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => isInt(x) && x >= 1)) {
      p.push(`${name} must be a non-empty list of positive integers, got ${JSON.stringify(v)}`);
      return;
    }
    if (new Set(v).size !== v.length) p.push(`${name} lists a value twice: ${JSON.stringify(v)}`);
    if (what === 'kernel') for (const k of v as number[]) if (k % 2 === 0) p.push(`${name}: kernel size ${k} is even; MSPCA kernels must be odd so that 'same' padding keeps the window centred`);
  };
  oddList('lora.kernels', l.kernels, 'kernel');
  oddList('lora.dilations', l.dilations, 'dilation');
  check(isInt(l.dilationKernel) && l.dilationKernel >= 1 && l.dilationKernel % 2 === 1, p, `lora.dilationKernel must be an odd positive integer, got ${JSON.stringify(l.dilationKernel)}`);
  check(oneOf(l.aggregation, ['sum', 'concat']), p, `lora.aggregation must be 'sum' or 'concat', got ${JSON.stringify(l.aggregation)}`);
  check(typeof l.mixChannels === 'boolean', p, `lora.mixChannels must be true or false, got ${JSON.stringify(l.mixChannels)}`);
  check(oneOf(l.spatial, ['window', 'unwindowed']), p, `lora.spatial must be 'window' or 'unwindowed', got ${JSON.stringify(l.spatial)}`);

  const i = cfg.ipeg;
  check(oneOf(i.sparse, ['queries', 'gap-mlp', 'none']), p, `ipeg.sparse must be 'queries', 'gap-mlp' or 'none', got ${JSON.stringify(i.sparse)}`);
  check(isInt(i.numQueries) && i.numQueries >= 1, p, `ipeg.numQueries must be a positive integer, got ${JSON.stringify(i.numQueries)}`);
  check(isInt(i.numHeads) && i.numHeads >= 1, p, `ipeg.numHeads must be a positive integer, got ${JSON.stringify(i.numHeads)}`);
  check(isNum(i.mlpRatio) && i.mlpRatio > 0, p, `ipeg.mlpRatio must be a positive number, got ${JSON.stringify(i.mlpRatio)}`);
  check(oneOf(i.dense, ['conv', 'none']), p, `ipeg.dense must be 'conv' or 'none', got ${JSON.stringify(i.dense)}`);

  check(oneOf(cfg.decoder.tokenInit, ['token0', 'pretrained']), p, `decoder.tokenInit must be 'token0' or 'pretrained', got ${JSON.stringify(cfg.decoder.tokenInit)}`);
  check(typeof cfg.trainable.neck === 'boolean', p, `trainable.neck must be true or false, got ${JSON.stringify(cfg.trainable.neck)}`);
  check(typeof cfg.trainable.encoder === 'boolean', p, `trainable.encoder must be true or false, got ${JSON.stringify(cfg.trainable.encoder)}`);
  if (p.length) throw new PasamConfigError(`${where}: ${p.join('; ')}`);
}

/** Checks the options that depend on the backbone's dimensions. */
export function validateAgainstBackbone(cfg: PasamConfig, promptEmbedDim: number, where = 'PA-SAM config'): void {
  if (cfg.ipeg.sparse === 'queries' && promptEmbedDim % cfg.ipeg.numHeads !== 0) {
    throw new PasamConfigError(`${where}: ipeg.numHeads ${cfg.ipeg.numHeads} does not divide the prompt embedding dim ${promptEmbedDim}`);
  }
}
