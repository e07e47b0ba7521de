import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { Rng, fanIn, kaimingUniform, normal } from '../../app/tensor/random.js';
import { DEFAULT_AUGMENT, adjustBrightnessContrast, augmentSample, transformGeometry } from '../../app/engine/augment.js';
import { useWasm } from '../helpers/tfTest.js';

before(async () => {
  await useWasm();
});

test('Rng: same seed → same stream, other seed → other stream, state save/restore continues it', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 20 }, () => a.nextUint32());
  assert.deepEqual(sa, Array.from({ length: 20 }, () => b.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 20 }, () => c.nextUint32()));
  a.normal(); // leaves a spare normal in the state
  const state = a.getState();
  const next = [a.normal(), a.next(), a.int(7)];
  const d = new Rng(0);
  d.setState(state);
  assert.deepEqual([d.normal(), d.next(), d.int(7)], next);
});

test('Rng distributions: uniform ints cover the range evenly, normals have mean 0 and sd 1, shuffles are permutations', () => {
  const rng = new Rng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[rng.int(6)]++;
  for (const n of counts) assert.ok(Math.abs(n - 10000) < 400, `bucket ${n}`);
  const xs = Array.from({ length: 40000 }, () => rng.normal());
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
  assert.ok(Math.abs(m) < 0.02 && Math.abs(sd - 1) < 0.02, `mean ${m} sd ${sd}`);
  const p = rng.permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual(p, Array.from({ length: 100 }, (_, i) => i));
  assert.throws(() => rng.int(0), /n must be an integer/);
});

test('kaimingUniform(a=√5) spans ±1/√fan_in (PyTorch nn.Linear / LoRA A init) and is reproducible', () => {
  assert.equal(fanIn([768, 8]), 768);
  assert.equal(fanIn([3, 3, 4, 4]), 36);
  const w = kaimingUniform(new Rng(1), [768, 8]);
  const v = w.dataSync();
  const bound = 1 / Math.sqrt(768);
  const max = Array.from(v).reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  assert.ok(max <= bound && max > 0.98 * bound, `max ${max} bound ${bound}`);
  assert.deepEqual([...kaimingUniform(new Rng(1), [768, 8]).dataSync()], [...v]);
  const n = normal(new Rng(2), [10000], 0.02).dataSync();
  const sd = Math.sqrt(Array.from(n).reduce((s, x) => s + x * x, 0) / n.length);
  assert.ok(Math.abs(sd - 0.02) < 0.001, `sd ${sd}`);
  tf.dispose(w);
});

test('transformGeometry: quarter turns follow np.rot90, flips mirror, four turns are the identity', () => {
  // [[1,2,3],[4,5,6]] (H=2, W=3); np.rot90 → [[3,6],[2,5],[1,4]].
  const img = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const r1 = transformGeometry(img, 3, 2, 1, { flipH: false, flipV: false, turns: 1 });
  assert.deepEqual([r1.width, r1.height, ...r1.data], [2, 3, 3, 6, 2, 5, 1, 4]);
  const r2 = transformGeometry(img, 3, 2, 1, { flipH: false, flipV: false, turns: 2 });
  assert.deepEqual([...r2.data], [6, 5, 4, 3, 2, 1]);
  const r3 = transformGeometry(img, 3, 2, 1, { flipH: false, flipV: false, turns: 3 });
  assert.deepEqual([r3.width, r3.height, ...r3.data], [2, 3, 4, 1, 5, 2, 6, 3]);
  assert.deepEqual([...transformGeometry(img, 3, 2, 1, { flipH: true, flipV: false, turns: 0 }).data], [3, 2, 1, 6, 5, 4]);
  assert.deepEqual([...transformGeometry(img, 3, 2, 1, { flipH: false, flipV: true, turns: 0 }).data], [4, 5, 6, 1, 2, 3]);
  // RGB pixels move as units.
  const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]); // 2×1 pixels
  assert.deepEqual([...transformGeometry(rgb, 2, 1, 3, { flipH: true, flipV: false, turns: 0 }).data], [4, 5, 6, 1, 2, 3]);
  let cur = { data: img, width: 3, height: 2 };
  for (let i = 0; i < 4; i++) cur = transformGeometry(cur.data, cur.width, cur.height, 1, { flipH: false, flipV: false, turns: 1 });
  assert.deepEqual([...cur.data], [...img]);
  assert.throws(() => transformGeometry(img, 4, 2, 1, { flipH: false, flipV: false, turns: 0 }), /6 values do not make a 4×2×1 array/);
});

test('augmentSample moves image and mask together, is seeded, and jitters brightness/contrast within ±10 %', () => {
  const W = 5, H = 3;
  // The grey image encodes each pixel's identity; the mask encodes the same identity (mod 256).
  const image = Float32Array.from({ length: W * H }, (_, i) => 10 * i);
  const mask = Uint8Array.from({ length: W * H }, (_, i) => i);
  const geometryOnly = { ...DEFAULT_AUGMENT, brightness: 0, contrast: 0, maxValue: 1000 };
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const out = augmentSample({ image, mask, width: W, height: H, channels: 1 }, new Rng(seed), geometryOnly);
    assert.deepEqual([...out.image], [...out.mask].map((m) => 10 * m), `seed ${seed}: image and mask moved differently`);
    seen.add(`${out.width}x${out.height}:${[...out.mask].join(',')}`);
    const again = augmentSample({ image, mask, width: W, height: H, channels: 1 }, new Rng(seed), geometryOnly);
    assert.deepEqual([...again.mask], [...out.mask]);
  }
  assert.equal(seen.size, 8, 'all 8 flip/rotation combinations occur');

  const grey = Uint8Array.from({ length: 64 }, (_, i) => 60 + 2 * i);
  for (let seed = 0; seed < 20; seed++) {
    const out = augmentSample({ image: grey, mask: new Uint8Array(64), width: 8, height: 8, channels: 1 }, new Rng(seed), { ...DEFAULT_AUGMENT, hflip: false, vflip: false, rot90: false });
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
    const ratio = mean(out.image) / mean(grey);
    assert.ok(ratio >= 0.89 && ratio <= 1.11, `brightness ratio ${ratio}`);
  }
  // Contrast 1.1 around the mean, brightness 1: spread grows by 10 %, mean kept; clamping at maxValue.
  const c = adjustBrightnessContrast(Float32Array.from([10, 20, 30]), 1, 1, 1.1, 255);
  assert.deepEqual([...c].map((v) => Math.round(v * 1000) / 1000), [9, 20, 31]);
  assert.deepEqual([...adjustBrightnessContrast(Uint8Array.from([250, 255]), 1, 1.1, 1, 255)], [255, 255]);
  assert.throws(() => augmentSample({ image: grey, mask: new Uint8Array(10), width: 8, height: 8, channels: 1 }, new Rng(1)), /mask has 10 values, image is 8×8/);
});
