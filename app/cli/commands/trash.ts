// `pasam trash`: the Dataset page's Trash on the command line — images moved there leave every
// listing, split, training, evaluation and export, and come back whole with --restore; --empty
// deletes them for good (files nothing else uses), keeping images a training run used.
import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { resolveImages } from '../../dataset/projectDataset.js';

const USAGE = [
  'pasam trash <dir> [--json]                          list the images in the Trash',
  'pasam trash <dir> --add <name|id>,... [--json]      move images to the Trash',
  'pasam trash <dir> --restore <name|id>,...|--all     bring images back from the Trash',
  'pasam trash <dir> --empty --yes [--json]            delete everything in the Trash permanently',
  '',
  'Images in the Trash keep their masks, split and status and are out of everything else until',
  'restored. --empty removes them, every version of their masks and the files no other image',
  'uses; images a training run used stay in the Trash (delete the run first). --empty asks for',
  '--yes because it cannot be undone.',
].join('\n');

const refsOf = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export const trashCommand: CliCommand = {
  name: 'trash',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { add: { type: 'string' }, restore: { type: 'string' }, all: { type: 'boolean' }, empty: { type: 'boolean' }, yes: { type: 'boolean' } }, { min: 1, max: 1 });
    const add = stringOption(values, 'add');
    const restore = stringOption(values, 'restore');
    const actions = [add !== undefined, restore !== undefined || Boolean(values.all), Boolean(values.empty)].filter(Boolean).length;
    if (actions > 1) throw new UsageError('give one of --add, --restore/--all, --empty');
    if (values.empty && !values.yes) throw new UsageError('--empty deletes the images in the Trash permanently; add --yes to confirm');
    const store = ProjectStore.open(positionals[0]!);
    try {
      const out = (json: unknown, text: string) => io.out(values.json ? JSON.stringify(json, null, 2) : text);
      const resolve = (refs: string[], trashed: boolean) => {
        try {
          return resolveImages(store, refs, { trashed });
        } catch (err) {
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
      };
      if (add !== undefined) {
        const images = resolve(refsOf(add), false);
        const n = store.trashImages(images.map((i) => i.id));
        out({ trashed: images.map((i) => i.id) }, `moved ${n} image(s) to the Trash: ${images.map((i) => `${i.originalName} (#${i.id})`).join(', ')}`);
      } else if (restore !== undefined || values.all) {
        const images = values.all ? store.listImages({ trashed: true }) : resolve(refsOf(restore!), true);
        const n = store.restoreImages(images.map((i) => i.id));
        out({ restored: images.map((i) => i.id) }, `restored ${n} image(s) from the Trash`);
      } else if (values.empty) {
        const r = store.deleteTrashedImages(store.listImages({ trashed: true }).map((i) => i.id));
        const kept = r.kept.map((k) => `  kept ${k.name} (#${k.id}): used by run ${k.runIds.join(', ')}`);
        out(r, [`deleted ${r.deleted.length} image(s) permanently, ${r.filesRemoved} file(s) removed`, ...kept].join('\n'));
      } else {
        const images = store.listImages({ trashed: true });
        out(
          images.map((i) => ({ id: i.id, name: i.originalName, split: i.split, trashedAt: i.trashedAt })),
          images.length ? images.map((i) => `#${i.id}  ${i.originalName}  ${i.split}  trashed ${i.trashedAt}`).join('\n') : 'the Trash is empty',
        );
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
