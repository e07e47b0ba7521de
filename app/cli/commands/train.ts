import { readFileSync } from 'node:fs';
import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import { defaultTrainConfig, parseConfigJson, resolveTrainConfig, type TrainConfig } from '../../engine/trainConfig.js';
import { validateModelOptions } from '../../engine/modelFactory.js';
import { createTrainingService } from '../../finetune/runEngine.js';
import { formatEvent, type MetricSummary } from '../../engine/trainEvents.js';
import type { MaskStatistics } from '../../dataset/maskStatistics.js';
import { chooseTiling } from '../../finetune/tilingPreset.js';

/** Input side a model choice trains at when neither --size nor the config sets one. */
export const DEFAULT_SIZE = { preset: 224, base: 1024 } as const;

const TILING_KEYS = ['tileSize', 'tileOverlap', 'tileScale', 'defectCropShare', 'classWeighting', 'dicePresentOnly'];

/**
 * The training config from the flags and --config. `masks` (the project's mask statistics) lets
 * the preset's whole-image/tiling choice apply, as in the app, unless --tiling or the config file
 * sets any tiling or class-balance key.
 */
export function buildTrainConfig(values: Record<string, unknown>, masks?: MaskStatistics | null): TrainConfig {
  const configFile = stringOption(values as never, 'config');
  let overrides: Record<string, unknown> = {};
  if (configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new Error(`${configFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const parsed = parseConfigJson(text, configFile);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${configFile}: must hold a JSON object of training settings`);
    overrides = parsed as Record<string, unknown>;
  }
  const base = stringOption(values as never, 'base');
  const preset = stringOption(values as never, 'preset');
  if (base !== undefined && preset !== undefined) throw new UsageError('give either --base <model> or --preset <name>, not both');
  const model = { ...((overrides.model as Record<string, unknown> | undefined) ?? {}) };
  if (base !== undefined) Object.assign(model, { base, preset: null });
  if (preset !== undefined) Object.assign(model, { preset, base: null });
  if (base !== undefined || preset !== undefined || overrides.model !== undefined) overrides.model = model;
  const size = values.size === undefined ? undefined : parseIntOption('size', values.size as string, 0);
  if (size !== undefined) overrides.inputSize = size;
  if (values.epochs !== undefined) overrides.epochs = parseIntOption('epochs', values.epochs as string, 0);
  if (values.batch !== undefined) overrides.batchSize = parseIntOption('batch', values.batch as string, 0);
  const tiling = stringOption(values as never, 'tiling') ?? 'auto';
  if (!['auto', 'whole', 'tiles'].includes(tiling)) throw new UsageError(`--tiling must be auto, whole or tiles, got '${tiling}'`);
  let cfg = resolveTrainConfig(overrides, defaultTrainConfig());
  if (overrides.inputSize === undefined) cfg.inputSize = cfg.model.base !== null ? DEFAULT_SIZE.base : DEFAULT_SIZE.preset;
  const configSetsTiling = TILING_KEYS.some((k) => k in overrides);
  if (configSetsTiling && tiling !== 'auto') throw new UsageError(`--tiling ${tiling} and the config's tiling settings disagree; use one of them`);
  if (!configSetsTiling && (masks !== undefined || tiling !== 'auto')) {
    const choice = chooseTiling(cfg.inputSize, masks ?? null, tiling === 'auto' ? undefined : (tiling as 'whole' | 'tiles'));
    cfg = resolveTrainConfig(choice.overrides, cfg);
    lastTilingReasons = choice.reasons;
  } else lastTilingReasons = configSetsTiling ? ['tiling and class balance as the config file says'] : [];
  validateModelOptions(cfg);
  return cfg;
}

/** Why buildTrainConfig chose whole-image or tiles (printed by `pasam train`). */
let lastTilingReasons: string[] = [];

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(2)} %`);

export function formatMetrics(m: MetricSummary, classNames: string[]): string[] {
  const lines = [`mIoU ${pct(m.mIoU)}  mDice ${pct(m.mDice)}  (defect classes: mIoU ${pct(m.mIoUDefects)}, mDice ${pct(m.mDiceDefects)})  pixel accuracy ${pct(m.pixelAccuracy)}`];
  m.iou.forEach((iou, c) => lines.push(`  ${(classNames[c] ?? `class ${c}`).padEnd(14)} IoU ${pct(iou).padStart(8)}  Dice ${pct(m.dice[c]).padStart(8)}`));
  return lines;
}

export const trainCommand: CliCommand = {
  name: 'train',
  usage: [
    'pasam train <dir> [--base <model> | --preset tiny] [--size <S>] [--epochs N] [--batch N]',
    '                  [--tiling auto|whole|tiles] [--config <json>] [--name <name>] [--json]',
    'pasam train <dir> --resume <run>',
    '',
    'Trains on the annotated images of the train split (latest mask of each; the run records',
    'exactly which versions), validating each epoch on the val split (or on a seeded share of',
    "train held out, when the project has no val images). Runs in a worker thread; prints progress",
    'and the final metrics. Checkpoints go to <dir>/runs/<run>/{best,last}/.',
    '  --base <model>    a base SAM model from the model library (pasam model import)',
    '  --preset tiny     a small SAM-shaped model trained from scratch (no base weights)',
    '  --size <S>        input side, a multiple of 16 (default 1024 with --base, 224 with --preset)',
    '  --epochs/--batch  number of epochs / images per micro-batch',
    '  --config <json>   a JSON file with any training setting (lr, weightDecay, warmupFraction,',
    '                    polyPower, accumulationSteps, augmentation, seed, patience,',
    '                    lossOnUpsampledLogits, valFraction, model.options, tileSize, tileOverlap,',
    '                    tileScale, defectCropShare, classWeighting, focalGamma, dicePresentOnly, ...);',
    '                    flags win',
    '  --tiling          auto (default): from the masks, resize whole images or train on S×S crops at',
    '                    native (or ½, ¼…) resolution with defect-centred crops, and say why;',
    '                    whole / tiles force it (the config file\'s tile settings also override auto)',
    '  --resume <run>    continue a killed, failed or cancelled run from its last checkpoint',
    '  --json            print the final result as JSON (progress still goes to stderr)',
    'Ctrl-C cancels after the current step (the last checkpoint is saved; resume it later).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { base: { type: 'string' }, preset: { type: 'string' }, size: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, config: { type: 'string' }, resume: { type: 'string' }, name: { type: 'string' }, tiling: { type: 'string' } },
      { min: 1, max: 1 },
    );
    const dir = positionals[0]!;
    const service = createTrainingService();
    const resume = stringOption(values, 'resume');
    let handle;
    if (resume !== undefined) {
      const others = ['base', 'preset', 'size', 'epochs', 'batch', 'config', 'name', 'tiling'].filter((k) => values[k] !== undefined);
      if (others.length) throw new UsageError(`--resume continues a run with its own settings; drop --${others.join(', --')}`);
      const runId = parseIntOption('resume', resume, 0);
      handle = service.resume(dir, runId);
    } else {
      const { ProjectStore } = await import('../../store/projectStore.js');
      const { projectMaskStatistics } = await import('../../dataset/maskStatistics.js');
      const store = ProjectStore.open(dir);
      let masks: MaskStatistics | null;
      try {
        masks = projectMaskStatistics(store);
      } finally {
        store.close();
      }
      const cfg = buildTrainConfig(values, masks);
      for (const r of lastTilingReasons) (values.json ? io.err : io.out)(r);
      handle = service.start(dir, cfg, { name: stringOption(values, 'name') });
    }
    const log = values.json ? io.err : io.out;
    // Progress at most every 2 s (and each epoch's last step), so long runs stay readable.
    let lastProgress = 0;
    handle.onEvent((e) => {
      if (e.type === 'progress') {
        const now = Date.now();
        const epochEnd = e.step % Math.max(1, Math.round(e.totalSteps / e.epochs)) === 0;
        if (now - lastProgress < 2000 && !epochEnd && e.step !== 1) return;
        lastProgress = now;
      }
      const line = formatEvent(e);
      if (line !== null) (e.type === 'failed' ? io.err : log)(line);
    });
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts === 1) {
        io.err(`cancelling run ${handle.runId} after the current step (Ctrl-C again to abort at once)`);
        handle.cancel();
      } else process.exit(130);
    };
    process.on('SIGINT', onSigint);
    let result;
    try {
      result = await handle.done;
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else if (result.status === 'completed' && result.best) {
      log(`final (best epoch ${result.bestEpoch}, validation):`);
      const { ProjectStore } = await import('../../store/projectStore.js');
      const store = ProjectStore.open(dir);
      const names = ['background', ...store.listClasses().map((c) => c.name)];
      store.close();
      for (const l of formatMetrics(result.best, names)) log(l);
    } else if (result.status === 'cancelled') log(`run ${result.runId} cancelled; continue it with 'pasam train ${dir} --resume ${result.runId}'`);
    return result.status === 'completed' ? 0 : 1;
  },
};
