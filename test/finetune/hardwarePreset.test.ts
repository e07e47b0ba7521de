// The one-click preset as a pure function of the machine, the data and the model library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseTrainingPreset, cpuSamCandidate, MAX_CPU_RUN_SECONDS, preferredCpuBase, presetOverrides, projectRunSeconds, type HardwareFacts, type MeasuredSpeed } from '../../app/finetune/hardwarePreset.js';
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

const cpuOrt: HardwareFacts = { ...wasm, trainEngine: { engine: 'ort', executionProvider: 'cpu' } };
const speed = (secondsPerStep: number, inputSize: number, batchSize: number): MeasuredSpeed => ({ inputSize, batchSize, secondsPerStep, secondsPerForward: secondsPerStep / 3, steps: 3, engine: 'ort', executionProvider: 'cpu' });

test('a CPU machine on ONNX Runtime fine-tunes vit_b when the measured projection fits, showing the rule', () => {
  const data = { trainImages: 40, valImages: 10, medianLongSide: 200 };
  const cand = cpuSamCandidate(data);
  assert.deepEqual(cand, { inputSize: 208, batchSize: 2, accumulationSteps: 2 });
  const measured = speed(1.2, cand.inputSize, cand.batchSize);
  const p = chooseTrainingPreset(cpuOrt, data, vitB, { vitB: measured });
  assert.deepEqual(p.model, { base: 'sam-vit-b', preset: null });
  assert.deepEqual([p.inputSize, p.batchSize, p.accumulationSteps], [208, 2, 2]);
  // 40 / (2·2) = 10 steps per epoch → 30 epochs; each: 20 steps × 1.2 s + 5 validation passes × 0.4 s.
  assert.equal(p.epochs, 30);
  assert.equal(p.estimatedSeconds, Math.round(30 * (20 * 1.2 + 5 * 0.4)));
  assert.equal(p.estimatedSeconds, Math.round(projectRunSeconds(measured, 40, 10, 30)));
  assert.match(p.reasons.join('\n'), /estimated duration ≈ 13 min = 30 epochs × \(20 steps × 1\.20 s \+ 5 validation passes × 0\.40 s\), measured on this machine \(3 steps on ONNX Runtime cpu at S=208, batch 2\)/);
  // Without a measurement, or on tfjs, the CPU machine keeps the tiny preset.
  assert.equal(chooseTrainingPreset(cpuOrt, data, vitB).model.base, null);
  assert.equal(chooseTrainingPreset(wasm, data, vitB, { vitB: measured }).model.base, null);
});

test('vit_b measured too slow for a one-click run: tiny, saying how long vit_b would take; tiny uses its own measurement', () => {
  const data = { trainImages: 400, valImages: 40, medianLongSide: 200 };
  const p = chooseTrainingPreset(cpuOrt, data, vitB, { vitB: speed(10, 208, 2), tiny: speed(0.1, 208, 4) });
  assert.equal(p.model.base, null);
  assert.ok(projectRunSeconds(speed(10, 208, 2), 400, 40, 5) > MAX_CPU_RUN_SECONDS);
  assert.match(p.reasons[0]!, /'sam-vit-b' \(vit_b\) would take ≈ [\d.]+ h here .* over the 2\.0 h a one-click run may take/);
  // tiny at S=208 batch 4: 100 steps per epoch → 5 epochs × (100 × 0.1 s + 10 × 0.033 s).
  assert.equal(p.estimatedSeconds, Math.round(5 * (100 * 0.1 + 10 * (0.1 / 3))));
  assert.match(p.reasons.join('\n'), /measured on this machine \(3 steps on ONNX Runtime cpu at S=208, batch 4\)/);
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
