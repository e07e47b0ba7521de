// Multiply-accumulate counts of SAM's forwards (matMul/conv work only), for GFLOP/s figures.
import { gridSize, type SamConfig } from './config.js';

/** Image encoder MACs at input side s (padded window tokens included, as computed). */
export function encoderMacs(cfg: SamConfig, s: number): number {
  const g = gridSize(cfg, s);
  const d = cfg.encoderEmbedDim;
  const hidden = Math.floor(d * cfg.mlpRatio);
  const n = g * g;
  const c = cfg.promptEmbedDim;
  let macs = n * 3 * cfg.patchSize ** 2 * d;
  for (let i = 0; i < cfg.encoderDepth; i++) {
    const global = cfg.encoderGlobalAttnIndexes.includes(i);
    const ws = cfg.windowSize;
    const side = global ? g : Math.ceil(g / ws) * ws;
    const tokens = side * side;
    const perMap = global ? n : ws * ws;
    const l = global ? g : ws;
    macs += tokens * d * 3 * d + tokens * d * d; // qkv, proj
    macs += 2 * tokens * perMap * d; // q·kᵀ and attn·v
    macs += tokens * 2 * l * d; // decomposed rel-pos terms
    macs += 2 * n * d * hidden; // MLP
  }
  macs += n * d * c + n * 9 * c * c; // neck
  return macs;
}

/** Prompt encoder + mask decoder MACs for one prompt with `sparseTokens` prompt tokens. */
export function decoderMacs(cfg: SamConfig, s: number, sparseTokens: number, withMask = false): number {
  const g = gridSize(cfg, s);
  const k = g * g;
  const c = cfg.promptEmbedDim;
  const ci = c / cfg.attentionDownsampleRate;
  const m = cfg.numMultimaskOutputs + 1;
  const t = 1 + m + sparseTokens;
  const crossT2I = t * c * ci + 2 * k * c * ci + t * ci * c + 2 * t * k * ci;
  const crossI2T = k * c * ci + 2 * t * c * ci + k * ci * c + 2 * k * t * ci;
  const layer = 4 * t * c * c + 2 * t * t * c + crossT2I + 2 * t * c * cfg.decoderMlpDim + crossI2T;
  let macs = cfg.decoderDepth * layer + crossT2I;
  macs += k * c * c + 4 * k * (c / 4) * (c / 2); // two stride-2 transposed convs
  macs += m * (2 * c * c + c * (c / 8)) + m * 16 * k * (c / 8); // hypernetworks + mask product
  macs += c * cfg.iouHeadHiddenDim + cfg.iouHeadHiddenDim ** 2 * (cfg.iouHeadDepth - 2) + cfg.iouHeadHiddenDim * m;
  if (withMask) {
    const mi = cfg.maskInChans;
    macs += 4 * k * 4 * (mi / 4) + k * 4 * (mi / 4) * mi + k * mi * c;
  }
  return macs;
}
