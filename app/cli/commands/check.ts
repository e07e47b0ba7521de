import type { CliCommand } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { checkProject } from '../../dataset/projectDataset.js';
import { formatRepairReport, repairProjectContent } from '../../store/contentRepair.js';
import { describeHolder } from '../../store/projectLock.js';

export const checkCommand: CliCommand = {
  name: 'check',
  usage: [
    'pasam check <dir> [--speck-pixels N] [--repair] [--json]',
    '',
    'Checks every image and its latest mask: masks of the wrong size or with unknown class values',
    '(errors), regions smaller than N pixels (default 10), near-duplicate images in different splits',
    '(perceptual hash confirmed on thumbnails), classes missing from or skewed between splits,',
    'empty masks, images without masks, never reviewed or without a split.',
    'Exit 1 when an error is found, else 0 (warnings included).',
    '  --repair   first remove content files no record references (left by a killed import) and',
    '             stale temporary files, waiting for a running import to finish; says what it removed.',
    '             (Opening a project does the same when an import died holding the project lock.)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { 'speck-pixels': { type: 'string' }, repair: { type: 'boolean' } }, { min: 1, max: 1 });
    const speckPixels = parseIntOption('speck-pixels', stringOption(values, 'speck-pixels'), 10);
    const store = ProjectStore.open(positionals[0]!);
    try {
      const repair = values.repair ? await repairProjectContent(store, { onWait: (h) => io.err(`waiting for ${describeHolder(h)} to finish…`) }) : null;
      if (store.repairedAtOpen && !values.json) io.out(`after a killed import, ${formatRepairReport(store.repairedAtOpen)}`);
      const report = await checkProject(store, { speckPixels });
      if (values.json) io.out(JSON.stringify(repair || store.repairedAtOpen ? { ...report, repair: repair ?? store.repairedAtOpen } : report, null, 2));
      else {
        if (repair) io.out(formatRepairReport(repair));
        const { counts } = report;
        io.out(`${counts.images} images: ${counts.errors} errors, ${counts.warnings} warnings, ${counts.infos} notes`);
        for (const f of report.findings) io.out(`${f.severity.padEnd(7)} ${f.check}: ${f.message}`);
        for (const s of ['train', 'val', 'test', 'unassigned'] as const) {
          const st = report.perSplit[s];
          if (!st.images) continue;
          const cls = Object.entries(st.imagesWithClass).map(([c, n]) => `${c}:${n}`).join(' ');
          io.out(`split ${s}: ${st.images} images${cls ? `; images per class ${cls}` : ''}`);
        }
      }
      return report.counts.errors > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
