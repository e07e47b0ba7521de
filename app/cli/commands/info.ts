import type { CliCommand } from '../cliTypes.js';
import { parseCommandArgs } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { SPLITS, IMAGE_STATUSES } from '../../store/storeTypes.js';

export const infoCommand: CliCommand = {
  name: 'info',
  usage: [
    'pasam info <dir> [--json]',
    '',
    'Counts of a project: images per split and per status, and per class the images whose latest',
    'mask contains it with its pixel count.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {}, { min: 1, max: 1 });
    const store = ProjectStore.open(positionals[0]!);
    try {
      const info = store.info();
      const counts = store.counts();
      const imports = store.listImports().length;
      if (values.json) {
        io.out(JSON.stringify({ dir: store.dir, ...info, imports, ...counts }, null, 2));
        return 0;
      }
      io.out(`project '${info.name}' (${store.dir}), schema v${info.schemaVersion}`);
      io.out(`images: ${counts.images} (${counts.withMask} with a mask), from ${imports} import(s)${counts.trashed ? `; ${counts.trashed} in the Trash (pasam trash)` : ''}`);
      io.out(`split:  ${SPLITS.map((s) => `${s} ${counts.bySplit[s]}`).join(', ')}`);
      io.out(`status: ${IMAGE_STATUSES.map((s) => `${s} ${counts.byStatus[s]}`).join(', ')}`);
      if (counts.byClass.length === 0) io.out('classes: none');
      else {
        io.out('classes (latest masks):');
        const w = Math.max(...counts.byClass.map((c) => c.name.length));
        for (const c of counts.byClass) io.out(`${String(c.index).padStart(3)}  ${c.name.padEnd(w)}  ${String(c.images).padStart(6)} images  ${String(c.pixels).padStart(10)} px`);
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
