// The defect-aware crop sampler: the defect share is honoured, the draw is deterministic in its
// seed, rare classes are oversampled relative to their pixel share, defect-free images still get
// random crops; plus the frequency class weights and the tiled training views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCropIndex, chooseCrops, type LabelledImage } from '../../app/engine/cropSampler.js';
import { classFrequencies, classWeightsFromFrequencies, CLASS_WEIGHT_CLIP, lossOptionsFor, sampledCropLabels } from '../../app/engine/classBalance.js';
import { trainBatchViews, type RunData, type Sample } from '../../app/engine/dataPipeline.js';
import { resolveTrainConfig, validateTrainConfig, defaultTrainConfig, TrainConfigError, type TrainConfig } from '../../app/engine/trainConfig.js';

/** 10 images of 300×200: images 0–5 have a big class-1 blob, image 6 a 3×3 class-2 pit, 7–9 are defect-free. */
function dataset(): LabelledImage[] {
  const W = 300;
  const H = 200;
  return Array.from({ length: 10 }, (_, i) => {
    const label = new Uint8Array(W * H);
    if (i < 6) for (let y = 50; y < 150; y++) label.fill(1, y * W + 20 + i * 10, y * W + 120 + i * 10);
    if (i === 6) for (let y = 180; y < 183; y++) label.fill(2, y * W + 290, y * W + 293);
    return { resized: { width: W, height: H }, resizedLabel: label };
  });
}

function draw(images: LabelledImage[], share: number, seeds: number): ReturnType<typeof chooseCrops> {
  const idx = buildCropIndex(images);
  const out: ReturnType<typeof chooseCrops> = [];
  for (let s = 0; s < seeds; s++) out.push(...chooseCrops(idx, images, images.slice(0, 4).concat(images.slice(7)), { tile: 64, defectShare: share }, 1000 + s));
  return out;
}

test('defect share honoured, crops centred on their class and inside the image', () => {
  const images = dataset();
  for (const share of [0, 0.5, 1]) {
    const crops = draw(images, share, 200);
    const centred = crops.filter((c) => c.centredOn !== null).length / crops.length;
    assert.ok(Math.abs(centred - share) < 0.05, `share ${share}: ${centred}`);
    for (const c of crops) {
      const img = images[c.sample]!;
      assert.ok(c.rect.x >= 0 && c.rect.y >= 0 && c.rect.x + c.rect.w <= 300 && c.rect.y + c.rect.h <= 200 && c.rect.w === 64 && c.rect.h === 64);
      if (c.centredOn !== null) {
        let hit = false;
        for (let y = c.rect.y; y < c.rect.y + c.rect.h && !hit; y++) for (let x = c.rect.x; x < c.rect.x + c.rect.w; x++) if (img.resizedLabel[y * 300 + x] === c.centredOn) hit = true;
        assert.ok(hit, 'a defect crop contains its class');
      }
    }
  }
});

test('rare classes oversampled; defect-free images still get random crops; deterministic', () => {
  const images = dataset();
  const crops = draw(images, 0.5, 300);
  const onRare = crops.filter((c) => c.centredOn === 2).length;
  const onCommon = crops.filter((c) => c.centredOn === 1).length;
  // Class 2 has 9 pixels against 60 000 of class 1, yet gets about as many crops.
  assert.ok(onRare > 0.7 * onCommon, `rare ${onRare} vs common ${onCommon}`);
  const freq = classFrequencies(images.map((i) => i.resizedLabel), 3);
  assert.ok(onRare / crops.length > 100 * freq[2]!);
  assert.ok(crops.some((c) => c.centredOn === null && c.sample >= 7), 'defect-free images are cropped too');
  assert.deepEqual(draw(images, 0.5, 3), draw(images, 0.5, 3));
  assert.notDeepEqual(draw(images, 0.5, 3).map((c) => c.rect), chooseCrops(buildCropIndex(images), images, images.slice(0, 4).concat(images.slice(7)), { tile: 64, defectShare: 0.5 }, 999).map((c) => c.rect));
});

test('median-frequency class weights, clipped', () => {
  const w = classWeightsFromFrequencies([0.9, 0.09, 0.00001, 0]);
  assert.equal(w[3], 1, 'an absent class keeps weight 1');
  assert.equal(w[2], CLASS_WEIGHT_CLIP[1]);
  assert.ok(w[0]! < 1 && w[0]! >= CLASS_WEIGHT_CLIP[0]);
  assert.equal(w[1], 1);
});

test('a tiled run weights classes by the crops it trains on, not by the whole images', () => {
  const images = dataset();
  const whole = classFrequencies(images.map((i) => i.resizedLabel), 3);
  const crops = sampledCropLabels(images, 64, 0.5);
  assert.equal(crops.length, 8 * images.length);
  const cropped = classFrequencies(crops, 3);
  // Defect-centred crops raise the defect share several-fold (and the 9-pixel pit's far more).
  assert.ok(cropped[1]! > 2 * whole[1]!, `class 1: ${cropped[1]} in crops vs ${whole[1]} in whole images`);
  assert.ok(cropped[2]! > 10 * whole[2]!);
  const tiled = lossOptionsFor(resolveTrainConfig({ inputSize: 64, tileSize: 64, defectCropShare: 0.5, classWeighting: 'frequency' }), images, 3).classWeights!;
  const resized = lossOptionsFor(resolveTrainConfig({ inputSize: 64, classWeighting: 'frequency' }), images, 3).classWeights!;
  assert.deepEqual(tiled, classWeightsFromFrequencies(cropped));
  assert.deepEqual(resized, classWeightsFromFrequencies(whole));
  assert.ok(tiled[0]! > resized[0]!, `background weight ${tiled[0]} (crops) vs ${resized[0]} (whole images)`);
  assert.deepEqual(sampledCropLabels(images, 64, 0.5), crops, 'a fixed draw: a resume recomputes the same weights');
});

function sample(img: LabelledImage, i: number): Sample {
  const rgb = new Uint8Array(img.resized.width * img.resized.height * 3).map((_, k) => (k * 7 + i) % 251);
  return { imageId: i, maskVersionId: i, name: `i${i}`, width: img.resized.width, height: img.resized.height, resized: { data: rgb, width: img.resized.width, height: img.resized.height }, label: img.resizedLabel, resizedLabel: img.resizedLabel, tiling: { tile: 64, overlap: 16, scale: 1 } };
}

test('tiled training views: S×S crops, reproducible from the seed; whole-image configs unchanged', () => {
  const train = dataset().map(sample);
  const data: RunData = { train, val: train, valSource: 'train', used: [] };
  const cfg: TrainConfig = resolveTrainConfig({ inputSize: 64, tileSize: 64, tileOverlap: 16, defectCropShare: 0.5 });
  const a = trainBatchViews(data, train.slice(0, 4), cfg, 5);
  const b = trainBatchViews(data, train.slice(0, 4), cfg, 5);
  assert.deepEqual(a, b);
  for (const v of a) assert.ok(v.resized.width === 64 && v.resized.height === 64 && v.resizedLabel.length === 64 * 64);
  const whole = trainBatchViews(data, train.slice(0, 2), resolveTrainConfig({ inputSize: 64 }), 5);
  assert.equal(whole[0]!.resized.width, 300);
});

test('config: tiling settings validated with clear errors; an old config loads as whole-image', () => {
  assert.throws(() => resolveTrainConfig({ inputSize: 64, tileSize: 128 }), (e: Error) => e instanceof TrainConfigError && /tileSize.*equal inputSize/.test(e.message));
  assert.throws(() => resolveTrainConfig({ inputSize: 64, tileSize: 64, tileOverlap: 40 }), /tileOverlap.*half the tile/);
  assert.throws(() => resolveTrainConfig({ tileScale: 0 }), /tileScale/);
  assert.throws(() => resolveTrainConfig({ classWeighting: 'inverse' }), /'none', 'frequency'/);
  const old = defaultTrainConfig() as unknown as Record<string, unknown>;
  for (const k of ['tileSize', 'tileOverlap', 'tileScale', 'defectCropShare', 'classWeighting', 'focalGamma', 'dicePresentOnly']) delete old[k];
  const loaded = validateTrainConfig(old as unknown as TrainConfig);
  assert.equal(loaded.tileSize, 0);
  assert.equal(loaded.classWeighting, 'none');
  // A tiled base follows a new input size.
  assert.equal(resolveTrainConfig({ inputSize: 128 }, resolveTrainConfig({ inputSize: 64, tileSize: 64 })).tileSize, 128);
});
