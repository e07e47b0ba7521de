// The .pth reader against torch.save's real layout variety, and against the fixture's
// independently written .safetensors twin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../app/model/checkpoint/checkpointReader.js';
import { floatBytes, statePickle, writeTorchZip, type FakeStorage } from './torchZipWriter.js';
import { loadFixture } from '../helpers/samFixture.js';

function withTmp(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pasam-pth-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'shared storages, storage offsets and strided (transposed) views read as contiguous tensors',
  withTmp(async (dir) => {
    const storages: FakeStorage[] = [{ key: '0', cls: 'FloatStorage', numel: 12, bytes: floatBytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) }];
    const tensors = [
      { name: 'a', storageKey: '0', offset: 0, shape: [2, 3], stride: [3, 1] },
      { name: 'a_t', storageKey: '0', offset: 0, shape: [3, 2], stride: [1, 3] },
      { name: 'tail', storageKey: '0', offset: 6, shape: [4], stride: [1] },
      { name: 'every_other', storageKey: '0', offset: 1, shape: [2, 2], stride: [6, 2] },
    ];
    const file = join(dir, 'views.pth');
    writeTorchZip(file, 'archive', statePickle(tensors, storages), storages);
    const r = await openCheckpoint(file);
    try {
      assert.equal(r.format, 'pth');
      assert.deepEqual(r.tensors.map((t) => [t.name, t.shape]), tensors.map((t) => [t.name, t.shape]));
      assert.deepEqual(Array.from(await r.read('a')), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(Array.from(await r.read('a_t')), [0, 3, 1, 4, 2, 5]);
      assert.deepEqual(Array.from(await r.read('tail')), [6, 7, 8, 9]);
      assert.deepEqual(Array.from(await r.read('every_other')), [1, 3, 7, 9]);
    } finally {
      await r.close();
    }
  }),
);

test(
  'float16 and bfloat16 storages become float32; a {"model": state_dict} wrapper and any folder name are accepted',
  withTmp(async (dir) => {
    const half = Buffer.alloc(8);
    [0x3e00, 0xc080, 0x2e66, 0x7bff].forEach((h, i) => half.writeUInt16LE(h, i * 2)); // 1.5, -2.25, ≈0.1, 65504
    const bf = Buffer.alloc(6);
    [0x3fc0, 0xc010, 0x3dcd].forEach((h, i) => bf.writeUInt16LE(h, i * 2)); // 1.5, -2.25, ≈0.1
    const storages: FakeStorage[] = [
      { key: 'h', cls: 'HalfStorage', numel: 4, bytes: half },
      { key: 'b', cls: 'BFloat16Storage', numel: 3, bytes: bf },
    ];
    const tensors = [
      { name: 'w.half', storageKey: 'h', offset: 0, shape: [4], stride: [1] },
      { name: 'w.bf16', storageKey: 'b', offset: 1, shape: [2], stride: [1] },
    ];
    const file = join(dir, 'mixed.pth');
    writeTorchZip(file, 'my_checkpoint_v2', statePickle(tensors, storages, true), storages);
    const r = await openCheckpoint(file);
    try {
      const h = Array.from(await r.read('w.half'));
      assert.deepEqual([h[0], h[1], h[3]], [1.5, -2.25, 65504]);
      assert.ok(Math.abs(h[2] - 0.1) < 1e-4);
      const b = Array.from(await r.read('w.bf16'));
      assert.equal(b[0], -2.25);
      assert.ok(Math.abs(b[1] - 0.1) < 1e-3);
      assert.deepEqual(r.tensors.map((t) => t.dtype), ['float16', 'bfloat16']);
    } finally {
      await r.close();
    }
  }),
);

test('every tensor of the fixture .pth equals its .safetensors twin bit for bit', async () => {
  const fx = loadFixture();
  const pth = await openCheckpoint(join(fx.dir, fx.manifest.checkpoints.pth));
  const st = await openCheckpoint(join(fx.dir, fx.manifest.checkpoints.safetensors_official_names));
  try {
    assert.equal(st.format, 'safetensors');
    const names = pth.tensors.map((t) => t.name).sort();
    assert.deepEqual(names, st.tensors.map((t) => t.name).sort());
    for (const name of names) assert.deepEqual(await pth.read(name), await st.read(name), name);
  } finally {
    await pth.close();
    await st.close();
  }
});
