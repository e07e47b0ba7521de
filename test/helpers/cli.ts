// Runs the real `pasam` CLI in a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PASAM_BIN = fileURLToPath(new URL('../../bin/pasam.js', import.meta.url));
export const SHARED_DIR = process.env.PASAM_SHARED ?? fileURLToPath(new URL('../../../shared', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [PASAM_BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a `pasam` command in this process (no child start-up cost); same dispatcher and exit codes. */
export async function runCliInProcess(args: string[]): Promise<CliResult> {
  const { main } = await import('../../app/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.map((l) => l + '\n').join(''), stderr: err.map((l) => l + '\n').join('') };
}
