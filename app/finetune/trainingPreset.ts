// The training preset for this machine and this project's data: hardware facts (backend, cores,
// memory), dataset facts (annotated images per split, median image size) and the library's base
// models go into chooseTrainingPreset; the result is the complete config the Fine-tune page starts from.
// With ONNX Runtime training on a CPU, measured step speeds (trainCalibration.ts, run by the caller's
// `calibrate`, e.g. in a worker thread) replace the fixed speed rules.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { resolveTrainConfig, type TrainConfig } from '../engine/trainConfig.js';
import { chooseTrainingPreset, cpuSamCandidate, presetOverrides, type DatasetFacts, type HardwareFacts, type MeasuredSpeed, type TrainingPreset } from './hardwarePreset.js';
import type { Calibration, CalibrationKey } from './trainCalibration.js';

/** Measures a few training steps for `key` and caches the result in `cacheFile`. */
export type Calibrate = (req: { projectDir: string; cacheFile: string; key: CalibrationKey; numClasses: number }) => Promise<Calibration>;

type LibraryModel = { name: string; preset: string | null; sha256: string | null };

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

export async function trainingPreset(s: ProjectStore, calibrate?: Calibrate): Promise<PresetInfo> {
  const { initBackend } = await import('../tensor/backend.js');
  const backend = await initBackend();
  const { chooseTrainEngine } = await import('./trainEngineChoice.js');
  let trainEngine: HardwareFacts['trainEngine'];
  try {
    const c = await chooseTrainEngine();
    trainEngine = { engine: c.engine, executionProvider: c.executionProvider };
  } catch {
    trainEngine = undefined;
  }
  const hardware: HardwareFacts = { backend: backend.name, device: backend.device ?? null, cores: cpus().length, memoryBytes: totalmem(), gpuMemoryBytes: gpuMemoryFromEnv(), trainEngine };
  const annotated = s.listImages({ hasMask: true });
  const sides = annotated.map((im) => Math.max(im.width, im.height)).sort((a, b) => a - b);
  const train = annotated.filter((im) => im.split === 'train').length;
  const val = annotated.filter((im) => im.split === 'val').length;
  const { projectMaskStatistics } = await import('../dataset/maskStatistics.js');
  const dataset = { trainImages: train, valImages: val, medianLongSide: sides.length ? sides[Math.floor(sides.length / 2)]! : null, masks: projectMaskStatistics(s) };
  const { listModels } = await import('../model/library.js');
  let models: LibraryModel[] = [];
  try {
    models = (await listModels()).map((m) => ({ name: m.name, preset: m.preset, sha256: m.source.sha256 }));
  } catch {
    // A damaged library entry must not block training from scratch.
  }
  const speed = calibrate && trainEngine?.engine === 'ort' && backend.name !== 'gpu' && backend.name !== 'node' ? await measuredSpeeds(s, hardware, dataset, models, calibrate) : {};
  const preset = chooseTrainingPreset(hardware, dataset, { models }, speed);
  const config = resolveTrainConfig(presetOverrides(preset));
  const { BACKBONE_NAMES } = await import('../model/pasam/backbones.js');
  return { preset, hardware, dataset, config, baseModels: models.map((m) => m.name), presets: [...BACKBONE_NAMES] };
}

/** Calibrations of the tiny preset under way in this process (one per cache file and key). */
const calibrating = new Set<string>();

/**
 * Training speed on this machine for the preset's candidates, measured by a few ONNX Runtime
 * steps and cached in the pasam home folder. vit_b's is awaited (it decides the base model); the
 * tiny preset's only refines the duration shown, so a missing one is measured in the background
 * for the next look and the fixed rule is shown meanwhile. A calibration that fails leaves the
 * preset to its fixed rules.
 */
async function measuredSpeeds(s: ProjectStore, hw: HardwareFacts, data: DatasetFacts, models: LibraryModel[], calibrate: Calibrate): Promise<{ vitB?: MeasuredSpeed | null; tiny?: MeasuredSpeed | null }> {
  const { pasamHome } = await import('../model/library.js');
  const { cachedCalibration } = await import('./trainCalibration.js');
  const cacheFile = join(pasamHome(), 'calibration.json');
  const numClasses = s.classCount() + 1;
  const measure = (key: CalibrationKey): Promise<MeasuredSpeed | null> => calibrate({ projectDir: s.dir, cacheFile, key, numClasses }).catch(() => null);
  const vitB = models.find((m) => m.preset === 'vit_b');
  const cand = cpuSamCandidate(data);
  const plain = chooseTrainingPreset(hw, data, { models: [] });
  const tinyKey: CalibrationKey = { model: 'preset:tiny', sha256: null, inputSize: plain.inputSize, batchSize: plain.batchSize };
  const tiny = hw.trainEngine ? cachedCalibration(cacheFile, tinyKey, hw.trainEngine) : null;
  const inFlight = `${cacheFile}#${JSON.stringify(tinyKey)}`;
  if (!tiny && !calibrating.has(inFlight)) {
    calibrating.add(inFlight);
    void measure(tinyKey).finally(() => calibrating.delete(inFlight));
  }
  return { vitB: vitB ? await measure({ model: vitB.name, sha256: vitB.sha256, inputSize: cand.inputSize, batchSize: cand.batchSize }) : null, tiny };
}

/** PASAM_GPU_MEMORY_GB tells the preset the GPU's memory where the backend cannot report it. */
function gpuMemoryFromEnv(): number | null {
  const v = Number(process.env.PASAM_GPU_MEMORY_GB);
  return Number.isFinite(v) && v > 0 ? v * 1024 ** 3 : null;
}
