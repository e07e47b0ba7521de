// `pasam desktop` (npm start) without an Electron binary says so and serves the UI on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PASAM_BIN } from '../helpers/cli.js';
import { findElectronBinary } from '../../app/cli/commands/desktop.js';
import { tempDir } from './helpers/fixture.js';

const electron = findElectronBinary();
const skip = 'path' in electron ? 'an Electron binary exists here, so desktop launches it (covered by electron.test.ts)' : undefined;

test('without Electron, pasam desktop prints why and the loopback URL, and the URL answers', { skip }, async () => {
  const proc = spawn(process.execPath, [PASAM_BIN, 'desktop', '--workspace', tempDir('desk')], { env: { ...process.env, PASAM_HOME: tempDir('desk-home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout }).once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const url = new URL(line);
    assert.equal(url.hostname, '127.0.0.1');
    const res = await fetch(`${url.origin}/api/host.info`, { method: 'POST', headers: { Authorization: `Bearer ${url.searchParams.get('token')}`, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(err, /no Electron binary available \(the electron package is not installed\)/);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});
