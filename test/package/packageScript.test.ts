// The parts of `npm run package` (scripts/package.mjs) that decide what ships and what an offline
// failure says, checked without running electron-builder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { electronVersion, explainFetchFailure, packagesOnlyFor } from '../../scripts/package.mjs';
import { PROJECT_ROOT } from '../helpers/cli.js';

const offline = Object.assign(new Error('getaddrinfo ENOTFOUND github.com'), { code: 'ENOTFOUND' });

test('an offline failure names what could not be fetched, per packaging stage', () => {
  const version = electronVersion();
  assert.match(version, /^\d+\.\d+\.\d+/);
  const electron = explainFetchFailure(offline, 'electron', version)!;
  assert.match(electron, new RegExp(`could not download the Electron runtime electron-v${version.replace(/\./g, '\\.')}-${process.platform}-${process.arch}\\.zip`));
  assert.match(electron, /getaddrinfo ENOTFOUND github\.com/);
  assert.match(electron, /--electron-dist/);
  // node-gyp prints the network error itself; its thrown error only says the rebuild failed.
  const rebuild = explainFetchFailure(new Error("node-gyp failed to rebuild '/x/node_modules/better-sqlite3'"), 'rebuild', version)!;
  assert.match(rebuild, new RegExp(`headers \\(https://www\\.electronjs\\.org/headers/v${version.replace(/\./g, '\\.')}/\\)`));
  assert.match(rebuild, /better-sqlite3/);
  assert.match(explainFetchFailure(offline, 'installer', version)!, /installer tool .* --dir/s);
  // Not a download problem: left to the caller to report as it is.
  assert.equal(explainFetchFailure(new Error("Cannot find module 'x'"), 'packing', version), undefined);
  assert.equal(explainFetchFailure(new Error('EACCES: permission denied'), 'electron', version), undefined);
});

test('what is left out of the package: the optional native tfjs backends, electron and install-time helpers, never a runtime dependency', () => {
  const dropped = packagesOnlyFor();
  for (const runtime of ['better-sqlite3', 'bindings', 'file-uri-to-path', 'onnxruntime-node', 'onnxruntime-common', 'sharp', 'detect-libc', 'semver', '@img/colour']) {
    assert.ok(!dropped.includes(`node_modules/${runtime}`), `${runtime} is needed at run time`);
  }
  for (const gone of ['prebuild-install', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    if (existsSync(join(PROJECT_ROOT, 'node_modules', gone))) assert.ok(dropped.includes(`node_modules/${gone}`), `${gone} is left out`);
  }
  assert.ok(dropped.every((p) => p.startsWith('node_modules/')));
});
