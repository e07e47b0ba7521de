import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILT, builtFile } from '../../buildMode.js';
import type { CliCommand } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';
import { runServe } from './serve.js';

/** The Electron main script: the bundle beside this one when built, the source in a checkout. */
const electronMain = (): string => fileURLToPath(BUILT ? builtFile('electronMain.cjs') : new URL('../../../main/electronMain.cjs', import.meta.url));

/** The Electron binary's path, or why there is none. */
export function findElectronBinary(): { path: string } | { reason: string } {
  try {
    // In plain Node, the `electron` package exports the path of its downloaded binary.
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path !== 'string') return { reason: 'the electron package did not return a binary path' };
    if (!existsSync(path)) return { reason: `the Electron binary ${path} is missing (download skipped?)` };
    return { path };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { reason: /Cannot find (module|package) 'electron'/.test(msg) ? 'the electron package is not installed' : msg };
  }
}

export const desktopCommand: CliCommand = {
  name: 'desktop',
  usage: `pasam desktop [project-dir] [--workspace <dir>]

Starts PA-SAM Workstation in Electron. Where no Electron binary is installed it says so and runs
'pasam serve' on 127.0.0.1 instead, printing the URL to open in a browser.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { workspace: { type: 'string' } }, { min: 0, max: 1 });
    const workspaceDir = stringOption(values, 'workspace');
    const electron = findElectronBinary();
    if ('path' in electron) {
      const args = [electronMain(), ...(positionals[0] ? [positionals[0]] : []), ...(workspaceDir ? ['--workspace', workspaceDir] : [])];
      const child = spawn(electron.path, args, { stdio: 'inherit' });
      return new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    }
    const fallbackWorkspace = workspaceDir ?? (positionals[0] ? undefined : process.cwd());
    return runServe(
      { projectDir: positionals[0], workspaceDir: fallbackWorkspace, port: 0, host: '127.0.0.1', allowRemote: false },
      io,
      `pasam desktop: no Electron binary available (${electron.reason}); serving the UI on loopback instead — open the URL above in a browser`,
    );
  },
};
