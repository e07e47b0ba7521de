import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, readCheckpoint, readCheckpointMeta, writeCheckpoint, type HostTensor } from '../../app/engine/runCheckpoint.js';
import { defaultTrainConfig } from '../../app/engine/trainConfig.js';
import { initialPosition } from '../../app/engine/trainer.js';

function meta(step: number) {
  return { kind: 'last' as const, runId: 1, config: defaultTrainConfig(), base: { name: 'sam-tiny', sha256: 'ab'.repeat(32) }, numClasses: 4, position: { ...initialPosition(10), step }, metrics: null, optimizer: { kind: 'adamw', step } };
}
const f32 = (shape: number[], fill: (i: number) => number): HostTensor => ({ shape, dtype: 'float32', data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)) });

test('a checkpoint round-trips every tensor bit-exactly, with its config, base hash and position', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pasam-ck-')), 'last');
  const model = new Map([['decoder/w', f32([3, 5], (i) => Math.sin(i) * 1e-3)], ['lora/a', f32([7], (i) => -i / 3)]]);
  const opt = new Map([['m/decoder/w', f32([3, 5], (i) => i * 1e-9)]]);
  const written = writeCheckpoint(dir, meta(4), model, opt);
  const back = readCheckpoint(dir);
  assert.equal(back.meta.position.step, 4);
  assert.equal(back.meta.base?.sha256, 'ab'.repeat(32));
  assert.deepEqual(back.meta.config, defaultTrainConfig());
  assert.equal(back.meta.dataSha256, written.dataSha256);
  assert.deepEqual([...back.model.keys()], ['decoder/w', 'lora/a']);
  assert.deepEqual(back.model.get('decoder/w')!.data, model.get('decoder/w')!.data);
  assert.deepEqual(back.model.get('lora/a')!.shape, [7]);
  assert.deepEqual(back.optimizer.get('m/decoder/w')!.data, opt.get('m/decoder/w')!.data);
});

test('a write killed at any point leaves the previous checkpoint readable; damage is reported by file', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pasam-ck-')), 'last');
  writeCheckpoint(dir, meta(1), new Map([['w', f32([4], () => 1)]]), new Map());
  // A kill after the new binary was written but before checkpoint.json was replaced leaves an
  // unreferenced binary and a half-written temp JSON beside the intact old pair.
  writeFileSync(join(dir, 'tensors-zzz-999-killed.bin'), Buffer.alloc(8));
  writeFileSync(join(dir, '.checkpoint.json.zzz.tmp'), '{"format":"pasam-run-chec');
  const old = readCheckpoint(dir);
  assert.equal(old.meta.position.step, 1);
  assert.deepEqual([...old.model.get('w')!.data], [1, 1, 1, 1]);
  // The next successful write replaces it and sweeps the leftovers.
  writeCheckpoint(dir, meta(2), new Map([['w', f32([4], () => 2)]]), new Map());
  assert.equal(readCheckpoint(dir).meta.position.step, 2);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', readCheckpointMeta(dir).dataFile].sort());
  // Truncated or altered binary, broken JSON: clear errors naming the file.
  const bin = join(dir, readCheckpointMeta(dir).dataFile);
  truncateSync(bin, 6);
  assert.throws(() => readCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && e.message.includes(bin) && /truncated/.test(e.message));
  writeCheckpoint(dir, meta(3), new Map([['w', f32([4], () => 3)]]), new Map());
  const bin3 = join(dir, readCheckpointMeta(dir).dataFile);
  const bytes = readFileSync(bin3);
  bytes[0] ^= 1;
  writeFileSync(bin3, bytes);
  assert.throws(() => readCheckpoint(dir), /does not match its sha256/);
  writeFileSync(join(dir, 'checkpoint.json'), '{"format": "pasam-run-checkpoint", "version": 1, ');
  assert.throws(() => readCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && e.message.includes(join(dir, 'checkpoint.json')) && /not valid JSON/.test(e.message));
});
