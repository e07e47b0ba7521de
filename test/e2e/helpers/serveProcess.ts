// Starts the real `pasam serve` as a child process, as a user would, and reads the URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PASAM_BIN } from '../../helpers/cli.js';

export interface ServeHandle {
  url: string;
  origin: string;
  token: string;
  port: number;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
  /** Calls an API method with the token (JSON in, wire-decoded out). */
  rpc<T = unknown>(method: string, params?: unknown): Promise<T>;
}

export { tempDir } from '../../helpers/tempDir.js';

export async function startServe(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServeHandle> {
  const proc = spawn(process.execPath, [PASAM_BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: proc.stdout! });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`pasam serve exited (${code}) before printing its URL:\n${err}`))),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`pasam serve printed no URL within ${timeoutMs} ms:\n${err}`)), timeoutMs).unref()),
  ]);
  lines.on('line', () => undefined);
  const url = new URL(first.trim());
  const token = url.searchParams.get('token') ?? '';
  const origin = url.origin;
  const wait = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  const { decodeMessage } = await import('../../../app/api/wireCodec.js');
  return {
    url: first.trim(),
    origin,
    token,
    port: Number(url.port),
    proc,
    stderr: () => err,
    stop: () => wait('SIGTERM'),
    kill: () => wait('SIGKILL'),
    async rpc<T>(method: string, params: unknown = {}): Promise<T> {
      const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
      const body = decodeMessage(new Uint8Array(await res.arrayBuffer())) as { ok: boolean; result?: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
      return body.result as T;
    },
  };
}
