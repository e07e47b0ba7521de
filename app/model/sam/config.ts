// SAM model configuration: the official presets and any configuration read from a fixture manifest
// (the reference `build_sam.py` arguments, snake_case).

import type { TinyVitConfig } from './tinyVitSam.js';

export type SamPresetName = 'vit_b' | 'vit_l' | 'vit_h';
export const SAM_PRESET_NAMES: readonly SamPresetName[] = ['vit_b', 'vit_l', 'vit_h'];

export interface SamConfig {
  /** Input side S the checkpoint was trained at (1024 for the official models). */
  imgSize: number;
  patchSize: number;
  encoderEmbedDim: number;
  encoderDepth: number;
  encoderNumHeads: number;
  encoderGlobalAttnIndexes: number[];
  windowSize: number;
  mlpRatio: number;
  /** Channels of the image embedding, prompt embeddings and neck output. */
  promptEmbedDim: number;
  maskInChans: number;
  decoderDepth: number;
  decoderMlpDim: number;
  decoderNumHeads: number;
  /** Cross-attention internal dim = promptEmbedDim / attentionDownsampleRate. */
  attentionDownsampleRate: number;
  iouHeadDepth: number;
  iouHeadHiddenDim: number;
  numMultimaskOutputs: number;
  pixelMean: [number, number, number];
  pixelStd: [number, number, number];
  /**
   * MobileSAM: the image encoder is this TinyViT instead of the ViT described by the encoder*
   * fields (then encoderDepth is 0, encoderEmbedDim the last stage's width; patchSize 16 is the
   * encoder's overall stride, so the token grid is still S/16).
   */
  tinyVit?: TinyVitConfig;
}

const SHARED = {
  imgSize: 1024,
  patchSize: 16,
  windowSize: 14,
  mlpRatio: 4,
  promptEmbedDim: 256,
  maskInChans: 16,
  decoderDepth: 2,
  decoderMlpDim: 2048,
  decoderNumHeads: 8,
  attentionDownsampleRate: 2,
  iouHeadDepth: 3,
  iouHeadHiddenDim: 256,
  numMultimaskOutputs: 3,
  pixelMean: [123.675, 116.28, 103.53] as [number, number, number],
  pixelStd: [58.395, 57.12, 57.375] as [number, number, number],
};

export const SAM_PRESETS: Record<SamPresetName, SamConfig> = {
  vit_b: { ...SHARED, encoderEmbedDim: 768, encoderDepth: 12, encoderNumHeads: 12, encoderGlobalAttnIndexes: [2, 5, 8, 11] },
  vit_l: { ...SHARED, encoderEmbedDim: 1024, encoderDepth: 24, encoderNumHeads: 16, encoderGlobalAttnIndexes: [5, 11, 17, 23] },
  vit_h: { ...SHARED, encoderEmbedDim: 1280, encoderDepth: 32, encoderNumHeads: 16, encoderGlobalAttnIndexes: [7, 15, 23, 31] },
};

export function presetConfig(name: SamPresetName): SamConfig {
  const c = SAM_PRESETS[name];
  return { ...c, encoderGlobalAttnIndexes: [...c.encoderGlobalAttnIndexes], pixelMean: [...c.pixelMean], pixelStd: [...c.pixelStd] };
}

export function isPresetName(name: string): name is SamPresetName {
  return (SAM_PRESET_NAMES as readonly string[]).includes(name);
}

/** Token grid side of the image encoder at input side `s`. */
export function gridSize(cfg: SamConfig, s = cfg.imgSize): number {
  return s / cfg.patchSize;
}

/** Builds a config from the reference `build_sam` keyword arguments (as in a fixture manifest). */
export function configFromReference(ref: Record<string, unknown>, where = 'config'): SamConfig {
  const num = (key: string, fallback?: number): number => {
    const v = ref[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: '${key}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const triple = (key: string, fallback: [number, number, number]): [number, number, number] => {
    const v = ref[key];
    if (v === undefined) return [...fallback];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number')) throw new Error(`${where}: '${key}' must be 3 numbers`);
    return [v[0], v[1], v[2]];
  };
  if (ref.kind === 'mobile_sam') return mobileSamConfigFromReference(ref, where, num, triple);
  const idx = ref.encoder_global_attn_indexes;
  if (!Array.isArray(idx) || !idx.every((x) => Number.isInteger(x))) throw new Error(`${where}: 'encoder_global_attn_indexes' must be a list of integers`);
  const cfg: SamConfig = {
    imgSize: num('img_size', 1024),
    patchSize: num('patch_size', 16),
    encoderEmbedDim: num('encoder_embed_dim'),
    encoderDepth: num('encoder_depth'),
    encoderNumHeads: num('encoder_num_heads'),
    encoderGlobalAttnIndexes: idx as number[],
    windowSize: num('window_size', 14),
    mlpRatio: num('mlp_ratio', 4),
    ...decoderFields(num),
    pixelMean: triple('pixel_mean', SHARED.pixelMean),
    pixelStd: triple('pixel_std', SHARED.pixelStd),
  };
  validateConfig(cfg, where);
  return cfg;
}

/** The decoder-side fields every SAM config shares, from reference keyword arguments. */
function decoderFields(num: (key: string, fallback?: number) => number) {
  return {
    promptEmbedDim: num('prompt_embed_dim', 256),
    maskInChans: num('mask_in_chans', 16),
    decoderDepth: num('decoder_depth', 2),
    decoderMlpDim: num('decoder_mlp_dim', 2048),
    decoderNumHeads: num('decoder_num_heads', 8),
    attentionDownsampleRate: num('attention_downsample_rate', 2),
    iouHeadDepth: num('iou_head_depth', 3),
    iouHeadHiddenDim: num('iou_head_hidden_dim', 256),
    numMultimaskOutputs: num('num_multimask_outputs', 3),
  };
}

/** MobileSAM's build arguments (tiny_vit_sam.TinyViT + the SAM prompt encoder and decoder). */
function mobileSamConfigFromReference(
  ref: Record<string, unknown>,
  where: string,
  num: (key: string, fallback?: number) => number,
  triple: (key: string, fallback: [number, number, number]) => [number, number, number],
): SamConfig {
  const list = (key: string): number[] => {
    const v = ref[key];
    if (!Array.isArray(v) || v.length < 2 || !v.every((x) => typeof x === 'number' && x > 0)) throw new Error(`${where}: '${key}' must be a list of positive numbers`);
    return v as number[];
  };
  const embedDims = list('embed_dims');
  const fields = decoderFields(num);
  const tinyVit: TinyVitConfig = {
    embedDims,
    depths: list('depths'),
    numHeads: list('num_heads'),
    windowSizes: list('window_sizes'),
    mlpRatio: num('mlp_ratio', 4),
    mbconvExpandRatio: num('mbconv_expand_ratio', 4),
    localConvSize: num('local_conv_size', 3),
    neckDim: fields.promptEmbedDim,
  };
  return mobileSamConfig(tinyVit, { ...fields, imgSize: num('img_size', 1024), pixelMean: triple('pixel_mean', SHARED.pixelMean), pixelStd: triple('pixel_std', SHARED.pixelStd) }, where);
}

/** A SamConfig whose image encoder is the given TinyViT. */
export function mobileSamConfig(
  tinyVit: TinyVitConfig,
  rest: Omit<SamConfig, 'patchSize' | 'encoderEmbedDim' | 'encoderDepth' | 'encoderNumHeads' | 'encoderGlobalAttnIndexes' | 'windowSize' | 'mlpRatio' | 'tinyVit'>,
  where = 'config',
): SamConfig {
  const n = tinyVit.depths.length;
  for (const key of ['numHeads', 'windowSizes', 'embedDims'] as const) {
    if (tinyVit[key].length !== n) throw new Error(`${where}: TinyViT has ${n} stages but ${tinyVit[key].length} ${key}`);
  }
  const cfg: SamConfig = {
    ...rest,
    patchSize: 16,
    encoderEmbedDim: tinyVit.embedDims[n - 1],
    encoderDepth: 0,
    encoderNumHeads: 1,
    encoderGlobalAttnIndexes: [],
    windowSize: 0,
    mlpRatio: tinyVit.mlpRatio,
    tinyVit,
  };
  validateConfig(cfg, where);
  return cfg;
}

export function validateConfig(cfg: SamConfig, where = 'config'): void {
  const problems: string[] = [];
  if (cfg.imgSize % cfg.patchSize !== 0) problems.push(`img_size ${cfg.imgSize} is not a multiple of patch_size ${cfg.patchSize}`);
  if (cfg.encoderEmbedDim % cfg.encoderNumHeads !== 0) problems.push(`encoder_embed_dim ${cfg.encoderEmbedDim} is not divisible by ${cfg.encoderNumHeads} heads`);
  if (cfg.promptEmbedDim % 2 !== 0) problems.push('prompt_embed_dim must be even');
  if (cfg.promptEmbedDim % cfg.attentionDownsampleRate !== 0) problems.push('prompt_embed_dim is not divisible by attention_downsample_rate');
  if ((cfg.promptEmbedDim / cfg.attentionDownsampleRate) % cfg.decoderNumHeads !== 0) problems.push('cross-attention dim is not divisible by decoder_num_heads');
  if (cfg.promptEmbedDim % 8 !== 0) problems.push('prompt_embed_dim must be a multiple of 8 (upscaling channels D/4 and D/8)');
  for (const i of cfg.encoderGlobalAttnIndexes) if (i < 0 || i >= cfg.encoderDepth) problems.push(`global attention index ${i} is outside 0..${cfg.encoderDepth - 1}`);
  if (problems.length) throw new Error(`${where}: ${problems.join('; ')}`);
}

/** Config with a different input side S (multiple of the patch size). */
export function withInputSize(cfg: SamConfig, s: number): SamConfig {
  if (!Number.isInteger(s) || s <= 0 || s % cfg.patchSize !== 0) throw new Error(`input size ${s} must be a positive multiple of ${cfg.patchSize}`);
  return { ...cfg, imgSize: s };
}
