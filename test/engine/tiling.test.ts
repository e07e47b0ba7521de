// Tiled inference: the grid covers the image with at least the asked overlap, blending leaves no
// seams (constant probabilities → a constant map with the exact confidence), a model applied to an
// image that is exactly one tile gives its whole-image prediction, and a scaled tiling lands on
// the original resolution.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { blendWindow, TileBlender, tileGrid, tileStarts, tilingResolution, WINDOW_FLOOR } from '../../app/engine/tiling.js';
import { segmentTiledTf } from '../../app/engine/tiledInference.js';
import { predictClassMaps } from '../../app/engine/evaluate.js';
import { buildSegmenter } from '../../app/engine/modelFactory.js';
import { resolveTrainConfig } from '../../app/engine/trainConfig.js';
import type { SegmenterDescription, TrainableSegmenter } from '../../app/model/segmenterTypes.js';
import { Rng } from '../../app/tensor/random.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

test('tile starts cover the axis, end flush, and overlap at least as asked', () => {
  for (const [len, tile, ov] of [[1000, 224, 32], [224, 224, 32], [225, 224, 0], [100, 224, 32], [4000, 224, 56]] as const) {
    const s = tileStarts(len, tile, ov);
    assert.equal(s[0], 0);
    if (len > tile) {
      assert.equal(s.at(-1)! + tile, len);
      for (let i = 1; i < s.length; i++) assert.ok(s[i - 1]! + tile - s[i]! >= ov, `overlap ${s[i - 1]! + tile - s[i]!} < ${ov} for ${len}`);
    } else assert.deepEqual(s, [0]);
  }
  const w = blendWindow(64, 16);
  assert.ok(w[0]! >= WINDOW_FLOOR && w[0]! < 0.1 && w[32] === 1 && Math.abs(w[0]! - w[63]!) < 1e-7);
});

test('blending constant probabilities leaves no seam: a constant map with the exact confidence', () => {
  const probs = [0.2, 0.5, 0.3];
  for (const [W, H, tile, ov, scale] of [[300, 170, 64, 16, 1], [513, 257, 64, 31, 0.5], [40, 30, 64, 0, 1]] as const) {
    const sw = tilingResolution(W, H, { tile, overlap: ov, scale });
    const b = new TileBlender(W, H, sw.width, sw.height, 3, { tile, overlap: ov, scale });
    assert.ok(b.tiles.length >= 1);
    for (const t of b.tiles) {
      const r = b.region(t);
      const n = (r.x1 - r.x0) * (r.y1 - r.y0);
      const p = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) p.set(probs, i * 3);
      b.add(p);
    }
    const map = b.finish();
    assert.equal(map.length, W * H);
    assert.ok(map.every((v) => v === 1));
    assert.ok(Math.abs(b.confidence().meanConfidence - 0.5) < 1e-5, `confidence ${b.confidence().meanConfidence}`);
  }
});

test('overlapping tiles are weighted towards their centres (the blend switches mid-overlap)', () => {
  // Two tiles side by side; the left says class 0, the right class 1; the switch is in the middle of the overlap.
  const b = new TileBlender(112, 64, 112, 64, 2, { tile: 64, overlap: 16, scale: 1 });
  assert.deepEqual(b.tiles.map((t) => t.x), [0, 48]);
  for (const cls of [0, 1]) {
    const p = new Float32Array(64 * 64 * 2);
    for (let i = 0; i < 64 * 64; i++) p[i * 2 + cls] = 1;
    b.add(p);
  }
  const map = b.finish();
  const row = Array.from(map.subarray(0, 112));
  assert.equal(row.indexOf(1), 56);
  assert.ok(row.slice(56).every((v) => v === 1));
});

/** A model whose logits are the same everywhere (not under test). */
class ConstantLogits implements TrainableSegmenter {
  describe(): SegmenterDescription {
    return { kind: 'fixed', inputSize: 64, numClasses: 4, pixelMean: [0, 0, 0], pixelStd: [1, 1, 1], logitsSize: 16, trainableParams: 0, totalParams: 0 };
  }
  trainableVariables(): Map<string, tf.Variable> {
    return new Map();
  }
  forward(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.tile(tf.tensor4d([0.1, -1, 2, 0.5], [1, 1, 1, 4]), [images.shape[0], 16, 16, 1]) as tf.Tensor4D);
  }
  exportTrained(): Map<string, tf.Tensor> {
    return new Map();
  }
  importTrained(): void {}
  dispose(): void {}
}

/** A fixed model whose logits follow the image (4×4 average pool, then a fixed 3→4 map); not under test. */
class PooledLinear extends ConstantLogits {
  override forward(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(images, 4, 4, 'valid') as tf.Tensor4D;
      const w = tf.tensor2d([1, -1, 0.2, 0, 0.5, 1, -1, 0.3, -0.5, 0, 1, 0.8], [3, 4]);
      return tf.reshape(tf.matMul(tf.reshape(pooled, [-1, 3]), w), [images.shape[0], 16, 16, 4]) as tf.Tensor4D;
    });
  }
}

function noiseImage(w: number, h: number, seed: number): { data: Uint8Array; width: number; height: number } {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.next() * 256);
  return { data, width: w, height: h };
}

test('a constant-logit model gives a constant map over a large tiled image', () => {
  const img = noiseImage(250, 140, 1);
  const before = tf.memory().numTensors;
  const out = segmentTiledTf(new ConstantLogits(), img, img, { tile: 64, overlap: 16, scale: 1 }, 3);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(out.map.every((v) => v === 2));
  const e = [0.1, -1, 2, 0.5].map(Math.exp);
  assert.ok(Math.abs(out.meanConfidence - e[2]! / e.reduce((a, b) => a + b)) < 1e-5);
});

test('tiled inference of an image that is exactly one tile equals whole-image inference', async () => {
  const img = noiseImage(64, 64, 3);
  const fixed = new PooledLinear();
  const whole = predictClassMaps(fixed, [{ resized: img, width: 64, height: 64 }])[0]!;
  assert.ok(new Set(whole).size > 1, 'the fixed model should predict more than one class');
  assert.deepEqual(segmentTiledTf(fixed, img, img, { tile: 64, overlap: 16, scale: 1 }).map, whole);
  // The same through a real (random-weight) PA-SAM tiny.
  const built = await buildSegmenter(resolveTrainConfig({ model: { preset: 'tiny', base: null }, inputSize: 64, seed: 7 }), 4);
  try {
    const wholeTiny = predictClassMaps(built.model, [{ resized: img, width: 64, height: 64 }])[0]!;
    assert.deepEqual(segmentTiledTf(built.model, img, img, { tile: 64, overlap: 16, scale: 1 }).map, wholeTiny);
    // Larger than a tile: every pixel gets a class from the blended tiles, at full resolution.
    const big = noiseImage(150, 90, 4);
    const m = segmentTiledTf(built.model, big, big, { tile: 64, overlap: 16, scale: 1 }, 2).map;
    assert.equal(m.length, 150 * 90);
    assert.ok(m.every((v) => v < 4));
  } finally {
    built.model.dispose();
  }
});

test('grid of a 4000×3000 image at S=224 and the bounded blend band', () => {
  const tiles = tileGrid(4000, 3000, { tile: 224, overlap: 32, scale: 1 });
  assert.equal(tiles.length, 21 * 16);
  const b = new TileBlender(4000, 3000, 4000, 3000, 4, { tile: 224, overlap: 32, scale: 1 });
  // The band holds about one tile of rows, not the whole image.
  const bandBytes = (b as unknown as { acc: Float32Array }).acc.byteLength;
  assert.ok(bandBytes < 4000 * 230 * 4 * 4, `band ${bandBytes} bytes`);
});
