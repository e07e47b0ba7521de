// The backbones PA-SAM can be built on: the official SAM sizes (from checkpoints) and `tiny`, a
// SAM-shaped ≈1M-parameter model trained from scratch at S = 224 for CPU experiments.
import { presetConfig, type SamConfig } from '../sam/config.js';

export type BackboneName = 'tiny' | 'vit_b' | 'vit_l' | 'vit_h';
export const BACKBONE_NAMES: readonly BackboneName[] = ['tiny', 'vit_b', 'vit_l', 'vit_h'];

/**
 * tiny: embed 96, depth 4, 4 heads, 7×7 windows with blocks 1 and 3 global, prompt dim 64,
 * decoder MLP 256 with 4 heads. At S = 224 the grid is 14×14 (2×2 windows, no padding).
 */
const TINY: SamConfig = {
  imgSize: 224,
  patchSize: 16,
  encoderEmbedDim: 96,
  encoderDepth: 4,
  encoderNumHeads: 4,
  encoderGlobalAttnIndexes: [1, 3],
  windowSize: 7,
  mlpRatio: 4,
  promptEmbedDim: 64,
  maskInChans: 16,
  decoderDepth: 2,
  decoderMlpDim: 256,
  decoderNumHeads: 4,
  attentionDownsampleRate: 2,
  iouHeadDepth: 3,
  iouHeadHiddenDim: 64,
  numMultimaskOutputs: 3,
  pixelMean: [123.675, 116.28, 103.53],
  pixelStd: [58.395, 57.12, 57.375],
};

export function backboneConfig(name: BackboneName): SamConfig {
  if (name === 'tiny') return { ...TINY, encoderGlobalAttnIndexes: [...TINY.encoderGlobalAttnIndexes], pixelMean: [...TINY.pixelMean], pixelStd: [...TINY.pixelStd] };
  if (name === 'vit_b' || name === 'vit_l' || name === 'vit_h') return presetConfig(name);
  throw new Error(`unknown backbone '${String(name)}' (known: ${BACKBONE_NAMES.join(', ')})`);
}
