// The one-click preset as a pure function of the machine, the data and the model library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseTrainingPreset, preferredCpuBase, presetOverrides, type HardwareFacts } from '../../app/finetune/hardwarePreset.js';
import { resolveTrainConfig } from '../../app/engine/trainConfig.js';

const GIB = 1024 ** 3;
const wasm: HardwareFacts = { backend: 'wasm', device: null, cores: 2, memoryBytes: 24 * GIB, gpuMemoryBytes: null };
const gpu = (mem: number | null): HardwareFacts => ({ backend: 'gpu', device: 'NVIDIA H200', cores: 16, memoryBytes: 128 * GIB, gpuMemoryBytes: mem === null ? null : mem * GIB });
const neu = { trainImages: 3630, valImages: 0, medianLongSide: 200 };
const vitB = { models: [{ name: 'sam-vit-b', preset: 'vit_b' }, { name: 'sam-tiny', preset: null }] };

test('wasm without vit_b: tiny from scratch, S from the image size, an estimate of the duration', () => {
  const p = chooseTrainingPreset(wasm, neu, { models: [] });
  assert.deepEqual(p.model, { base: null, preset: 'tiny' });
  assert.equal(p.inputSize, 208, '200 px rounded up to a multiple of 16');
  assert.equal(p.batchSize, 4);
  assert.equal(p.accumulationSteps, 1);
  // 3630 / 4 = 908 steps per epoch: already beyond 300 steps, so the floor of 5 epochs.
  assert.equal(p.epochs, 5);
  assert.ok(p.estimatedSeconds !== null && p.estimatedSeconds > 0);
  assert.match(p.reasons.join('\n'), /no SAM vit_b in the model library/);
  assert.equal(p.label, 'tiny from scratch · S=208 · batch 4 · 5 epochs');
  // The preset is a valid training config.
  const c = resolveTrainConfig(presetOverrides(p));
  assert.equal(c.inputSize, 208);
});

test('wasm with vit_b imported still trains tiny (and says why); large images are capped at 256', () => {
  const p = chooseTrainingPreset(wasm, { trainImages: 40, valImages: 10, medianLongSide: 2448 }, vitB);
  assert.equal(p.model.base, null);
  assert.match(p.reasons[0]!, /'sam-vit-b' \(vit_b\) is imported, but the wasm backend/);
  assert.equal(p.inputSize, 256);
  // 40 images / batch 4 = 10 steps per epoch → 30 epochs for ≈ 300 steps.
  assert.equal(p.epochs, 30);
});

test('a GPU with vit_b: vit_b at S = 1024 with 16+ GiB, batch sized to memory; 512 with less or unknown memory', () => {
  const big = chooseTrainingPreset(gpu(141), { trainImages: 500, valImages: 50, medianLongSide: 2048 }, vitB);
  assert.deepEqual(big.model, { base: 'sam-vit-b', preset: null });
  assert.equal(big.inputSize, 1024);
  assert.equal(big.batchSize, 8);
  assert.equal(big.estimatedSeconds, null);
  const small = chooseTrainingPreset(gpu(6), { trainImages: 500, valImages: 50, medianLongSide: 2048 }, vitB);
  assert.equal(small.inputSize, 512);
  // 6 GiB · 0.6 / 0.75 GiB per image = 4.8 → 4
  assert.equal(small.batchSize, 4);
  const unknown = chooseTrainingPreset(gpu(null), { trainImages: 500, valImages: 0, medianLongSide: 2048 }, vitB);
  assert.equal(unknown.inputSize, 512);
  assert.match(unknown.reasons.join('\n'), /GPU memory unknown \(assumed 8 GiB\)/);
  const c = resolveTrainConfig(presetOverrides(big));
  assert.equal(c.model.base, 'sam-vit-b');
});

test('native CPU with vit_b: vit_b at S ≤ 512, batch 1 with 4 accumulated steps; tiny images never below S = 64', () => {
  const p = chooseTrainingPreset({ backend: 'node', device: null, cores: 8, memoryBytes: 32 * GIB, gpuMemoryBytes: null }, { trainImages: 12, valImages: 0, medianLongSide: 900 }, vitB);
  assert.equal(p.model.base, 'sam-vit-b');
  assert.equal(p.inputSize, 512);
  assert.equal(p.batchSize, 1);
  assert.equal(p.accumulationSteps, 4);
  assert.equal(p.epochs, 50, '12 images → 3 steps per epoch; capped at 50 epochs');
  const tiny = chooseTrainingPreset(wasm, { trainImages: 0, valImages: 0, medianLongSide: null }, { models: [] });
  assert.equal(tiny.inputSize, 256, 'no data yet: the backend cap');
  const thumbs = chooseTrainingPreset(wasm, { trainImages: 8, valImages: 0, medianLongSide: 28 }, { models: [] });
  assert.equal(thumbs.inputSize, 64);
});

test('CPU-only stations prefer an imported MobileSAM over tiny and vit_b; a GPU keeps vit_b', () => {
  const both = { models: [{ name: 'sam-b', preset: 'vit_b' }, { name: 'mobile', preset: 'mobile_sam' }] };
  const data = { trainImages: 40, valImages: 10, medianLongSide: 200 };
  for (const hw of [wasm, { backend: 'node' as const, device: null, cores: 8, memoryBytes: 32 * GIB, gpuMemoryBytes: null }]) {
    const p = chooseTrainingPreset(hw, data, both);
    assert.deepEqual(p.model, { base: 'mobile', preset: null });
    assert.equal(p.reasons.filter((r) => r.startsWith('base model')).length, 1);
    assert.match(p.reasons[0]!, /'mobile' \(MobileSAM/);
    assert.equal(p.estimatedSeconds, null);
  }
  assert.equal(chooseTrainingPreset(gpu(141), data, both).model.base, 'sam-b');
  assert.equal(preferredCpuBase(wasm, vitB.models), null);
});
