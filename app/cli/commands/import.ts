import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { SPLITS, type Split } from '../../store/storeTypes.js';
import { isFatal } from '../../dataset/importPipeline.js';
import type { ImportReport } from '../../dataset/importTypes.js';
import { importSource, type SourceImportReport } from '../../dataset/projectDataset.js';
import { FORMAT_OPTIONS, type FormatOption } from '../../dataset/readSource.js';
import { ClassMapError, parseClassMap } from '../../dataset/classMapping.js';
import { formatRepairReport } from '../../store/contentRepair.js';
import { describeHolder } from '../../store/projectLock.js';

/** `--colors "rust=#800000,pit=#008000"` → colour → class name. */
export function parseColorMap(spec: string | undefined): Map<string, string> | undefined {
  if (!spec) return undefined;
  const map = new Map<string, string>();
  for (const part of spec.split(',')) {
    const m = /^\s*(.+?)\s*=\s*(#[0-9a-fA-F]{6})\s*$/.exec(part);
    if (!m) throw new UsageError(`--colors entry '${part}' is not name=#rrggbb`);
    map.set(m[2]!.toLowerCase(), m[1]!);
  }
  return map;
}

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
  const extra = report as Partial<SourceImportReport>;
  if (report.detected) lines.unshift(`detected format: ${report.detected}`);
  if (extra.newClasses?.length) lines.push(`new classes: ${extra.newClasses.map((c) => `${c.index} ${c.name}`).join(', ')}`);
  for (const n of extra.notes ?? []) lines.push(`note: ${n}`);
  if (report.unmatchedMasks?.length) {
    lines.push(`${report.unmatchedMasks.length} mask file(s) matched no image:`);
    for (const m of report.unmatchedMasks) lines.push(`  ${m}`);
  }
  return lines;
}

export const importCommand: CliCommand = {
  name: 'import',
  usage: [
    'pasam import <dir> <source> [--format auto|folder|mask-png|class-folders|labelme|coco|voc|mvtec]',
    '             [--map <src=class,...>] [--colors <class=#rrggbb,...>] [--masks <folder>] [--split train|val|test] [--json]',
    '',
    'Imports images (and their masks/annotations) from <source> into project <dir>.',
    '  --format auto      (default) detect the layout and say what was detected:',
    '     folder          every png/jpg/jpeg/bmp/tif/tiff under <source>, no masks (or --masks)',
    '     mask-png        images/ + masks/ (class-index PNG) matched by stem or <stem>_mask;',
    '                     manifest.csv with a split column sets splits (e.g. NEU-Seg)',
    '     class-folders   <Class>/…/x.jpg + x.png binary 0/255 masks (soft edges cut at 128);',
    '                     a defect-free folder (…Free, good, ok, normal) gives empty masks',
    '     labelme         labelme JSON (polygon, rectangle, circle; embedded or referenced image)',
    '     coco            COCO JSON (polygons, RLE compressed/uncompressed; instances_<split>.json)',
    '     voc             JPEGImages/ + SegmentationClass/ palette PNGs (+ labelmap.txt, ImageSets)',
    '     mvtec           MVTec AD: train/good, test/<defect>, ground_truth/<defect>/<x>_mask.png',
    '  --map <spec>       source class (name or value) → project class, e.g. "Crack=scratch,2=inclusion";',
    "                     'background' drops a class. Unmapped names become new classes; unmapped",
    '                     values must be existing class indices.',
    '  --colors <spec>    class colour map for colour masks (voc), e.g. "rust=#800000,pit=#008000"',
    '  --masks <folder>   (folder format) class-index masks matched by relative path or stem',
    "  --split <split>    split for images whose source gives none (default: unassigned)",
    '',
    'The import is one transaction. A corrupt image, a mask of the wrong size or with an unknown',
    'class value fails the whole import (nothing is added, every bad file is listed, exit 1).',
    'Duplicates (same content) and non-image files are skipped and reported.',
    'Imports into one project run one at a time: a second one says which import it waits for.',
    'Input limits (image pixels, JSON size and nesting, polygon points, annotations per image)',
    'refuse hostile files; see the README for their PASAM_MAX_* overrides.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { masks: { type: 'string' }, split: { type: 'string' }, format: { type: 'string' }, map: { type: 'string' }, colors: { type: 'string' } },
      { min: 2, max: 2 },
    );
    const split = stringOption(values, 'split');
    if (split !== undefined && !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
    const format = stringOption(values, 'format') ?? 'auto';
    if (!(FORMAT_OPTIONS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMAT_OPTIONS.join(', ')}, got '${format}'`);
    const masks = stringOption(values, 'masks');
    if (masks !== undefined && format !== 'auto' && format !== 'folder') throw new UsageError('--masks goes with the folder format only');
    let classMap;
    try {
      classMap = parseClassMap(stringOption(values, 'map'));
    } catch (err) {
      if (err instanceof ClassMapError) throw new UsageError(err.message);
      throw err;
    }
    const colorMap = parseColorMap(stringOption(values, 'colors'));
    const store = ProjectStore.open(positionals[0]!);
    if (store.repairedAtOpen) io.err(`note: after a killed import, ${formatRepairReport(store.repairedAtOpen)}`);
    let report: ImportReport;
    try {
      // progress only for a person watching a terminal; pipes and --json stay clean
      const live = process.stderr.isTTY && !values.json;
      report = await importSource(store, positionals[1]!, {
        format: format as FormatOption,
        masks,
        split: split as Split | undefined,
        classMap,
        colorMap,
        onLockWait: (h) => io.err(`waiting for ${describeHolder(h)} to finish…`),
        onProgress: live ? (phase, done, total) => (done % 50 === 0 || done === total) && process.stderr.write(`\r${phase === 'validate' ? 'checked' : 'added'} ${done}${total ? `/${total}` : ''} `) : undefined,
      });
      if (live) process.stderr.write('\r\x1b[K');
    } finally {
      store.close();
    }
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else for (const l of formatImportReport(report, isFatal)) (report.failed ? io.err : io.out)(l);
    return report.failed ? 1 : 0;
  },
};
