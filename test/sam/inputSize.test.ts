// Running SAM at another input side S: pos_embed and the global blocks' rel_pos resized bilinearly
// with half-pixel centres (PyTorch align_corners=False); identity at the native S.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { loadModelWeights } from '../../app/model/library.js';
import { adaptSamWeights } from '../../app/model/sam/resize.js';
import { SamModel } from '../../app/model/sam/samModel.js';
import { SamPredictor } from '../../app/model/sam/predictor.js';
import { imageEncoderForward } from '../../app/model/sam/imageEncoder.js';
import { disposeSamWeights, vitEncoder, type SamWeights } from '../../app/model/sam/weights.js';
import { compareTensors, fixtureImage, importFixtureModel, loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
let native: SamWeights;
useTempPasamHome('pasam-size-');

before(async () => {
  await initBackend();
  fx = loadFixture();
  await importFixtureModel(fx);
  native = (await loadModelWeights('tiny')).weights;
});
after(() => disposeSamWeights(native));

/** PyTorch bilinear (align_corners=False) source index and weight along one axis. */
function torchAxis(out: number, inSize: number): { i0: number; i1: number; l: number }[] {
  return Array.from({ length: out }, (_, d) => {
    const src = Math.max(0, (d + 0.5) * (inSize / out) - 0.5);
    const i0 = Math.floor(src);
    return { i0, i1: Math.min(i0 + 1, inSize - 1), l: src - i0 };
  });
}

/** Reference resize of an (H, W, C) array. */
function torchBilinear(data: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  const ys = torchAxis(oh, h);
  const xs = torchAxis(ow, w);
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++)
      for (let k = 0; k < c; k++) {
        const v = (yy: number, xx: number) => data[(yy * w + xx) * c + k];
        const { i0: y0, i1: y1, l: ly } = ys[y];
        const { i0: x0, i1: x1, l: lx } = xs[x];
        out[(y * ow + x) * c + k] = (1 - ly) * ((1 - lx) * v(y0, x0) + lx * v(y0, x1)) + ly * ((1 - lx) * v(y1, x0) + lx * v(y1, x1));
      }
  return out;
}

test('at the native S the adapted weights equal the checkpoint', () => {
  const { weights, created } = adaptSamWeights(native, fx.config, fx.config.imgSize);
  try {
    assert.deepEqual(vitEncoder(weights, 'the ViT fixture').posEmbed.dataSync(), vitEncoder(native, 'the ViT fixture').posEmbed.dataSync());
    vitEncoder(weights, 'the ViT fixture').blocks.forEach((b, i) => {
      assert.deepEqual(b.attn.relPosH.dataSync(), vitEncoder(native, 'the ViT fixture').blocks[i].attn.relPosH.dataSync());
      assert.deepEqual(b.attn.relPosW.dataSync(), vitEncoder(native, 'the ViT fixture').blocks[i].attn.relPosW.dataSync());
    });
  } finally {
    tf.dispose(created);
  }
});

for (const s of [224, 96]) {
  test(`at S=${s} pos_embed and the global rel_pos are resized like PyTorch bilinear, windowed ones kept`, () => {
    const g = s / fx.config.patchSize;
    const g0 = fx.config.imgSize / fx.config.patchSize;
    const d = fx.config.encoderEmbedDim;
    const { weights, created } = adaptSamWeights(native, fx.config, s);
    try {
      const pos = vitEncoder(weights, 'the ViT fixture').posEmbed;
      assert.deepEqual(pos.shape, [1, g, g, d]);
      const expected = torchBilinear(vitEncoder(native, 'the ViT fixture').posEmbed.dataSync() as Float32Array, g0, g0, d, g, g);
      assert.equal(compareTensors(pos.dataSync() as Float32Array, expected, 1e-6), undefined);
      vitEncoder(weights, 'the ViT fixture').blocks.forEach((b, i) => {
        const orig = vitEncoder(native, 'the ViT fixture').blocks[i].attn;
        if (fx.config.encoderGlobalAttnIndexes.includes(i)) {
          const [l0, hd] = orig.relPosH.shape;
          assert.deepEqual(b.attn.relPosH.shape, [2 * g - 1, hd]);
          const ref = torchBilinear(orig.relPosH.dataSync() as Float32Array, l0, 1, hd, 2 * g - 1, 1);
          assert.equal(compareTensors(b.attn.relPosH.dataSync() as Float32Array, ref, 1e-6), undefined);
          assert.deepEqual(b.attn.relPosW.shape, [2 * g - 1, hd]);
        } else {
          assert.equal(b.attn.relPosH, orig.relPosH, 'windowed blocks share the checkpoint table');
        }
      });
    } finally {
      tf.dispose(created);
    }
  });
}

test('resizing rel_pos up front equals the reference runtime interpolation in get_rel_pos', () => {
  const s = 224;
  const { weights, created } = adaptSamWeights(native, fx.config, s);
  const x = tf.randomNormal([1, s, s, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  try {
    const cfg = { ...fx.config, imgSize: s };
    const resized = imageEncoderForward(x, vitEncoder(weights, 'the ViT fixture'), cfg);
    // Same pos_embed, but the checkpoint's global rel_pos: interpolated inside the attention.
    const runtime = imageEncoderForward(x, { ...vitEncoder(native, 'the ViT fixture'), posEmbed: vitEncoder(weights, 'the ViT fixture').posEmbed }, cfg);
    assert.deepEqual(resized.shape, [1, 14, 14, fx.config.promptEmbedDim]);
    assert.equal(compareTensors(runtime.dataSync() as Float32Array, resized.dataSync() as Float32Array, 1e-5), undefined);
    tf.dispose([resized, runtime]);
  } finally {
    tf.dispose([...created, x]);
  }
});

test('the predictor runs at another S and returns masks at the original size', async () => {
  assert.throws(() => new SamModel(fx.config, native, 100), /multiple of 16/);
  const model = new SamModel(fx.config, native, 224);
  const predictor = new SamPredictor(model, 'tiny');
  const img = await fixtureImage(fx);
  await predictor.setImage(img);
  const out = predictor.predict({ points: [[30, 60]], labels: [1] });
  assert.equal(out.masks.length, 3);
  assert.equal(out.maskLogits[0].length, img.width * img.height);
  assert.equal(out.lowResSize, 4 * 14);
  assert.ok(out.maskLogits.every((m) => m.every(Number.isFinite)));
  predictor.reset();
  model.dispose(); // also disposes `native`; this is the last test
});
