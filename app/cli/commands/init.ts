import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';

export const initCommand: CliCommand = {
  name: 'init',
  usage: [
    'pasam init <dir> --name <name> [--classes <a,b,...>] [--json]',
    '',
    'Creates <dir> with project.db and the images/, masks/, models/, runs/ folders.',
    '  --name <name>       project (product line) name, required',
    '  --classes <list>    comma-separated defect classes; they get mask values 1, 2, ... in this',
    '                      order (0 is always background)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { name: { type: 'string' }, classes: { type: 'string' } }, { min: 1, max: 1 });
    const name = stringOption(values, 'name');
    if (!name?.trim()) throw new UsageError('--name <name> is required');
    const classesArg = stringOption(values, 'classes');
    const classes = classesArg === undefined ? [] : classesArg.split(',').map((c) => c.trim()).filter((c) => c !== '');
    const store = ProjectStore.create(positionals[0]!, { name, classes });
    try {
      const info = { dir: store.dir, ...store.info(), classes: store.listClasses() };
      if (values.json) io.out(JSON.stringify(info, null, 2));
      else {
        io.out(`created project '${info.name}' in ${info.dir}`);
        io.out(info.classes.length ? `classes: ${info.classes.map((c) => `${c.index} ${c.name}`).join(', ')} (0 = background)` : "no classes yet; add them with 'pasam class <dir> add <name>'");
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
