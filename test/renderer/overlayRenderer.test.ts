// The mask overlay: nearest-neighbour sampling of the full-resolution mask into the viewport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paintOverlay, rgba } from '../../renderer/src/annotator/overlayRenderer.js';

test('zoomed in 4×, each image pixel becomes a crisp 4×4 block in its class colour', () => {
  const labels = new Uint8Array([0, 1, 2, 0]); // 2×2
  const lut = new Uint32Array(256);
  lut[1] = rgba('#ff0000', 1);
  lut[2] = rgba('#0000ff', 0.5);
  const W = 12;
  const H = 10;
  const out = new Uint32Array(W * H);
  paintOverlay(out, W, H, { scale: 4, tx: 2, ty: 1 }, labels, 2, 2, lut, null, 0, 0);
  const at = (x: number, y: number) => out[y * W + x];
  assert.equal(at(2, 1), 0, 'image (0,0) is background');
  for (let y = 1; y < 5; y++) for (let x = 6; x < 10; x++) assert.equal(at(x, y), lut[1], `(${x},${y}) is image (1,0)`);
  for (let y = 5; y < 9; y++) for (let x = 2; x < 6; x++) assert.equal(at(x, y), lut[2]);
  assert.equal(at(10, 1), 0, 'outside the image');
  assert.equal(at(1, 1), 0);
  // #ff0000 at alpha 1, little-endian ABGR.
  assert.equal(lut[1], 0xff0000ff);
});

test('zoomed out, the visible area is sampled (no pixel outside the image is painted) and the preview is hatched', () => {
  const iw = 1000;
  const ih = 500;
  const labels = new Uint8Array(iw * ih).fill(1);
  const preview = new Uint8Array(iw * ih);
  preview.fill(1, 0, iw * 10);
  const lut = new Uint32Array(256);
  lut[1] = rgba('#00ff00', 0.5);
  const W = 300;
  const H = 200;
  const out = new Uint32Array(W * H);
  paintOverlay(out, W, H, { scale: 0.1, tx: 50, ty: 20 }, labels, iw, ih, lut, preview, 7, 9);
  let painted = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (out[y * W + x]) painted++;
  assert.equal(painted, 100 * 50);
  assert.ok([7, 9].includes(out[20 * W + 50]!), 'first row: preview');
  assert.equal(out[21 * W + 50], lut[1], 'second screen row samples image row 15: no preview');
  assert.equal(out[19 * W + 50], 0);
});
