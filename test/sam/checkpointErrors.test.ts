// Bad checkpoints give clear errors naming the file and the problem, and leave the library as it was.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointValidationError, importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { listModels, modelsRoot } from '../../app/model/library.js';
import { loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
const tmp = useTempPasamHome('pasam-ckpt-');
let dir: string;

before(() => {
  fx = loadFixture();
  dir = tmp.dir;
});

function truncatedCopy(src: string, name: string, fraction: number): string {
  const bytes = readFileSync(src);
  const out = join(dir, name);
  writeFileSync(out, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return out;
}

function libraryIsEmpty(): void {
  assert.equal(existsSync(modelsRoot()) ? readdirSync(modelsRoot()).length : 0, 0, 'nothing is left in the library');
}

test('a truncated .pth is rejected as truncated, naming the file', async () => {
  for (const fraction of [0.5, 0.999]) {
    const file = truncatedCopy(join(fx.dir, fx.manifest.checkpoints.pth), `cut-${fraction}.pth`, fraction);
    await assert.rejects(importCheckpoint(file, { config: fx.config }), (err: Error) => {
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, /truncated/);
      return true;
    });
  }
  libraryIsEmpty();
});

test('a truncated .safetensors is rejected as truncated', async () => {
  const file = truncatedCopy(join(fx.dir, fx.manifest.checkpoints.safetensors_official_names), 'cut.safetensors', 0.7);
  await assert.rejects(importCheckpoint(file, { config: fx.config }), /cut\.safetensors.*truncated/s);
  libraryIsEmpty();
});

test('files that are no checkpoint are rejected clearly', async () => {
  const png = join(dir, 'image.png');
  copyFileSync(join(fx.dir, fx.manifest.image), png);
  await assert.rejects(importCheckpoint(png, { config: fx.config }), (err: Error) => {
    assert.ok(err.message.includes(png));
    assert.match(err.message, /neither a PyTorch zip checkpoint nor a safetensors file/);
    return true;
  });
  const text = join(dir, 'notes.pth');
  writeFileSync(text, 'these are not weights\n');
  await assert.rejects(importCheckpoint(text, { config: fx.config }), /notes\.pth: neither a PyTorch zip checkpoint nor a safetensors file/);
  const missing = join(dir, 'nope.pth');
  await assert.rejects(importCheckpoint(missing, { config: fx.config }), /nope\.pth: cannot open/);
  libraryIsEmpty();
});

test('a wrong preset lists every mis-shaped and missing tensor by name', async () => {
  const file = join(fx.dir, fx.manifest.checkpoints.pth);
  await assert.rejects(importCheckpoint(file, { preset: 'vit_b' }), (err: unknown) => {
    assert.ok(err instanceof CheckpointValidationError);
    assert.match(err.message, /does not fit preset vit_b/);
    assert.match(err.message, /image_encoder\.patch_embed\.proj\.weight: expected \[768, 3, 16, 16\], found \[48, 3, 16, 16\]/);
    const mis = err.report.misShaped.map((m) => m.name);
    assert.ok(mis.includes('mask_decoder.iou_prediction_head.layers.2.weight'));
    assert.ok(err.report.missing.includes('image_encoder.blocks.11.attn.qkv.weight'), 'vit_b has 12 blocks, the file 4');
    assert.equal(err.report.unexpected.length, 0);
    return true;
  });
  await assert.rejects(importCheckpoint(file, { preset: 'auto' }), /matches none of the presets/);
  libraryIsEmpty();
});

test('renamed and dropped tensors are reported as unexpected and missing', async () => {
  // Rewrite the safetensors header: rename one tensor, drop another.
  const src = readFileSync(join(fx.dir, fx.manifest.checkpoints.safetensors_hf_names));
  const n = Number(src.readBigUInt64LE(0));
  const header = JSON.parse(src.subarray(8, 8 + n).toString('utf8'));
  header['mask_decoder.iou_token.renamed'] = header['mask_decoder.iou_token.weight'];
  delete header['mask_decoder.iou_token.weight'];
  delete header['vision_encoder.neck.conv2.weight'];
  const hb = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  const file = join(dir, 'edited.safetensors');
  writeFileSync(file, Buffer.concat([len, hb, src.subarray(8 + n)]));
  await assert.rejects(importCheckpoint(file, { config: fx.config }), (err: unknown) => {
    assert.ok(err instanceof CheckpointValidationError);
    assert.deepEqual(err.report.unexpected, ['mask_decoder.iou_token.renamed']);
    assert.deepEqual(err.report.missing.sort(), ['image_encoder.neck.2.weight', 'mask_decoder.iou_token.weight']);
    assert.match(err.message, /missing tensors \(2\)/);
    return true;
  });
  libraryIsEmpty();
});

test('an existing model is not overwritten unless asked', async () => {
  const file = join(fx.dir, fx.manifest.checkpoints.pth);
  await importCheckpoint(file, { name: 'keep', config: fx.config });
  await assert.rejects(importCheckpoint(file, { name: 'keep', config: fx.config }), /already exists/);
  const again = await importCheckpoint(file, { name: 'keep', config: fx.config, overwrite: true });
  assert.equal(again.manifest.name, 'keep');
  assert.deepEqual((await listModels()).map((m) => m.name), ['keep']);
  rmSync(modelsRoot(), { recursive: true });
});
