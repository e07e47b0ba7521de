import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import type { ClassDef } from '../../store/storeTypes.js';

const USAGE = [
  'pasam class <dir> list [--json]',
  'pasam class <dir> add <name> [--color #rrggbb] [--json]',
  'pasam class <dir> rename <old> <new> [--json]',
  'pasam class <dir> remove <name> [--remap <class|background>] [--json]',
  'pasam class <dir> merge <a> <b> [--json]        (pixels of <a> become <b>, then <a> is removed)',
  'pasam class <dir> recolor <name> <#rrggbb> [--json]',
  '',
  'Lists or edits the defect classes of a project. Class i is mask value i; 0 is background.',
  'remove refuses while the latest mask of any image uses the class, unless --remap names the class',
  "(or 'background') its pixels become. Classes above a removed one move down one index; affected",
  'masks get a new version (old versions are kept).',
].join('\n');

function printClasses(classes: ClassDef[], out: (l: string) => void): void {
  out('  0  background');
  for (const c of classes) out(`${String(c.index).padStart(3)}  ${c.name}  ${c.color}`);
}

export const classCommand: CliCommand = {
  name: 'class',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { color: { type: 'string' }, remap: { type: 'string' } }, { min: 2, max: 4 });
    const [dir, action, a, b] = positionals as [string, string, string?, string?];
    const want = (n: number): void => {
      const got = positionals.length - 2;
      if (got !== n) throw new UsageError(`'class ${action}' takes ${n} name${n === 1 ? '' : 's'}, got ${got}`);
    };
    if (!['list', 'add', 'rename', 'remove', 'merge', 'recolor'].includes(action)) throw new UsageError(`unknown action '${action}' (use list, add, rename, recolor, merge or remove)`);
    if (values.color !== undefined && action !== 'add') throw new UsageError('--color only goes with add');
    if (values.remap !== undefined && action !== 'remove') throw new UsageError('--remap only goes with remove');
    const store = ProjectStore.open(dir);
    try {
      let message = '';
      let result: Record<string, unknown> = {};
      if (action === 'list') want(0);
      else if (action === 'add') {
        want(1);
        const c = store.addClass(a!, stringOption(values, 'color'));
        message = `added class ${c.index} '${c.name}' (${c.color})`;
        result = { added: c };
      } else if (action === 'rename') {
        want(2);
        const c = store.renameClass(a!, b!);
        message = `renamed class ${c.index} '${a}' → '${c.name}'`;
        result = { renamed: c };
      } else if (action === 'merge') {
        want(2);
        // Merging is removing <a> with its pixels remapped onto <b>: masks get new versions.
        const into = store.getClass(b!);
        const r = store.removeClass(a!, { remapTo: into.name });
        message = `merged class '${r.removed.name}' into '${into.name}'${r.masksRewritten ? `; ${r.masksRewritten} mask(s) got a new version` : ''}`;
        result = { merged: r.removed, into: store.getClass(into.name), masksRewritten: r.masksRewritten };
      } else if (action === 'recolor') {
        want(2);
        if (!/^#[0-9a-f]{6}$/i.test(b!)) throw new UsageError(`'${b}' is not a #rrggbb colour`);
        const c = store.setClassColor(a!, b!);
        message = `class ${c.index} '${c.name}' is now ${c.color}`;
        result = { recolored: c };
      } else {
        want(1);
        const r = store.removeClass(a!, { remapTo: stringOption(values, 'remap') });
        message = `removed class ${r.removed.index} '${r.removed.name}'${r.masksRewritten ? `; ${r.masksRewritten} mask(s) got a new version` : ''}`;
        result = { removed: r.removed, masksRewritten: r.masksRewritten };
      }
      const classes = store.listClasses();
      if (values.json) io.out(JSON.stringify({ ...result, classes }, null, 2));
      else {
        if (message) io.out(message);
        printClasses(classes, io.out);
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
