import { fileURLToPath } from 'node:url';
import { BUILT, builtFile } from '../../buildMode.js';
import type { CliCommand, CliIO } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, stringOption } from '../args.js';

export const SERVE_USAGE = `pasam serve <project-dir> | --workspace <dir> [--port N] [--host ADDR --allow-remote]

Serves the annotator to a browser: the UI, the API and live events over HTTP + WebSocket.
The first line printed is the URL to open; it carries a random session token that every
request must present. Only this server's own pages may call it (Origin/Host are checked).

  <project-dir>      open this project
  --workspace <dir>  list the projects inside <dir> and create new ones there
  --port N           port to listen on (default 0: a free port)
  --host ADDR        address to bind (default 127.0.0.1); anything but loopback
                     also needs --allow-remote, and the token is still required
  --allow-remote     allow binding a non-loopback address`;

export interface ServeArgs {
  projectDir?: string;
  workspaceDir?: string;
  port: number;
  host: string;
  allowRemote: boolean;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values, positionals } = parseCommandArgs(
    argv,
    { workspace: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'allow-remote': { type: 'boolean' } },
    { min: 0, max: 1 },
  );
  const workspaceDir = stringOption(values, 'workspace');
  if (!positionals[0] && !workspaceDir) throw new UsageError('give a project folder or --workspace <dir>');
  const portText = stringOption(values, 'port') ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got '${portText}'`);
  const host = stringOption(values, 'host') ?? '127.0.0.1';
  const allowRemote = values['allow-remote'] === true;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host) && !allowRemote) throw new UsageError(`binding ${host} exposes the annotator to the network; add --allow-remote to do that deliberately`);
  return { projectDir: positionals[0], workspaceDir, port, host, allowRemote };
}

/** The built page: shipped beside the bundle when built; in a checkout, rebuilt when sources changed. */
async function rendererFolder(): Promise<string> {
  if (BUILT) return fileURLToPath(builtFile('renderer'));
  const { ensureRendererBuilt, RENDERER_DIST } = await import('../../../renderer/build.mjs');
  await ensureRendererBuilt();
  return RENDERER_DIST;
}

/** Runs the server until SIGINT/SIGTERM. The URL line is printed before anything else. */
export async function runServe(args: ServeArgs, io: CliIO, banner?: string): Promise<number> {
  // Loaded here, not at the top: every other CLI command would pay for sharp, SQLite and esbuild.
  const { ApiService } = await import('../../api/apiService.js');
  const { startServeServer } = await import('../../server/serveServer.js');
  const rendererDir = await rendererFolder();
  const api = new ApiService({ transport: 'http', projectDir: args.projectDir, workspaceDir: args.workspaceDir });
  const server = await startServeServer({ api, rendererDir, host: args.host, port: args.port, allowRemote: args.allowRemote });
  io.out(server.url);
  if (banner) io.err(banner);
  io.err(`pasam serve: ${args.projectDir ? `project ${args.projectDir}` : `workspace ${args.workspaceDir}`}; open the URL above (Ctrl+C stops)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  api.close();
  return 0;
}

export const serveCommand: CliCommand = {
  name: 'serve',
  usage: SERVE_USAGE,
  async run(argv, io) {
    return runServe(parseServeArgs(argv), io);
  },
};
