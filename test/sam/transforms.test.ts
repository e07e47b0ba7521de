// Pre/post-processing: the reference's longest-side geometry and coordinate transforms, and the
// PIL-style bilinear resize (antialiased when shrinking).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocessShape, resizeRgbPil, transformBox, transformCoords } from '../../app/model/sam/transforms.js';

test('longest side to S with round-half-up, as get_preprocess_shape', () => {
  assert.deepEqual(preprocessShape(200, 200, 1024), [1024, 1024]);
  assert.deepEqual(preprocessShape(480, 640, 1024), [768, 1024]);
  assert.deepEqual(preprocessShape(1080, 1920, 1024), [576, 1024]);
  assert.deepEqual(preprocessShape(333, 1000, 1024), [341, 1024]); // 340.992 → 341
  assert.deepEqual(preprocessShape(160, 96, 160), [160, 96]);
});

test('coordinates and boxes scale by new/old per axis', () => {
  assert.deepEqual(transformCoords([[10, 20], [639, 479]], [480, 640], 1024), [[16, 32], [639 * (1024 / 640), 479 * (768 / 480)]]); // float64, as numpy
  assert.deepEqual(transformBox([0, 0, 320, 240], [480, 640], 1024), [0, 0, 512, 384]);
});

test('PIL bilinear resize: constant stays constant, same size is identity, shrinking averages', () => {
  const w = 7;
  const h = 5;
  const flat = { data: new Uint8Array(w * h * 3).fill(77), width: w, height: h };
  for (const [ow, oh] of [[3, 2], [11, 9], [7, 3]]) {
    const r = resizeRgbPil(flat, ow, oh);
    assert.equal(r.data.length, ow * oh * 3);
    assert.ok(r.data.every((v) => v === 77), `${ow}×${oh}`);
  }
  const ramp = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 13) % 256), width: w, height: h };
  assert.deepEqual(resizeRgbPil(ramp, w, h).data, ramp.data);
  // 4 → 2 columns, one row: support widens to 2 input pixels each side (antialias), weights
  // triangle((x − centre + 0.5)/2) over x = 0..2 for centre 1 → [0.75, 0.75, 0.25]/1.75 of 0,100,200.
  const row = { data: Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]), width: 4, height: 1 };
  const out = resizeRgbPil(row, 2, 1).data;
  assert.equal(out[0], Math.round((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75));
});
