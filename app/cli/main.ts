// `pasam` entry: dispatches to a sub-command; exit codes 0 ok, 1 failed, 2 bad usage.
import { UsageError, type CliIO } from './cliTypes.js';
import { commands } from './commands/index.js';

const consoleIO: CliIO = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return ['usage: pasam <command> [options]', '', 'commands:', ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '', "Run 'pasam <command> --help' for a command's options."].join('\n');
}

export async function main(argv: string[], io: CliIO = consoleIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.err(`pasam: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pasam ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    io.err(`pasam ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.PASAM_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}
