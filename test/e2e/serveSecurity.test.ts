// `pasam serve` refuses requests without the session token, from other origins and for other
// Host names (DNS rebinding), on HTTP and on the WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { runCli } from '../helpers/cli.js';
import { startServe, tempDir, type ServeHandle } from './helpers/fixture.js';

let serve: ServeHandle;
let workspace: string;

before(async () => {
  workspace = tempDir('sec');
  serve = await startServe(['--workspace', workspace], { PASAM_HOME: tempDir('home') });
});
after(async () => {
  await serve?.stop();
});

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: serve.port, method, path, headers: { Host: `127.0.0.1:${serve.port}`, ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const auth = () => ({ Authorization: `Bearer ${serve.token}` });

test('the printed URL is on loopback and carries a long random token', () => {
  assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
});

test('the page, the API and binary routes refuse requests without the token or with a wrong one', async () => {
  assert.equal((await raw('GET', '/')).status, 401);
  assert.equal((await raw('GET', '/?token=nottherighttoken')).status, 401);
  assert.equal((await raw('GET', '/app.js')).status, 401);
  assert.equal((await raw('POST', '/api/host.info', { 'Content-Type': 'application/json' }, '{}')).status, 401);
  assert.equal((await raw('POST', '/api/host.info', { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' }, '{}')).status, 401);
  assert.equal((await raw('GET', '/bin/thumb/1')).status, 401);
  // The token in the query is only for opening the page, never for the API.
  assert.equal((await raw('POST', `/api/host.info?token=${serve.token}`, {}, '{}')).status, 401);
});

test('opening the printed URL moves the token into an HttpOnly SameSite cookie and serves the page with a CSP', async () => {
  const first = await raw('GET', `/?token=${serve.token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, new RegExp(`pasam_token_${serve.port}=`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await raw('GET', '/', { Cookie: cookie.split(';')[0]! });
  assert.equal(page.status, 200);
  assert.match(page.body, /<div id="root">/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
});

test('a valid token from another origin is refused (CSRF)', async () => {
  const ok = await raw('POST', '/api/host.info', { ...auth(), 'Content-Type': 'application/json', Origin: serve.origin }, '{}');
  assert.equal(ok.status, 200);
  const evil = await raw('POST', '/api/host.info', { ...auth(), 'Content-Type': 'application/json', Origin: 'http://evil.example' }, '{}');
  assert.equal(evil.status, 403);
  assert.match(evil.body, /Origin/);
  const cross = await raw('POST', '/api/host.info', { ...auth(), 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' }, '{}');
  assert.equal(cross.status, 403);
});

test('a request for another Host name is refused even with the token (DNS rebinding)', async () => {
  const r = await raw('POST', '/api/host.info', { ...auth(), Host: `attacker.example:${serve.port}`, 'Content-Type': 'application/json' }, '{}');
  assert.equal(r.status, 403);
  assert.match(r.body, /Host/);
  const localhost = await raw('POST', '/api/host.info', { ...auth(), Host: `localhost:${serve.port}`, 'Content-Type': 'application/json' }, '{}');
  assert.equal(localhost.status, 200);
});

test('static files cannot escape the renderer folder', async () => {
  const r = await raw('GET', '/../../package.json', auth());
  assert.equal(r.status, 404);
  const r2 = await raw('GET', '/%2e%2e/%2e%2e/package.json', auth());
  assert.equal(r2.status, 404);
});

function wsOutcome(headers: Record<string, string>): Promise<{ opened: boolean; status?: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/events`, { headers });
    ws.on('open', () => resolve({ opened: true, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

test('the event WebSocket needs the token and our origin, and then delivers events', async () => {
  const none = await wsOutcome({});
  assert.equal(none.opened, false);
  assert.equal(none.status, 401);
  const wrongOrigin = await wsOutcome({ ...auth(), Origin: 'http://evil.example' });
  assert.equal(wrongOrigin.opened, false);
  assert.equal(wrongOrigin.status, 403);
  const good = await wsOutcome({ ...auth(), Origin: serve.origin });
  assert.equal(good.opened, true);
  const got = new Promise<{ type: string; project?: { name: string } }>((resolve) => good.ws!.once('message', (m) => resolve(JSON.parse(String(m)))));
  await serve.rpc('projects.create', { dir: `${workspace}/ws-events`, name: 'Events', classes: [{ name: 'scratch', color: '#ff0000' }] });
  const event = await got;
  assert.equal(event.type, 'project.opened');
  assert.equal(event.project?.name, 'Events');
  good.ws!.close();
});

test('API errors name the problem; unknown methods and bad params are refused', async () => {
  await assert.rejects(serve.rpc('nope.method'), /unknown API method 'nope.method'/);
  await assert.rejects(serve.rpc('images.get', { id: 'x' }), /'id' must be an integer/);
  await assert.rejects(serve.rpc('projects.open', { dir: 'relative/path' }), /must be an absolute path/);
});

test('binding a non-loopback address needs --allow-remote', () => {
  const r = runCli(['serve', '--workspace', workspace, '--host', '0.0.0.0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--allow-remote/);
});
