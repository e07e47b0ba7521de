import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { SPLITS, type Split } from '../../store/storeTypes.js';
import { exportProject } from '../../dataset/projectDataset.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../dataset/export/exportTypes.js';

export const exportCommand: CliCommand = {
  name: 'export',
  usage: [
    'pasam export <dir> <out> --format mask-png|color-png|coco|labelme|overlay [--split train,val,...] [--json]',
    '',
    'Writes every image (or those of the given splits) with its latest mask into the new folder <out>:',
    '  mask-png   images/, masks/ (8-bit class-index PNG), classes.json, manifest.csv (split)',
    '  color-png  VOC layout: JPEGImages/, SegmentationClass/ palette PNGs in class colours, labelmap.txt,',
    '             ImageSets/Segmentation/<split>.txt',
    '  coco       images/, annotations/instances_<split>.json (one annotation per class: polygons that',
    '             pycocotools fills back exactly; compressed RLE for a class with holes)',
    '  labelme    <split>/<name>.json polygons through boundary-pixel centres beside the images (holes',
    '             as _background_ shapes, one-row rectangles where labelme would round differently)',
    '  overlay    mask-png plus overlays/ (masks drawn over the images) for review',
    'Every format imports back (pasam import) to the same masks, pixel for pixel.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' }, split: { type: 'string' } }, { min: 2, max: 2 });
    const format = stringOption(values, 'format');
    if (!format) throw new UsageError(`--format is required (${EXPORT_FORMATS.join(', ')})`);
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
    const splitText = stringOption(values, 'split');
    let splits: Split[] | undefined;
    if (splitText) {
      splits = splitText.split(',').map((s) => s.trim()) as Split[];
      const bad = splits.filter((s) => !SPLITS.includes(s));
      if (bad.length) throw new UsageError(`unknown split ${bad.join(', ')} (use ${SPLITS.join(', ')})`);
    }
    const store = ProjectStore.open(positionals[0]!);
    try {
      const summary = await exportProject(store, positionals[1]!, format as ExportFormat, splits ? { splits } : {});
      if (values.json) io.out(JSON.stringify(summary, null, 2));
      else {
        io.out(`exported ${summary.images} images (${summary.withMasks} with masks) as ${summary.format} to ${summary.out}`);
        for (const n of summary.notes) io.out(`note: ${n}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
