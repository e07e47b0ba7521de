// The preset's whole-image vs tiling choice on synthetic mask statistics, the statistics measured
// on synthetic masks, and the choice reaching the training config through chooseTrainingPreset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseTiling } from '../../app/finetune/tilingPreset.js';
import { defectExtents, maskStatistics, type MaskStatistics } from '../../app/dataset/maskStatistics.js';
import { chooseTrainingPreset, presetOverrides } from '../../app/finetune/hardwarePreset.js';
import { resolveTrainConfig } from '../../app/engine/trainConfig.js';

const stats = (w: number, h: number, area: number | null, extent: number | null): MaskStatistics => ({ images: 20, medianWidth: w, medianHeight: h, medianDefectAreaFraction: area, smallestDefectExtent: extent });

test('small images with large defects: whole image; reasons say why', () => {
  const c = chooseTiling(224, stats(200, 200, 0.2, 30));
  assert.equal(c.mode, 'whole');
  assert.equal(c.overrides.tileSize, 0);
  assert.match(c.reasons.join('\n'), /fit about one input/);
  assert.equal(chooseTiling(224, null).mode, 'whole');
});

test('large images with hairline defects: tiles at native resolution, imbalance weighting on', () => {
  const c = chooseTiling(224, stats(4000, 3000, 0.003, 3));
  assert.equal(c.mode, 'tiles');
  assert.deepEqual([c.overrides.tileSize, c.overrides.tileScale, c.overrides.tileOverlap, c.overrides.classWeighting, c.overrides.dicePresentOnly], [224, 1, 28, 'frequency', true]);
  assert.match(c.reasons.join('\n'), /3 px across would shrink to 0\.2 px/);
});

test('large images with medium defects: tiles at a coarser scale; big defects: whole image', () => {
  const c = chooseTiling(224, stats(4000, 3000, 0.004, 30));
  assert.equal(c.mode, 'tiles');
  assert.equal(c.overrides.tileScale, 0.5);
  assert.equal(chooseTiling(224, stats(800, 800, 0.1, 200)).mode, 'whole');
  // NEU-Seg ×4 (800 px, defects ~ 8–40 px): resizing to 224 would leave under 8 px → tiles.
  assert.equal(chooseTiling(224, stats(800, 800, 0.03, 12)).mode, 'tiles');
  // A scale that already brings the image to one tile: whole image.
  assert.equal(chooseTiling(224, stats(400, 400, 0.004, 60)).mode, 'whole');
  assert.equal(chooseTiling(224, stats(4000, 3000, 0.004, 3), 'whole').mode, 'whole');
  assert.equal(chooseTiling(224, stats(200, 200, 0.2, 30), 'tiles').mode, 'tiles');
});

test('mask statistics: area fraction and the narrow side of defect regions', () => {
  const W = 100;
  const m = new Uint8Array(W * 50);
  for (let y = 10; y < 13; y++) m.fill(1, y * W + 10, y * W + 60); // 3 × 50 scratch
  for (let y = 30; y < 40; y++) m.fill(2, y * W + 70, y * W + 80); // 10 × 10 patch
  m[45 * W + 5] = 1; // one stray pixel (ignored)
  assert.deepEqual(defectExtents(m, W, 50).sort((a, b) => a - b), [3, 10]);
  const s = maskStatistics([{ width: W, height: 50, mask: m }, { width: W, height: 50, mask: new Uint8Array(W * 50) }])!;
  assert.equal(s.smallestDefectExtent, 3);
  assert.ok(Math.abs(s.medianDefectAreaFraction! - 251 / 5000) < 1e-9);
});

test('the one-click preset carries the tiling choice into the training config', () => {
  const p = chooseTrainingPreset({ backend: 'wasm', device: null, cores: 2, memoryBytes: 8e9, gpuMemoryBytes: null }, { trainImages: 30, valImages: 0, medianLongSide: 4000, masks: stats(4000, 3000, 0.003, 3) }, { models: [] });
  assert.equal(p.tiling.mode, 'tiles');
  const cfg = resolveTrainConfig(presetOverrides(p));
  assert.equal(cfg.tileSize, cfg.inputSize);
  assert.equal(cfg.classWeighting, 'frequency');
  assert.ok(p.reasons.some((r) => r.startsWith('tiles of')));
});

test('pasam train: the automatic choice applies with --preset tiny unless --tiling or the config file decides', async () => {
  const { buildTrainConfig } = await import('../../app/cli/commands/train.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const large = stats(4000, 3000, 0.003, 3);
  assert.equal(buildTrainConfig({ preset: 'tiny' }, large).tileSize, 224);
  assert.equal(buildTrainConfig({ preset: 'tiny', tiling: 'whole' }, large).tileSize, 0);
  assert.equal(buildTrainConfig({ preset: 'tiny', tiling: 'tiles', size: '256' }, stats(200, 200, 0.2, 30)).tileSize, 256);
  const file = join(mkdtempSync(join(tmpdir(), 'pasam-cfg-')), 'c.json');
  writeFileSync(file, JSON.stringify({ tileSize: 0, classWeighting: 'none' }));
  assert.equal(buildTrainConfig({ preset: 'tiny', config: file }, large).tileSize, 0);
  assert.throws(() => buildTrainConfig({ preset: 'tiny', config: file, tiling: 'tiles' }, large), /disagree/);
  assert.throws(() => buildTrainConfig({ preset: 'tiny', tiling: 'maybe' }, large), /--tiling must be/);
});
