// Peak memory of an ONNX Runtime training run of (model, S, batch), estimated from the model's
// configuration before anything is allocated, and the plan it implies: the plain training graph
// (every encoder block's activations kept for the backward pass), the recomputing graph (only
// each block's input kept; one block's activations live at a time), or a refusal that names the
// largest input size and batch that fit.
//
// The formula counts float32 values. Per sample, per encoder block with n = (S/16)² tokens of
// width C, the backward pass needs: LayerNorm in/out twice (4nC), qkv (3nC), the attention output
// and projection (2nC), the residual (nC), the MLP hidden layer before and after GELU
// (2·mlpRatio·nC), and the attention maps before and after softmax (2·heads·windows·side⁴, where
// a global block has one window of side S/16 and a windowed block ⌈g/w⌉² windows of side w).
// Weights are held four times (the tfjs model, the serialised graph, the training session's and
// the validation session's initializers); AdamW keeps m, v and the gradient for every trainable
// value. ORT's arena, its intermediate copies and the transient gradients are a fixed 3.5× on the
// counted activations; the process itself is 1 GiB. Calibrated on a measured run: vit_b, S = 256,
// batch 2, one epoch through `pasam train` peaked at 4.54 GiB resident (this formula: 4.5 GiB).
// A MobileSAM (TinyViT) encoder is counted stage by stage: each MBConv keeps its expanded maps
// before and after GELU twice over (4·expand·C per pixel) plus about 3C; each attention block the
// ViT block's terms on its own grid, windows and heads. Its graph has no recomputing variant.
// Recomputing, the block recomputed in the backward pass holds its attention maps twice over
// (the recomputed forward's logits, bias and softmax beside the backward's gradients of them):
// vit_b, S = 1024, batch 1 peaked at 14.3 GiB in bench/ortTrainBench.ts (this formula: 14.5 GiB;
// without that factor it said 9.3).
import { totalmem } from 'node:os';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { SamConfig } from '../model/sam/config.js';
import { PasamModel, tinyVitGrids } from '../model/pasam/pasamModel.js';
import type { TinyVitConfig } from '../model/sam/tinyVitSam.js';
import type { TrainConfig } from '../engine/trainConfig.js';

const GiB = 1024 ** 3;
const ACTIVATION_OVERHEAD = 3.5;
const WEIGHT_COPIES = 4;
const PROCESS_BYTES = 1 * GiB;
const RECOMPUTED_MAPS_FACTOR = 2;

export interface MemoryEstimate {
  /** Peak resident bytes of the whole run. */
  peakBytes: number;
  weightsBytes: number;
  activationBytes: number;
}

export interface MemoryPlan {
  fits: boolean;
  recompute: boolean;
  peakBytes: number;
  budgetBytes: number;
  /** For the log (fits) or the refusal (does not fit): numbers, and what would fit. */
  message: string;
}

/** Float32 values of one encoder block's saved activations for one sample (attention maps × `mapsFactor`). */
function blockActivationValues(cfg: SamConfig, S: number, blockIndex: number, mapsFactor = 1): number {
  const g = S / cfg.patchSize;
  const n = g * g;
  const C = cfg.encoderEmbedDim;
  const global = cfg.encoderGlobalAttnIndexes.includes(blockIndex);
  const side = global ? g : cfg.windowSize;
  const windows = global ? 1 : Math.ceil(g / cfg.windowSize) ** 2;
  const maps = 2 * cfg.encoderNumHeads * windows * side ** 4;
  return (10 + 2 * cfg.mlpRatio) * n * C + mapsFactor * maps;
}

/** Float32 values of a TinyViT encoder's saved activations for one sample, all stages. */
function tinyVitActivationValues(tv: TinyVitConfig, S: number): number {
  const grids = tinyVitGrids(tv, S);
  return tv.depths.reduce((acc, depth, i) => {
    const g = grids[i]!;
    const c = tv.embedDims[i]!;
    if (i === 0) return acc + depth * (4 * tv.mbconvExpandRatio + 3) * g * g * c;
    const ws = tv.windowSizes[i]!;
    const windows = Math.ceil(g / ws) ** 2;
    const maps = 2 * tv.numHeads[i]! * windows * ws ** 4;
    return acc + depth * ((10 + 2 * tv.mlpRatio) * g * g * c + maps);
  }, 0);
}

/** Neck + decoder + loss at the logits grid: small next to the encoder, counted coarsely. */
function headActivationValues(cfg: SamConfig, S: number, numClasses: number): number {
  const g = S / cfg.patchSize;
  return 8 * g * g * cfg.promptEmbedDim + 6 * (S / 4) ** 2 * Math.max(numClasses, 2) * 8;
}

export function estimateTrainingMemory(cfg: SamConfig, desc: { totalParams: number; trainableParams: number; numClasses: number }, S: number, batch: number, recompute: boolean): MemoryEstimate {
  const blocks = Array.from({ length: cfg.encoderDepth }, (_, i) => blockActivationValues(cfg, S, i, recompute ? RECOMPUTED_MAPS_FACTOR : 1));
  const n = (S / cfg.patchSize) ** 2;
  const encoder = cfg.tinyVit ? tinyVitActivationValues(cfg.tinyVit, S) : recompute ? cfg.encoderDepth * n * cfg.encoderEmbedDim + Math.max(...blocks) : blocks.reduce((a, b) => a + b, 0);
  const activationBytes = 4 * batch * ACTIVATION_OVERHEAD * (encoder + headActivationValues(cfg, S, desc.numClasses));
  const weightsBytes = 4 * (WEIGHT_COPIES * desc.totalParams + 3 * desc.trainableParams);
  return { peakBytes: PROCESS_BYTES + weightsBytes + activationBytes, weightsBytes, activationBytes };
}

/** What a run may use: 80 % of physical memory (the OS, the UI and the page cache keep the rest). */
export function trainingMemoryBudget(total = totalmem()): number {
  return 0.8 * total;
}

const gib = (b: number): string => `${(b / GiB).toFixed(1)} GiB`;

/**
 * Plain graph if it fits, else the recomputing one, else a refusal naming the largest S (at this
 * batch) and the largest batch (at this S) that fit. tfjs runs are left to the tfjs memory guard.
 */
export function planTrainingMemory(model: TrainableSegmenter, config: Pick<TrainConfig, 'inputSize' | 'batchSize'>, engine: 'ort' | 'tfjs', budgetBytes = trainingMemoryBudget()): MemoryPlan {
  if (engine === 'tfjs' || !(model instanceof PasamModel)) return { fits: true, recompute: false, peakBytes: 0, budgetBytes, message: 'memory: checked by the tfjs memory guard' };
  return planFor(model.samConfig, model.describe(), config.inputSize, config.batchSize, budgetBytes);
}

export function planFor(cfg: SamConfig, desc: { totalParams: number; trainableParams: number; numClasses: number }, S: number, batch: number, budgetBytes: number): MemoryPlan {
  const plain = estimateTrainingMemory(cfg, desc, S, batch, false);
  if (plain.peakBytes <= budgetBytes) return { fits: true, recompute: false, peakBytes: plain.peakBytes, budgetBytes, message: `memory: about ${gib(plain.peakBytes)} at S=${S}, batch ${batch} (budget ${gib(budgetBytes)})` };
  const re = estimateTrainingMemory(cfg, desc, S, batch, true);
  if (re.peakBytes <= budgetBytes && !cfg.tinyVit) return { fits: true, recompute: true, peakBytes: re.peakBytes, budgetBytes, message: `memory: about ${gib(re.peakBytes)} at S=${S}, batch ${batch} recomputing each encoder block in the backward pass (the plain graph needs ${gib(plain.peakBytes)}; budget ${gib(budgetBytes)})` };
  const fitsAt = (s: number, b: number) => estimateTrainingMemory(cfg, desc, s, b, true).peakBytes <= budgetBytes;
  let bestS = 0;
  for (let s = S - 16; s >= 16; s -= 16) {
    if (fitsAt(s, batch)) {
      bestS = s;
      break;
    }
  }
  let bestB = 0;
  for (let b = batch - 1; b >= 1; b--) {
    if (fitsAt(S, b)) {
      bestB = b;
      break;
    }
  }
  const options = [bestB > 0 ? `batch ${bestB} at S=${S}` : null, bestS > 0 ? `S=${bestS} at batch ${batch}` : null].filter(Boolean);
  const hint = options.length > 0 ? `the largest that fit: ${options.join(', or ')}` : bestS === 0 && bestB === 0 && fitsAt(16, 1) ? 'use a smaller input size and batch 1' : 'the model weights alone do not fit';
  return {
    fits: false,
    recompute: true,
    peakBytes: re.peakBytes,
    budgetBytes,
    message: `training at S=${S}, batch ${batch} needs about ${gib(re.peakBytes)}${cfg.tinyVit ? '' : ' even recomputing activations'}, but this machine allows ${gib(budgetBytes)} (80 % of ${gib(budgetBytes / 0.8)}); ${hint}`,
  };
}
