import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { lockSplit, splitProject } from '../../dataset/projectDataset.js';
import { ASSIGNABLE, SplitError, parseRatios, type AssignableSplit } from '../../dataset/split.js';

const USAGE = [
  'pasam split <dir> [--ratios 0.7,0.15,0.15] [--seed 1] [--group-by <regex> | --group-column <csv>:<column>] [--keep-assigned] [--json]',
  'pasam split <dir> --lock train|val|test --images <name|id>,...   (manual override, kept by later splits)',
  'pasam split <dir> --unlock --images <name|id>,...',
  '',
  'Assigns every image to train/val/test. Stratified by the set of classes in each image’s latest',
  'mask, seeded (same seed, same split), group-aware: images with the same group key always share a',
  'split. --group-by takes the group from the image name (first capture group, else the match), e.g.',
  "--group-by '^(part\\d+)_'; --group-column reads it from a CSV keyed by image name or stem.",
  'Images locked with --lock keep their split (and pull their group along); --keep-assigned keeps',
  'every image that already has a split (e.g. an official test set) and splits only the others.',
].join('\n');

export const splitCommand: CliCommand = {
  name: 'split',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ratios: { type: 'string' }, seed: { type: 'string' }, 'group-by': { type: 'string' }, 'group-column': { type: 'string' }, lock: { type: 'string' }, unlock: { type: 'boolean' }, images: { type: 'string' }, 'keep-assigned': { type: 'boolean' } },
      { min: 1, max: 1 },
    );
    const lock = stringOption(values, 'lock');
    const imagesOpt = stringOption(values, 'images');
    const store = ProjectStore.open(positionals[0]!);
    try {
      if (lock !== undefined || values.unlock) {
        if (!imagesOpt) throw new UsageError('--lock/--unlock need --images');
        if (lock !== undefined && !(ASSIGNABLE as readonly string[]).includes(lock)) throw new UsageError(`--lock must be one of ${ASSIGNABLE.join(', ')}`);
        const refs = imagesOpt.split(',').map((s) => s.trim()).filter(Boolean);
        const imgs = lockSplit(store, refs, values.unlock ? null : (lock as AssignableSplit));
        if (values.json) io.out(JSON.stringify({ images: imgs.map((i) => i.id), split: values.unlock ? null : lock, locked: !values.unlock }, null, 2));
        else io.out(`${values.unlock ? 'unlocked' : `locked to ${lock}`}: ${imgs.map((i) => `${i.originalName} (#${i.id})`).join(', ')}`);
        return 0;
      }
      if (imagesOpt) throw new UsageError('--images goes with --lock or --unlock');
      let ratios: [number, number, number];
      try {
        ratios = parseRatios(stringOption(values, 'ratios') ?? '0.7,0.15,0.15');
      } catch (err) {
        if (err instanceof SplitError) throw new UsageError(err.message);
        throw err;
      }
      const seedText = stringOption(values, 'seed') ?? '1';
      if (!/^\d+$/.test(seedText)) throw new UsageError(`--seed must be a non-negative integer, got '${seedText}'`);
      const groupByText = stringOption(values, 'group-by');
      const groupColumnText = stringOption(values, 'group-column');
      if (groupByText && groupColumnText) throw new UsageError('give --group-by or --group-column, not both');
      let groupBy: RegExp | undefined;
      if (groupByText) {
        try {
          groupBy = new RegExp(groupByText);
        } catch (err) {
          throw new UsageError(`--group-by is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      let groupColumn: { file: string; column: string } | undefined;
      if (groupColumnText) {
        const at = groupColumnText.lastIndexOf(':');
        if (at <= 0 || at === groupColumnText.length - 1) throw new UsageError('--group-column takes <csv file>:<column>');
        groupColumn = { file: groupColumnText.slice(0, at), column: groupColumnText.slice(at + 1) };
      }
      const r = splitProject(store, { ratios, seed: Number(seedText), keepAssigned: values['keep-assigned'] === true, ...(groupBy ? { groupBy } : {}), ...(groupColumn ? { groupColumn } : {}) });
      if (values.json) io.out(JSON.stringify({ counts: r.counts, locked: r.locked, groupsSet: r.groupsSet, warnings: r.warnings }, null, 2));
      else {
        io.out(`train ${r.counts.train}, val ${r.counts.val}, test ${r.counts.test}${r.locked ? ` (${r.locked} locked or kept images unchanged)` : ''}`);
        if (r.groupsSet) io.out(`group keys set on ${r.groupsSet} images`);
        for (const w of r.warnings) io.err(`warning: ${w}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
