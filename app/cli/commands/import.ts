import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { SPLITS, type Split } from '../../store/storeTypes.js';
import type { ImportReport } from '../../dataset/importTypes.js';

export function formatImportReport(report: ImportReport, isFatal: (p: ImportReport['problems'][number]) => boolean): string[] {
  const lines: string[] = [];
  const fatal = report.problems.filter(isFatal);
  const skipped = report.problems.filter((p) => !isFatal(p));
  if (report.failed) {
    lines.push(`import failed: ${fatal.length} bad file(s); nothing was added`);
    for (const p of fatal) lines.push(`  ${p.file}: ${p.reason}: ${p.detail}`);
  } else {
    lines.push(`imported ${report.added} image(s), ${report.withMasks} with masks`);
  }
  if (skipped.length) {
    lines.push(`skipped ${skipped.length} file(s):`);
    for (const p of skipped) lines.push(`  ${p.file}: ${p.reason}: ${p.detail}`);
  }
  if (report.conversions.length) {
    lines.push(`converted ${report.conversions.length} image(s):`);
    for (const c of report.conversions) lines.push(`  ${c.file}: ${c.conversion}`);
  }
  if (report.unmatchedMasks?.length) {
    lines.push(`${report.unmatchedMasks.length} mask file(s) matched no image:`);
    for (const m of report.unmatchedMasks) lines.push(`  ${m}`);
  }
  return lines;
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import images (and class-index masks) from a folder',
  usage: [
    'pasam import <dir> <source> [--masks <folder>] [--split train|val|test] [--json]',
    '',
    'Imports every png/jpg/jpeg/bmp/tif/tiff image under <source> (recursive) into project <dir>.',
    '  --masks <folder>   class-index mask images (8-bit, value = class index), matched to images',
    '                     by relative path or by file stem',
    '  --split <split>    put the imported images in this split (default: unassigned)',
    '',
    'The import is one transaction. A corrupt image, a mask of the wrong size or with an unknown',
    'class value fails the whole import (nothing is added, every bad file is listed, exit 1).',
    'Duplicates (same content) and non-image files are skipped and reported.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { masks: { type: 'string' }, split: { type: 'string' } }, { min: 2, max: 2 });
    const split = stringOption(values, 'split');
    if (split !== undefined && !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
    // image decoding (sharp) is loaded only when an import runs, keeping `pasam --help` quick
    const { importFolder } = await import('../../dataset/folderImport.js');
    const { isFatal } = await import('../../dataset/importPipeline.js');
    const store = ProjectStore.open(positionals[0]!);
    let report: ImportReport;
    try {
      report = await importFolder(store, positionals[1]!, { masks: stringOption(values, 'masks'), split: split as Split | undefined });
    } finally {
      store.close();
    }
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else for (const l of formatImportReport(report, isFatal)) (report.failed ? io.err : io.out)(l);
    return report.failed ? 1 : 0;
  },
};
