import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';

test('doctor reports the backend it selected and why better ones were skipped', () => {
  const r = runCli(['doctor', '--json'], { PASAM_BACKEND: '' });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const attempts: { name: string; ok: boolean; reason?: string }[] = report.backend.attempts;
  assert.equal(attempts.at(-1)!.ok, true);
  assert.equal(attempts.at(-1)!.name, report.backend.name);
  for (const a of attempts.slice(0, -1)) assert.match(a.reason!, /\S/);
  assert.deepEqual(
    attempts.map((a) => a.name),
    ['gpu', 'node', 'wasm', 'cpu'].slice(0, attempts.length),
    'backends are tried in order gpu → node → wasm → cpu',
  );
  assert.ok(report.cpu.cores >= 1);
});

test('PASAM_BACKEND forces a backend', () => {
  for (const forced of ['cpu', 'wasm']) {
    const r = runCli(['doctor', '--json'], { PASAM_BACKEND: forced });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.backend.name, forced);
    assert.equal(report.backend.forced, true);
    assert.equal(report.backend.attempts.length, 1);
  }
});

test('an unknown PASAM_BACKEND is an error that names the value', () => {
  const r = runCli(['doctor'], { PASAM_BACKEND: 'tpu' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PASAM_BACKEND=tpu/);
});

test('CLI usage errors exit 2 and --help exits 0', () => {
  assert.equal(runCli(['no-such-command']).code, 2);
  assert.equal(runCli(['doctor', '--bogus']).code, 2);
  const help = runCli(['doctor', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /pasam doctor/);
});
