import { writeFileSync } from 'node:fs';
import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { SPLITS, type Split } from '../../store/storeTypes.js';
import { initBackend } from '../../tensor/backend.js';
import { loadSplit } from '../../engine/dataPipeline.js';
import { summarise } from '../../engine/evaluate.js';
import { evaluateWithChosenEngine } from '../../finetune/runEngine.js';
import { trainedWithLabel } from '../../finetune/trainEngineChoice.js';
import { recordEvaluation } from '../../finetune/runEvaluation.js';
import { loadRunSegmenter } from '../../engine/runModel.js';
import { formatMetrics } from './train.js';

/** `--json` alone prints JSON; `--json <file>` writes it to the file. Returns argv without it. */
export function takeJsonOption(argv: string[]): { argv: string[]; json: boolean; file?: string } {
  const out: string[] = [];
  let json = false;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      json = true;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-') && /\.json$/i.test(next)) {
        file = next;
        i++;
      }
    } else if (a.startsWith('--json=')) {
      json = true;
      file = a.slice('--json='.length);
    } else out.push(a);
  }
  return { argv: out, json, file };
}

export const evalCommand: CliCommand = {
  name: 'eval',
  usage: [
    'pasam eval <dir> --run <id> [--split test] [--checkpoint best|last] [--json [<file>.json]]',
    '',
    "Runs the run's best checkpoint (or --checkpoint last) over the annotated images of the split",
    '(default test) and reports the dataset-level confusion matrix, per-class IoU and Dice, mIoU and',
    'mDice over all classes (incl. background; the headline) and over defect classes only, pixel',
    'accuracy, and each image’s IoU. Logits are upsampled to the original resolution before argmax.',
    'The summary is also stored on the run. --json prints the full result; --json <file>.json writes it.',
  ].join('\n'),
  async run(argv0, io) {
    const { argv, json, file } = takeJsonOption(argv0);
    const { values, positionals } = parseCommandArgs(argv, { run: { type: 'string' }, split: { type: 'string' }, checkpoint: { type: 'string' } }, { min: 1, max: 1 });
    const runArg = stringOption(values, 'run');
    if (runArg === undefined) throw new UsageError('--run <id> is required');
    const runId = parseIntOption('run', runArg, 0);
    const split = (stringOption(values, 'split') ?? 'test') as Split;
    if (!SPLITS.includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
    const kind = stringOption(values, 'checkpoint') ?? 'auto';
    if (!['best', 'last', 'auto'].includes(kind)) throw new UsageError(`--checkpoint must be best or last, got '${kind}'`);
    const store = ProjectStore.open(positionals[0]!);
    try {
      await initBackend();
      const loaded = await loadRunSegmenter(store, runId, kind as 'best' | 'last' | 'auto');
      try {
        const samples = await loadSplit(store, split, loaded.model.describe().inputSize, loaded.tiling);
        if (samples.length === 0) throw new Error(`the '${split}' split has no annotated images`);
        const t0 = performance.now();
        const { result, engine } = await evaluateWithChosenEngine(loaded.model, loaded.meta.config, samples, { batchSize: loaded.meta.config.batchSize });
        const seconds = (performance.now() - t0) / 1000;
        const summary = summarise(result);
        const classes = ['background', ...store.listClasses().map((c) => c.name)];
        recordEvaluation(store, { runId, split, summary, classes, images: result.images }, loaded.checkpointPath, { inputSize: loaded.meta.config.inputSize, tiling: loaded.tiling });
        const run = store.getRun(runId)!;
        const trainedWith = trainedWithLabel(run.metrics);
        const report = { runId, split, checkpoint: loaded.checkpointPath, epoch: loaded.meta.position.epochsDone, trainedWith: run.metrics.trainedWith ?? null, evaluatedWith: engine, classes, images: result.images, seconds, ...summary, confusion: result.confusion, perImage: result.perImage };
        if (file) writeFileSync(file, JSON.stringify(report, null, 2));
        if (json && !file) io.out(JSON.stringify(report, null, 2));
        else {
          io.out(`run ${runId} (${run.name}), ${loaded.meta.kind} checkpoint (epoch ${loaded.meta.position.epochsDone}), ${result.images} '${split}' images at original resolution:`);
          io.out(`trained with ${trainedWith ?? 'an unrecorded engine'}; evaluated with ${engine}`);
          for (const l of formatMetrics(summary, classes)) io.out(l);
          if (file) io.out(`full result written to ${file}`);
        }
        return 0;
      } finally {
        loaded.model.dispose();
      }
    } finally {
      store.close();
    }
  },
};
