// Kill-and-resume: `pasam train` is SIGKILLed (no chance to clean up) right after its first
// checkpoint; `pasam train --resume` continues from the saved step and finishes, and the final
// weights and optimiser state are bit-identical to an uninterrupted run with the same seed (the
// data order and augmentation are functions of (seed, epoch, batch), the weights and AdamW moments
// are restored exactly, and the wasm kernels are deterministic).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { checkpointDir, readCheckpoint, readCheckpointMeta } from '../../app/engine/runCheckpoint.js';
import { PASAM_BIN, runCli } from '../helpers/cli.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR, trainInProcess } from '../helpers/engineTestUtils.js';
import type { TrainConfig } from '../../app/engine/trainConfig.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

const SETTINGS = { epochs: 5, batchSize: 1, learningRate: 2e-3, valFraction: 0, checkpointEverySteps: 1, seed: 11 };

test('a SIGKILLed run resumes from its last checkpoint and ends exactly where an uninterrupted run ends', async () => {
  const dir = await makeNeuProject(MIXED_FOUR);
  const cfgFile = join(mkdtempSync(join(tmpdir(), 'pasam-resume-')), 'cfg.json');
  writeFileSync(cfgFile, JSON.stringify(SETTINGS));
  const child = spawn(process.execPath, [PASAM_BIN, 'train', dir, '--preset', 'tiny', '--size', '32', '--config', cfgFile], { stdio: 'ignore', env: process.env });
  const lastJson = join(checkpointDir(dir, 1, 'last'), 'checkpoint.json');
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let finishedFirst = false;
  child.on('exit', () => (finishedFirst = true));
  while (!existsSync(lastJson) && !finishedFirst) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(lastJson), 'the run wrote a checkpoint before it was killed');
  const saved = readCheckpointMeta(checkpointDir(dir, 1, 'last')).position;
  const total = saved.totalSteps;
  assert.equal(total, 20);
  assert.ok(saved.step < total, `killed at step ${saved.step} of ${total}`);
  let store = ProjectStore.open(dir);
  assert.equal(store.getRun(1)!.status, 'running', 'a killed run is left as running');
  store.close();

  const r = runCli(['train', dir, '--resume', '1'], { PASAM_BACKEND: process.env.PASAM_BACKEND! }, 300_000);
  assert.equal(r.code, 0, r.stderr);
  const resumedAt = /resuming after epoch (\d+), step (\d+)/.exec(r.stdout);
  assert.ok(resumedAt, r.stdout);
  // The saved checkpoint may be one newer than the one read above (the kill can land after a later save).
  assert.ok(Number(resumedAt[2]) >= saved.step && Number(resumedAt[2]) < total);
  store = ProjectStore.open(dir);
  try {
    assert.equal(store.getRun(1)!.status, 'completed');
    assert.equal(store.listRunEpochs(1).length, 5);
  } finally {
    store.close();
  }

  // The reference trains with the killed run's own config (pasam train's automatic tiling choice included).
  store = ProjectStore.open(dir);
  const runConfig = store.getRun(1)!.config as unknown as TrainConfig;
  store.close();
  const reference = await trainInProcess(dir, config({ ...runConfig }));
  assert.equal(reference.status, 'completed', reference.error);
  for (const kind of ['last', 'best'] as const) {
    const a = readCheckpoint(checkpointDir(dir, 1, kind));
    const b = readCheckpoint(checkpointDir(dir, reference.runId, kind));
    assert.equal(a.meta.position.step, b.meta.position.step);
    assert.equal(a.meta.position.bestEpoch, b.meta.position.bestEpoch);
    assert.equal(a.model.size, b.model.size);
    for (const [name, t] of a.model) assert.deepEqual(t.data, b.model.get(name)!.data, `${kind}: tensor ${name} differs`);
    assert.equal(a.meta.dataSha256, b.meta.dataSha256, `${kind}: weights/optimiser state differ`);
  }
});
