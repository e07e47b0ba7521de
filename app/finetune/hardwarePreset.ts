// The one-click training preset: a pure function from the machine (the `pasam doctor` facts), the
// project's data and the model library to {base model, S, batch, epochs}, with the reasons the UI
// shows. Rules (PA-SAM.md §9 defaults scaled to what the machine can do):
//  - base model: an imported vit_b when the backend is native (GPU, or tfjs-node on CPU); on a CPU
//    machine whose training engine is ONNX Runtime, vit_b too when the run's projected wall time —
//    from a calibration measured on this machine — is at most MAX_CPU_RUN_SECONDS; otherwise the
//    `tiny` preset trains from scratch; on any CPU-only station an imported MobileSAM wins over
//    both (preferredCpuBase);
//  - S: the images' typical long side rounded up to a multiple of 16, capped by the backend
//    (GPU: 1024 with ≥ 16 GiB, else 512; tfjs-node: 512; wasm/cpu: 256), never below 64;
//  - batch: what fits (GPU memory for vit_b; 4 for tiny), with gradient accumulation to keep an
//    effective batch of 4 when the batch is smaller;
//  - epochs: more for small data sets (≈ 300 optimiser steps, 5–50 epochs).
import type { BackendName } from '../tensor/backend.js';
import type { MaskStatistics } from '../dataset/maskStatistics.js';
import { chooseTiling, type TilingChoice } from './tilingPreset.js';

export interface HardwareFacts {
  backend: BackendName;
  /** GPU device name, if the backend reports one. */
  device: string | null;
  cores: number;
  memoryBytes: number;
  /** GPU memory when known; null = unknown (assumed 8 GiB on a GPU backend). */
  gpuMemoryBytes: number | null;
  /** The training engine a run would use now (trainEngineChoice); absent = tfjs. */
  trainEngine?: { engine: 'ort' | 'tfjs'; executionProvider: string };
}

/** Training speed measured on this machine (trainCalibration), for one model at (S, batch). */
export interface MeasuredSpeed {
  inputSize: number;
  batchSize: number;
  /** One micro-batch: forward + loss + backward. */
  secondsPerStep: number;
  /** One validation forward pass of a batch. */
  secondsPerForward: number;
  steps: number;
  engine: string;
  executionProvider: string;
}

export interface DatasetFacts {
  /** Annotated images that train (train split, plus val if present). */
  trainImages: number;
  valImages: number;
  /** Median of max(width, height) over the annotated images; null when none. */
  medianLongSide: number | null;
  /** Mask statistics for the whole-image vs tiling choice (absent: whole image). */
  masks?: MaskStatistics | null;
}

export interface LibraryFacts {
  /** Models in the model library, with the SAM preset each one matches (null: custom). */
  models: { name: string; preset: string | null }[];
}

export interface TrainingPreset {
  model: { base: string | null; preset: string | null };
  inputSize: number;
  batchSize: number;
  accumulationSteps: number;
  epochs: number;
  /** Rough wall time of the whole run, when this machine's speed is known (wasm/cpu tiny). */
  estimatedSeconds: number | null;
  /** Whole-image resize or tiles (app/finetune/tilingPreset.ts). */
  tiling: TilingChoice;
  /** One line per decision, for the UI. */
  reasons: string[];
  /** Short description, e.g. 'tiny from scratch · S=256 · batch 4 · 40 epochs'. */
  label: string;
}

const GIB = 1024 ** 3;
const TARGET_STEPS = 300;
/** Measured on the wasm backend (bench pasam-wasm.json): a tiny training step at S=224, batch 2 ≈ 2.5 s. */
const TINY_WASM_SECONDS_PER_IMAGE_224 = 1.25;
const CPU_SLOWDOWN = 17;
/** The longest one-click run on a CPU machine before the preset prefers the tiny model. */
export const MAX_CPU_RUN_SECONDS = 2 * 3600;

/** (S, batch) of vit_b on a CPU machine with ONNX Runtime: what the calibration measures. */
export function cpuSamCandidate(data: DatasetFacts): { inputSize: number; batchSize: number; accumulationSteps: number } {
  const typical = data.medianLongSide ?? 256;
  return { inputSize: Math.max(64, Math.min(256, roundUp16(typical))), batchSize: 2, accumulationSteps: 2 };
}

/** Epochs for ≈ TARGET_STEPS optimiser steps (5–50). */
function epochsFor(trainImages: number, batchSize: number, accumulationSteps: number): { epochs: number; stepsPerEpoch: number } {
  const stepsPerEpoch = Math.max(1, Math.ceil(Math.max(1, trainImages) / (batchSize * accumulationSteps)));
  return { epochs: Math.max(5, Math.min(50, Math.round(TARGET_STEPS / stepsPerEpoch))), stepsPerEpoch };
}

/**
 * Projected wall time of a run from a measured speed: every epoch runs ⌈n/batch⌉ micro-batch steps
 * and ⌈val/batch⌉ validation forward passes.
 */
export function projectRunSeconds(speed: MeasuredSpeed, trainImages: number, valImages: number, epochs: number): number {
  const micro = Math.ceil(Math.max(1, trainImages) / speed.batchSize);
  const val = Math.ceil(valImages / speed.batchSize);
  return epochs * (micro * speed.secondsPerStep + val * speed.secondsPerForward);
}

function speedRule(speed: MeasuredSpeed, trainImages: number, valImages: number, epochs: number): string {
  const micro = Math.ceil(Math.max(1, trainImages) / speed.batchSize);
  const val = Math.ceil(valImages / speed.batchSize);
  return `${epochs} epochs × (${micro} steps × ${speed.secondsPerStep.toFixed(2)} s${val > 0 ? ` + ${val} validation passes × ${speed.secondsPerForward.toFixed(2)} s` : ''}), measured on this machine (${speed.steps} steps on ${speed.engine === 'ort' ? 'ONNX Runtime' : 'tfjs'} ${speed.executionProvider} at S=${speed.inputSize}, batch ${speed.batchSize})`;
}

export function roundUp16(v: number): number {
  return Math.max(16, Math.ceil(v / 16) * 16);
}

function sizeCap(hw: HardwareFacts, vitB: boolean): { cap: number; why: string } {
  if (hw.backend === 'gpu') {
    const mem = hw.gpuMemoryBytes ?? 8 * GIB;
    const known = hw.gpuMemoryBytes !== null ? `${(mem / GIB).toFixed(0)} GiB GPU memory` : 'GPU memory unknown (assumed 8 GiB)';
    if (vitB && mem >= 16 * GIB) return { cap: 1024, why: `${known}: room for SAM's native S = 1024` };
    return { cap: 512, why: `${known}: S capped at 512` };
  }
  if (hw.backend === 'node') return { cap: 512, why: `native CPU backend (${hw.cores} cores): S capped at 512` };
  return { cap: 256, why: `${hw.backend} backend (no native acceleration): S capped at 256 to keep epochs short` };
}

/**
 * speed: measured calibrations on this machine — `vitB` at cpuSamCandidate's (S, batch), `tiny` at
 * the tiny preset's; each is used when present.
 */
export function chooseTrainingPreset(hw: HardwareFacts, data: DatasetFacts, lib: LibraryFacts, speed: { vitB?: MeasuredSpeed | null; tiny?: MeasuredSpeed | null } = {}): TrainingPreset {
  const reasons: string[] = [];
  const vitB = lib.models.find((m) => m.preset === 'vit_b') ?? null;
  const native = hw.backend === 'gpu' || hw.backend === 'node';
  let base: string | null = null;
  if (vitB && native) {
    base = vitB.name;
    reasons.push(`base model: '${vitB.name}' (SAM vit_b from the model library), fine-tuned with MSPCA-LoRA on the ${hw.backend === 'gpu' ? `GPU${hw.device ? ` (${hw.device})` : ''}` : 'native CPU backend'}`);
  } else if (vitB && hw.trainEngine?.engine === 'ort' && speed.vitB) {
    const cand = cpuSamCandidate(data);
    const { epochs } = epochsFor(data.trainImages, cand.batchSize, cand.accumulationSteps);
    const seconds = projectRunSeconds(speed.vitB, data.trainImages, data.valImages, epochs);
    const rule = speedRule(speed.vitB, data.trainImages, data.valImages, epochs);
    if (seconds <= MAX_CPU_RUN_SECONDS) {
      reasons.push(`base model: '${vitB.name}' (SAM vit_b from the model library), fine-tuned with MSPCA-LoRA on ONNX Runtime (${hw.trainEngine.executionProvider})`);
      reasons.push(`S = ${cand.inputSize}: vit_b on a CPU trains at most at S = 256 (images typically ${data.medianLongSide ?? '?'} px)`);
      reasons.push(`batch ${cand.batchSize} × ${cand.accumulationSteps} accumulated steps (effective batch ${cand.batchSize * cand.accumulationSteps})`);
      reasons.push(`${epochs} epochs: about ${TARGET_STEPS} optimiser steps in all (5–50 epochs)`);
      const tiling = chooseTiling(cand.inputSize, data.masks ?? null);
      reasons.push(...tiling.reasons);
      reasons.push(`estimated duration ≈ ${formatDuration(seconds)} = ${rule}`);
      const label = `${vitB.name} · S=${cand.inputSize}${tiling.mode === 'tiles' ? ` tiles@${tiling.overrides.tileScale}` : ''} · batch ${cand.batchSize}×${cand.accumulationSteps} · ${epochs} epochs`;
      return { model: { base: vitB.name, preset: null }, inputSize: cand.inputSize, batchSize: cand.batchSize, accumulationSteps: cand.accumulationSteps, epochs, estimatedSeconds: Math.round(seconds), tiling, reasons, label };
    }
    reasons.push(`base model: the tiny preset from scratch — '${vitB.name}' (vit_b) would take ≈ ${formatDuration(seconds)} here (${rule}), over the ${formatDuration(MAX_CPU_RUN_SECONDS)} a one-click run may take (choose it under Advanced to do so anyway)`);
  } else if (vitB) {
    reasons.push(`base model: the tiny preset from scratch — '${vitB.name}' (vit_b) is imported, but the ${hw.backend} backend would need minutes per image to fine-tune it (choose it under Advanced to do so anyway)`);
  } else {
    reasons.push('base model: the tiny preset from scratch (no SAM vit_b in the model library; import one with `pasam model import` to fine-tune SAM)');
  }

  const cpuBase = preferredCpuBase(hw, lib.models);
  if (cpuBase) {
    // Overrides the decision above: its one reason line is replaced by this one.
    base = cpuBase.name;
    reasons.splice(0, reasons.length, cpuBase.reason);
  }

  const { cap, why } = sizeCap(hw, base !== null);
  const typical = data.medianLongSide ?? cap;
  const inputSize = Math.max(64, Math.min(cap, roundUp16(typical)));
  reasons.push(
    data.medianLongSide === null
      ? `S = ${inputSize}: no annotated images yet; ${why}`
      : inputSize < roundUp16(typical)
        ? `S = ${inputSize}: images are typically ${typical} px on the long side; ${why}`
        : `S = ${inputSize}: the images' typical long side (${typical} px) rounded up to a multiple of 16 — no upscaling beyond that`,
  );

  const tiling = chooseTiling(inputSize, data.masks ?? null);
  reasons.push(...tiling.reasons);

  let batchSize = 4;
  if (base !== null) {
    if (hw.backend === 'gpu') {
      const mem = hw.gpuMemoryBytes ?? 8 * GIB;
      // vit_b with LoRA: ≈ 3 GiB per image at S = 1024, ≈ 0.8 GiB at 512 (activations kept for the backward pass).
      const perImage = (inputSize / 1024) ** 2 * 3 * GIB;
      batchSize = Math.max(1, Math.min(8, Math.floor((mem * 0.6) / perImage)));
    } else batchSize = 1;
  }
  const accumulationSteps = batchSize >= 4 ? 1 : Math.ceil(4 / batchSize);
  reasons.push(`batch ${batchSize}${accumulationSteps > 1 ? ` × ${accumulationSteps} accumulated steps (effective batch ${batchSize * accumulationSteps})` : ''}${base !== null && hw.backend === 'gpu' ? ', sized to the GPU memory' : ''}`);

  const n = Math.max(1, data.trainImages);
  const { epochs, stepsPerEpoch } = epochsFor(data.trainImages, batchSize, accumulationSteps);
  reasons.push(`${epochs} epochs: ${data.trainImages} training image${data.trainImages === 1 ? '' : 's'} → ${stepsPerEpoch} step${stepsPerEpoch === 1 ? '' : 's'} per epoch, about ${TARGET_STEPS} steps in all (5–50 epochs)`);

  let estimatedSeconds: number | null = null;
  if (base === null && speed.tiny && speed.tiny.inputSize === inputSize && speed.tiny.batchSize === batchSize) {
    estimatedSeconds = Math.round(projectRunSeconds(speed.tiny, data.trainImages, data.valImages, epochs));
    reasons.push(`estimated duration ≈ ${formatDuration(estimatedSeconds)} = ${speedRule(speed.tiny, data.trainImages, data.valImages, epochs)}`);
  } else if (base === null && (hw.backend === 'wasm' || hw.backend === 'cpu')) {
    const perImage = TINY_WASM_SECONDS_PER_IMAGE_224 * (inputSize / 224) ** 2 * (hw.backend === 'cpu' ? CPU_SLOWDOWN : 1);
    estimatedSeconds = Math.round(perImage * (n + data.valImages / 3) * epochs);
    reasons.push(`estimated duration ≈ ${formatDuration(estimatedSeconds)} on this ${hw.backend} backend (from the tiny-preset benchmark)`);
  }
  const label = `${base ?? 'tiny from scratch'} · S=${inputSize}${tiling.mode === 'tiles' ? ` tiles@${tiling.overrides.tileScale}` : ''} · batch ${batchSize}${accumulationSteps > 1 ? `×${accumulationSteps}` : ''} · ${epochs} epochs`;
  return { model: { base, preset: base === null ? 'tiny' : null }, inputSize, batchSize, accumulationSteps, epochs, estimatedSeconds, tiling, reasons, label };
}

/**
 * On a CPU-only station (no GPU backend) an imported MobileSAM is the base to fine-tune: the same
 * prompt encoder / mask decoder as SAM with a TinyViT encoder at about 1/12 of vit_b's cost.
 * Null when there is a GPU or no MobileSAM in the library.
 */
export function preferredCpuBase(hw: HardwareFacts, models: LibraryFacts['models']): { name: string; reason: string } | null {
  if (hw.backend === 'gpu') return null;
  const mobile = models.find((m) => m.preset === 'mobile_sam');
  if (!mobile) return null;
  return { name: mobile.name, reason: `base model: '${mobile.name}' (MobileSAM from the model library), fine-tuned with MSPCA-LoRA — its TinyViT encoder costs about 1/12 of vit_b's on this CPU-only ${hw.backend} backend` };
}

/** The preset as training-config overrides (for resolveTrainConfig). */
export function presetOverrides(p: TrainingPreset): Record<string, unknown> {
  return { model: { base: p.model.base, preset: p.model.preset }, inputSize: p.inputSize, batchSize: p.batchSize, accumulationSteps: p.accumulationSteps, epochs: p.epochs, ...p.tiling.overrides };
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
