// `pasam model import|list`: bring official SAM checkpoints into the model library.
import { readFileSync } from 'node:fs';
import { UsageError, type CliCommand } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { configFromReference, isPresetName, type SamConfig } from '../../model/sam/config.js';
import { MODEL_EXPORT_USAGE, runModelExport } from './modelExport.js';

const USAGE = `pasam model import <file> [--name <name>] [--preset vit_b|vit_l|vit_h|mobile_sam|auto] [--config <json>] [--force] [--json]
pasam model list [--json]

import  Validates an official SAM checkpoint (.pth, or .safetensors with official or Hugging Face
        names) tensor by tensor against the preset and converts it into the model library
        (PASAM_HOME/models/<name>/, PASAM_HOME defaults to ~/.pasam).
        --preset   vit_b, vit_l, vit_h, mobile_sam (TinyViT, e.g. mobile_sam.pt), or auto
                   (default: MobileSAM when the file has a TinyViT encoder, else the preset
                   every tensor fits)
        --config   a JSON file with the reference build_sam arguments (snake_case), or a fixture
                   manifest with a "config" key, for a SAM that is no preset
        --name     library name (default: the file name)
        --force    replace a model of the same name
list    The models in the library.
${MODEL_EXPORT_USAGE}`;

function readConfigFile(path: string): SamConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read JSON config (${(err as Error).message})`);
  }
  const obj = json as Record<string, unknown>;
  const ref = (obj && typeof obj.config === 'object' ? obj.config : obj) as Record<string, unknown>;
  return configFromReference(ref, path);
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

export const modelCommand: CliCommand = {
  name: 'model',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    // Loaded here: the library and importer pull in tfjs, which other commands do not need.
    const { importCheckpoint } = await import('../../model/checkpoint/importer.js');
    const { listModels, modelsRoot } = await import('../../model/library.js');
    if (sub === 'import') {
      const { values, positionals } = parseCommandArgs(rest, { name: { type: 'string' }, preset: { type: 'string' }, config: { type: 'string' }, force: { type: 'boolean' } }, { min: 1, max: 1 });
      const preset = stringOption(values, 'preset');
      const configFile = stringOption(values, 'config');
      if (preset && preset !== 'auto' && preset !== 'mobile_sam' && !isPresetName(preset)) throw new UsageError(`--preset must be vit_b, vit_l, vit_h, mobile_sam or auto, got '${preset}'`);
      if (preset && configFile) throw new UsageError('give --preset or --config, not both');
      const config = configFile ? readConfigFile(configFile) : undefined;
      const started = Date.now();
      const { manifest, dir, report } = await importCheckpoint(positionals[0], {
        name: stringOption(values, 'name'),
        preset: (preset as 'auto' | 'mobile_sam' | undefined) ?? (config ? undefined : 'auto'),
        config,
        overwrite: values.force === true,
      });
      const summary = {
        name: manifest.name,
        modelId: manifest.modelId,
        preset: manifest.preset,
        tensors: manifest.tensors.length,
        nameStyle: report.nameStyle,
        ignored: report.ignored,
        dir,
        seconds: (Date.now() - started) / 1000,
      };
      if (values.json) io.out(JSON.stringify(summary, null, 2));
      else io.out(`imported '${manifest.name}' (${manifest.preset ?? 'custom config'}, ${manifest.tensors.length} tensors, ${report.nameStyle} names) into ${dir}`);
      return 0;
    }
    if (sub === 'list') {
      const { values } = parseCommandArgs(rest, {}, { min: 0, max: 0 });
      const models = await listModels();
      if (values.json) {
        io.out(JSON.stringify(models.map((m) => ({ name: m.name, modelId: m.modelId, preset: m.preset, imgSize: m.config.imgSize, source: m.source, importedAt: m.importedAt })), null, 2));
      } else if (models.length === 0) {
        io.out(`no models in ${modelsRoot()}; import one with 'pasam model import <checkpoint>'`);
      } else {
        for (const m of models) io.out(`${m.name}\t${m.preset ?? 'custom'}\tS=${m.config.imgSize}\t${formatBytes(m.source.bytes)}\t${m.source.file}`);
      }
      return 0;
    }
    if (sub === 'export') return runModelExport(rest, io);
    throw new UsageError(sub ? `unknown sub-command '${sub}'` : 'missing sub-command (import, list or export)');
  },
};
