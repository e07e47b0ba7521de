// The training preset for this machine and this project's data: hardware facts (backend, cores,
// memory), dataset facts (annotated images per split, median image size) and the library's base
// models go into chooseTrainingPreset; the result is the complete config the Fine-tune page starts from.
import { cpus, totalmem } from 'node:os';
import type { ProjectStore } from '../store/projectStore.js';
import { resolveTrainConfig, type TrainConfig } from '../engine/trainConfig.js';
import { chooseTrainingPreset, presetOverrides, type DatasetFacts, type HardwareFacts, type TrainingPreset } from './hardwarePreset.js';

export interface PresetInfo {
  preset: TrainingPreset;
  hardware: HardwareFacts;
  dataset: DatasetFacts;
  /** The complete training config the preset gives (the Advanced panel starts from it). */
  config: TrainConfig;
  /** Base models available for the Advanced panel (library names) and the presets from scratch. */
  baseModels: string[];
  presets: string[];
}

export async function trainingPreset(s: ProjectStore): Promise<PresetInfo> {
  const { initBackend } = await import('../tensor/backend.js');
  const backend = await initBackend();
  const hardware: HardwareFacts = { backend: backend.name, device: backend.device ?? null, cores: cpus().length, memoryBytes: totalmem(), gpuMemoryBytes: gpuMemoryFromEnv() };
  const annotated = s.listImages({ hasMask: true });
  const sides = annotated.map((im) => Math.max(im.width, im.height)).sort((a, b) => a - b);
  const train = annotated.filter((im) => im.split === 'train').length;
  const val = annotated.filter((im) => im.split === 'val').length;
  const dataset = { trainImages: train, valImages: val, medianLongSide: sides.length ? sides[Math.floor(sides.length / 2)]! : null };
  const { listModels } = await import('../model/library.js');
  let models: { name: string; preset: string | null }[] = [];
  try {
    models = (await listModels()).map((m) => ({ name: m.name, preset: m.preset }));
  } catch {
    // A damaged library entry must not block training from scratch.
  }
  const preset = chooseTrainingPreset(hardware, dataset, { models });
  const config = resolveTrainConfig(presetOverrides(preset));
  const { BACKBONE_NAMES } = await import('../model/pasam/backbones.js');
  return { preset, hardware, dataset, config, baseModels: models.map((m) => m.name), presets: [...BACKBONE_NAMES] };
}

/** PASAM_GPU_MEMORY_GB tells the preset the GPU's memory where the backend cannot report it. */
function gpuMemoryFromEnv(): number | null {
  const v = Number(process.env.PASAM_GPU_MEMORY_GB);
  return Number.isFinite(v) && v > 0 ? v * 1024 ** 3 : null;
}
