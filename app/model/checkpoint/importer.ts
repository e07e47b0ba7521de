// Imports an official SAM checkpoint into the model library: validate every name and shape, then
// convert tensor by tensor (streaming) into weights.bin. Written to a temporary folder and renamed
// at the end, so a failed import leaves the library as it was.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { isPresetName, presetConfig, SAM_PRESET_NAMES, type SamConfig, type SamPresetName } from '../sam/config.js';
import { samTensorSpecs, tfjsShape, toTfjsLayout } from '../sam/weights.js';
import { checkModelName, MODEL_FORMAT, MODEL_FORMAT_VERSION, modelDir, modelsRoot, type ModelManifest, type StoredTensor } from '../library.js';
import { openCheckpoint, type CheckpointReader } from './checkpointReader.js';
import { formatValidation, validateCheckpoint, type ValidationReport } from './nameMap.js';
import { isMobileSamCheckpoint, mobileSamConfigFromShapes } from './mobileSamConfig.js';

export interface ImportOptions {
  /** Library name; default from the file name. */
  name?: string;
  /** A preset, 'mobile_sam' (TinyViT, read from the shapes), 'auto' (detect), or omitted when `config` is given. */
  preset?: SamPresetName | 'mobile_sam' | 'auto';
  /** Explicit configuration (e.g. a fixture's), instead of a preset. */
  config?: SamConfig;
  /** Replace an existing model of the same name. */
  overwrite?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ImportResult {
  manifest: ModelManifest;
  dir: string;
  report: ValidationReport;
}

export class CheckpointValidationError extends Error {
  constructor(
    readonly file: string,
    readonly what: string,
    readonly report: ValidationReport,
  ) {
    super(`${file} does not fit ${what}:\n${formatValidation(report)}`);
    this.name = 'CheckpointValidationError';
  }
}

export function defaultModelName(file: string): string {
  const base = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  return base.slice(0, 64) || 'sam';
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Chooses the config: explicit, named preset, or the preset whose every tensor fits. */
export function resolveConfig(reader: Pick<CheckpointReader, 'file' | 'tensors'>, opts: Pick<ImportOptions, 'preset' | 'config'>): { config: SamConfig; preset: SamPresetName | 'mobile_sam' | null; report: ValidationReport } {
  if (opts.config) {
    const report = validateCheckpoint(reader.tensors, opts.config);
    if (!report.ok) throw new CheckpointValidationError(reader.file, 'the given configuration', report);
    return { config: opts.config, preset: null, report };
  }
  const preset = opts.preset ?? 'auto';
  const mobile = isMobileSamCheckpoint(reader.tensors.map((t) => t.name));
  if (preset === 'mobile_sam' || (preset === 'auto' && mobile)) {
    const config = mobileSamConfigFromShapes(reader.tensors, reader.file);
    const report = validateCheckpoint(reader.tensors, config);
    if (!report.ok) throw new CheckpointValidationError(reader.file, 'MobileSAM (TinyViT)', report);
    return { config, preset: 'mobile_sam', report };
  }
  if (mobile) throw new Error(`${reader.file}: this is a MobileSAM (TinyViT) checkpoint, not SAM ${preset}; import it with --preset mobile_sam or auto`);
  if (preset !== 'auto') {
    const config = presetConfig(preset);
    const report = validateCheckpoint(reader.tensors, config);
    if (!report.ok) throw new CheckpointValidationError(reader.file, `preset ${preset}`, report);
    return { config, preset, report };
  }
  const tried: string[] = [];
  for (const p of SAM_PRESET_NAMES) {
    const config = presetConfig(p);
    const report = validateCheckpoint(reader.tensors, config);
    if (report.ok) return { config, preset: p, report };
    tried.push(`${p}: ${report.misShaped.length} mis-shaped, ${report.missing.length} missing, ${report.unexpected.length} unexpected`);
  }
  throw new Error(`${reader.file}: matches none of the presets (${tried.join('; ')}); give --preset to see which tensors differ, or --config for a custom SAM`);
}

/** Validates and converts a checkpoint into the library. */
export async function importCheckpoint(file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  if (opts.preset && opts.preset !== 'auto' && opts.preset !== 'mobile_sam' && !isPresetName(opts.preset)) throw new Error(`unknown preset '${opts.preset}'; use ${SAM_PRESET_NAMES.join(', ')}, mobile_sam or auto`);
  const path = resolve(file);
  const name = opts.name ?? defaultModelName(path);
  checkModelName(name);
  const dir = modelDir(name);
  if (existsSync(dir) && !opts.overwrite) throw new Error(`model '${name}' already exists in ${modelsRoot()}; choose another --name or remove it first`);
  const reader = await openCheckpoint(path);
  const tmp = join(modelsRoot(), `.import-${name}-${process.pid}-${Date.now()}`);
  try {
    const { config, preset, report } = resolveConfig(reader, opts);
    await mkdir(tmp, { recursive: true });
    const specs = samTensorSpecs(config);
    const tensors: StoredTensor[] = [];
    const out = await open(join(tmp, 'weights.bin'), 'w');
    try {
      let offset = 0;
      for (let i = 0; i < specs.length; i++) {
        const spec = specs[i];
        const data = toTfjsLayout(await reader.read(report.sources.get(spec.name)!), spec);
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        await out.write(bytes, 0, bytes.length, offset);
        tensors.push({ name: spec.name, shape: tfjsShape(spec), offset });
        offset += bytes.length;
        opts.onProgress?.(i + 1, specs.length);
      }
    } finally {
      await out.close();
    }
    const { size } = await stat(path);
    const sha256 = await sha256File(path);
    const manifest: ModelManifest = {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      name,
      modelId: `sam-${sha256.slice(0, 16)}`,
      preset,
      config,
      source: { file: path, sha256, bytes: size, format: reader.format, nameStyle: report.nameStyle },
      importedAt: new Date().toISOString(),
      weightsFile: 'weights.bin',
      tensors,
    };
    await writeFile(join(tmp, 'model.json'), JSON.stringify(manifest, null, 1));
    if (existsSync(dir)) await rm(dir, { recursive: true });
    await rename(tmp, dir);
    return { manifest, dir, report };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    await reader.close();
  }
}
