// The preset's calibration: real training steps of the tiny preset on the engine chosen now,
// cached per (model, S, batch, engine, provider, cores) — a second look reads the cache.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../app/tensor/backend.js';
import { cachedCalibration, calibrateTraining } from '../../app/finetune/trainCalibration.js';
import { chooseTrainEngine } from '../../app/finetune/trainEngineChoice.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

test('calibration measures a few steps of the chosen engine and caches them', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pasam-calib-')), 'calibration.json');
  const key = { model: 'preset:tiny', sha256: null, inputSize: 32, batchSize: 2 };
  const choice = await chooseTrainEngine();
  assert.equal(cachedCalibration(file, key, choice), null);
  const c = await calibrateTraining(file, key, 4, 2);
  assert.equal(c.engine, choice.engine);
  assert.equal(c.executionProvider, choice.executionProvider);
  assert.ok(c.secondsPerStep > 0 && c.secondsPerStep < 60, `${c.secondsPerStep} s per step`);
  assert.ok(c.secondsPerForward > 0 && c.secondsPerForward <= c.secondsPerStep * 5);
  assert.ok(existsSync(file));
  assert.deepEqual(cachedCalibration(file, key, choice), c);
  // A second call reads the cache (same measurement, not a new one).
  assert.deepEqual(await calibrateTraining(file, key, 4, 2), c);
  assert.equal(cachedCalibration(file, { ...key, inputSize: 64 }, choice), null);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] }).entries.length, 1);
});
