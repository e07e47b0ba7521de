// `pasam serve`: the renderer, a JSON/binary RPC endpoint (POST /api/<method>), binary routes for
// tiles/thumbnails (GET /bin/...) and a WebSocket of events, all behind a session token and an
// Origin/Host check. Bound to loopback unless the caller explicitly allows another address.
// A JSON import (not a runtime read beside this file) so that the bundler inlines the policy.
import contentSecurityPolicyDirectives from '../api/contentSecurityPolicy.json' with { type: 'json' };
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEvent, BinaryRoute } from '../api/apiTypes.js';
import { parseBinaryRoutePath } from '../api/apiTypes.js';
import { ApiError, httpStatusFor, toErrorBody } from '../api/apiErrors.js';
import { decodeMessage, encodeMessage } from '../api/wireCodec.js';
import { checkHostAndOrigin, loopbackPolicy, newSessionToken, requestToken, sameToken, tokenCookieName, type OriginPolicy } from './serveSecurity.js';

/** What the server needs from the API implementation (ApiService provides it). */
export interface ApiHost {
  call(method: string, params: unknown): Promise<unknown>;
  binary(route: BinaryRoute): Promise<{ contentType: string; body: Buffer }>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
}

export interface ServeOptions {
  api: ApiHost;
  rendererDir: string;
  host?: string;
  port?: number;
  /** Required to bind anything but a loopback address. */
  allowRemote?: boolean;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const MAX_BODY = 512 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// One policy for both shells: the Electron main process reads the same file.
const CONTENT_SECURITY_POLICY = contentSecurityPolicyDirectives.join('; ');

function contentSecurityPolicy(): string {
  return CONTENT_SECURITY_POLICY;
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-store');
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError('bad-request', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') {
    try {
      return gunzipSync(body, { maxOutputLength: MAX_BODY });
    } catch (err) {
      throw new ApiError('bad-request', `request body is not valid gzip: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return body;
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

export async function startServeServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !opts.allowRemote) {
    throw new ApiError('bad-request', `refusing to bind ${host}: binding a non-loopback address needs --allow-remote (the token is still required)`);
  }
  const token = opts.token ?? newSessionToken();
  let policy: OriginPolicy = loopbackPolicy(0);
  const anyHost = host === '0.0.0.0' || host === '::';

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refusal = checkHostAndOrigin(req.headers, policy);
    if (refusal) return sendText(res, 403, `forbidden: ${refusal}`);
    const isPage = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html');
    const given = requestToken(req.headers, policy.port, isPage ? url.searchParams.get('token') : null);
    if (!sameToken(given, token)) {
      return sendText(res, 401, 'unauthorized: open the URL that `pasam serve` printed (it carries the session token)');
    }
    if (isPage && url.searchParams.has('token')) {
      // Keep the token in an HttpOnly cookie and drop it from the address bar and history.
      res.setHeader('Set-Cookie', `${tokenCookieName(policy.port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { Location: '/' });
      return void res.end();
    }
    if (url.pathname.startsWith('/api/')) return handleRpc(req, res, decodeURIComponent(url.pathname.slice(5)));
    if (url.pathname.startsWith('/bin/')) return handleBinary(req, res, url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    return serveStatic(res, url.pathname === '/' ? '/index.html' : url.pathname);
  }

  async function handleRpc(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'API calls are POST');
    let status = 200;
    let payload: unknown;
    try {
      const body = await readBody(req);
      const isWire = String(req.headers['content-type'] ?? '').startsWith('application/x-pasam');
      let params: unknown;
      try {
        params = body.length === 0 ? {} : isWire ? decodeMessage(body) : JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new ApiError('bad-request', err instanceof Error ? err.message : String(err));
      }
      payload = { ok: true, result: await opts.api.call(method, params) };
    } catch (err) {
      const e = toErrorBody(err);
      status = httpStatusFor(e.code);
      payload = { ok: false, error: e };
    }
    let out = Buffer.from(encodeMessage(payload));
    const headers: Record<string, string> = { 'Content-Type': 'application/x-pasam' };
    if (out.length > 8192 && acceptsGzip(req)) {
      out = gzipSync(out, { level: 1 });
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(status, headers);
    res.end(out);
  }

  async function handleBinary(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET') return sendText(res, 405, 'method not allowed');
    const route = parseBinaryRoutePath(path);
    if (!route) return sendText(res, 404, 'not found');
    try {
      const { contentType, body } = await opts.api.binary(route);
      res.setHeader('Cache-Control', 'private, max-age=3600');
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(body.length) });
      res.end(body);
    } catch (err) {
      const e = toErrorBody(err);
      sendText(res, httpStatusFor(e.code), e.message);
    }
  }

  async function serveStatic(res: ServerResponse, path: string): Promise<void> {
    const file = normalize(join(opts.rendererDir, path));
    if (!file.startsWith(normalize(opts.rendererDir) + sep)) return sendText(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendText(res, 404, 'not found');
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    if (type.startsWith('text/html')) res.setHeader('Content-Security-Policy', contentSecurityPolicy());
    res.writeHead(200, { 'Content-Type': type });
    res.end(body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refusal = checkHostAndOrigin(req.headers, policy);
    const okToken = sameToken(requestToken(req.headers, policy.port, null), token);
    if (url.pathname !== '/events' || refusal || !okToken) {
      socket.write(`HTTP/1.1 ${refusal ? '403 Forbidden' : '401 Unauthorized'}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', () => undefined);
    });
  });
  const unsubscribe = opts.api.onEvent((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  policy = anyHost ? { port, allowedHostNames: [] } : loopbackPolicy(port, host);
  const shownHost = host === '::1' ? '[::1]' : anyHost ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
