// The Electron shell's rules that do not need Electron: IPC sender check, allowed requests, CSP, args.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sec = require('../../main/mainSecurity.cjs') as {
  CONTENT_SECURITY_POLICY: string;
  isTrustedSenderUrl(url: unknown): boolean;
  isAllowedRequestUrl(url: string): boolean;
  parseMainArgs(argv: string[]): { projectDir?: string; workspaceDir?: string };
};

test('only pages of our app:// origin may call the API over IPC', () => {
  assert.equal(sec.isTrustedSenderUrl('app://pasam/index.html'), true);
  for (const url of ['app://evil/index.html', 'file:///work/renderer/dist/index.html', 'https://pasam/index.html', 'http://127.0.0.1:3000/', 'about:blank', '', 'not a url', undefined, null]) {
    assert.equal(sec.isTrustedSenderUrl(url), false, String(url));
  }
});

test('the renderer may load nothing remote', () => {
  assert.equal(sec.isAllowedRequestUrl('app://pasam/app.js'), true);
  assert.equal(sec.isAllowedRequestUrl('app://pasam/bin/tile/1/0/0/0'), true);
  assert.equal(sec.isAllowedRequestUrl('data:image/png;base64,AAAA'), true);
  for (const url of ['https://cdn.example/x.js', 'http://127.0.0.1:8080/api', 'ws://localhost/events', 'file:///etc/passwd', 'app://other/x']) {
    assert.equal(sec.isAllowedRequestUrl(url), false, url);
  }
});

test('the CSP allows only our own scripts and styles', () => {
  assert.match(sec.CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(sec.CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(sec.CONTENT_SECURITY_POLICY, /unsafe-(eval|inline)|https?:/);
});

test('main-process arguments: a project folder and/or --workspace', () => {
  assert.deepEqual(sec.parseMainArgs(['/p/line3']), { projectDir: '/p/line3', workspaceDir: undefined });
  assert.deepEqual(sec.parseMainArgs(['--workspace', '/ws']), { projectDir: undefined, workspaceDir: '/ws' });
  assert.deepEqual(sec.parseMainArgs(['--workspace=/ws', '/p', '--inspect']), { projectDir: '/p', workspaceDir: '/ws' });
});
