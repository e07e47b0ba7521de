// MSPCA-LoRA on small tensors: the fused kernel equals the per-scale convolutions it replaces,
// gradients of A, B and the conv weights match finite differences, and window-local / un-windowed
// layouts differ exactly where they should.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { gelu } from '../../app/tensor/gradOps.js';
import { loraBranchForward, mspcaResidual, type LoraBranchParams, type MspcaParams } from '../../app/model/pasam/mspcaLora.js';
import { mspcaScales, parsePasamConfig, partialChannels, type MspcaLoraConfig } from '../../app/model/pasam/pasamConfig.js';
import { gradientCheck, pseudoRandom } from '../helpers/pasamTestUtils.js';

before(async () => {
  await initBackend();
});

function loraCfg(over: Partial<MspcaLoraConfig>): MspcaLoraConfig {
  return parsePasamConfig({ lora: { rank: 4, alpha: 8, ...over } }).lora;
}

function mspcaParams(cfg: MspcaLoraConfig, seed: number): MspcaParams {
  const cp = partialChannels(cfg);
  const scales = mspcaScales(cfg);
  return {
    kernels: scales.map((s, i) => pseudoRandom([s.kernel, s.kernel, cp, cp], seed + i, 0.3) as tf.Tensor4D),
    aggregate: cfg.aggregation === 'concat' ? (pseudoRandom([cp * scales.length, cp], seed + 50, 0.5) as tf.Tensor2D) : undefined,
    mix: cfg.mixChannels ? (pseudoRandom([cfg.rank, cfg.rank], seed + 60, 0.5) as tf.Tensor2D) : undefined,
  };
}

/** MSPCA written the plain way: one tf.conv2d per scale (dilated where asked), then aggregation. */
function referenceResidual(z: tf.Tensor4D, p: MspcaParams, cfg: MspcaLoraConfig): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, r] = z.shape;
    const cp = partialChannels(cfg);
    const zp = tf.slice(z, [0, 0, 0, 0], [n, h, w, cp]);
    const outs = mspcaScales(cfg).map((s, i) => {
      const pad = (s.dilation * (s.kernel - 1)) / 2;
      return tf.conv2d(zp, p.kernels[i], 1, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'NHWC', s.dilation);
    });
    const agg = cfg.aggregation === 'sum' ? tf.addN(outs) : tf.conv2d(tf.concat(outs, 3) as tf.Tensor4D, p.aggregate!.reshape([1, 1, cp * outs.length, cp]) as tf.Tensor4D, 1, 'valid');
    let m: tf.Tensor4D = tf.concat([gelu(agg), tf.slice(z, [0, 0, 0, cp], [n, h, w, r - cp])], 3);
    if (p.mix) m = tf.conv2d(m, p.mix.reshape([1, 1, r, r]) as tf.Tensor4D, 1, 'valid');
    return tf.add(z, m) as tf.Tensor4D;
  });
}

for (const over of [{}, { scales: 'dilations' as const }, { aggregation: 'concat' as const, mixChannels: true }, { kernels: [1, 3], partialRatio: 1 }]) {
  test(`the fused MSPCA kernel equals separate per-scale convolutions (${JSON.stringify(over)})`, () => {
    const cfg = loraCfg(over);
    const p = mspcaParams(cfg, 11);
    const z = pseudoRandom([2, 9, 9, 4], 5) as tf.Tensor4D;
    const [a, b] = [mspcaResidual(z, p, cfg), referenceResidual(z, p, cfg)];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    assert.ok(diff < 1e-5, `max |fused − reference| = ${diff}`);
    tf.dispose([a, b, z, ...p.kernels, p.aggregate ?? [], p.mix ?? []]);
  });
}

function branch(cfg: MspcaLoraConfig, inDim: number, outDim: number, seed: number): LoraBranchParams {
  return {
    a: pseudoRandom([inDim, cfg.rank], seed, 0.5) as tf.Tensor2D,
    // Non-zero B: with B = 0 the gradients of A and of the convs are zero and prove nothing.
    b: pseudoRandom([cfg.rank, outDim], seed + 1, 0.5) as tf.Tensor2D,
    mspca: cfg.bottleneck === 'mspca' ? mspcaParams(cfg, seed + 2) : undefined,
  };
}

function toMap(p: LoraBranchParams): Map<string, tf.Tensor> {
  const m = new Map<string, tf.Tensor>([['A', p.a], ['B', p.b]]);
  p.mspca?.kernels.forEach((k, i) => m.set(`conv${i}`, k));
  if (p.mspca?.aggregate) m.set('aggregate', p.mspca.aggregate);
  if (p.mspca?.mix) m.set('mix', p.mspca.mix);
  return m;
}

function fromMap(m: Map<string, tf.Tensor>, like: LoraBranchParams): LoraBranchParams {
  return {
    a: m.get('A') as tf.Tensor2D,
    b: m.get('B') as tf.Tensor2D,
    mspca: like.mspca && {
      kernels: like.mspca.kernels.map((_, i) => m.get(`conv${i}`) as tf.Tensor4D),
      aggregate: m.get('aggregate') as tf.Tensor2D | undefined,
      mix: m.get('mix') as tf.Tensor2D | undefined,
    },
  };
}

for (const over of [{}, { spatial: 'unwindowed' as const, scales: 'dilations' as const, aggregation: 'concat' as const, mixChannels: true }, { bottleneck: 'none' as const }]) {
  test(`MSPCA-LoRA gradients (A, B, conv weights) match finite differences (${JSON.stringify(over)})`, () => {
    const cfg = loraCfg(over);
    // Windowed block: grid 5, window 3 → padded 6, 4 windows per image, 1 image.
    const layout = { windowSize: 3, grid: 5 };
    const x = pseudoRandom([4, 3, 3, 6], 21) as tf.Tensor4D;
    const weights = pseudoRandom([4, 3, 3, 9], 22) as tf.Tensor4D;
    const p = branch(cfg, 6, 9, 30);
    const loss = (m: Map<string, tf.Tensor>) => tf.tidy(() => tf.sum(tf.mul(loraBranchForward(x, fromMap(m, p), cfg, layout), weights)) as tf.Scalar);
    const failures = gradientCheck(loss, toMap(p), { samples: 5 });
    assert.deepEqual(failures, []);
    tf.dispose([x, weights, ...toMap(p).values()]);
  });
}

test('with B = 0 a branch adds exactly zero; the α/r scale multiplies the branch', () => {
  const cfg = loraCfg({});
  const p = branch(cfg, 6, 9, 40);
  const x = pseudoRandom([1, 4, 4, 6], 41) as tf.Tensor4D;
  const layout = { windowSize: 0, grid: 4 };
  const zeroB = { ...p, b: tf.zerosLike(p.b) as tf.Tensor2D };
  const y0 = loraBranchForward(x, zeroB, cfg, layout);
  assert.equal(tf.tidy(() => tf.max(tf.abs(y0)).dataSync()[0]), 0);
  const y1 = loraBranchForward(x, p, cfg, layout);
  const y2 = loraBranchForward(x, p, { ...cfg, alpha: 2 * cfg.alpha }, layout);
  const ratio = tf.tidy(() => tf.max(tf.abs(tf.sub(y2, tf.mul(y1, 2)))).dataSync()[0]);
  assert.ok(ratio < 1e-5);
  tf.dispose([x, y0, y1, y2, zeroB.b, ...toMap(p).values()]);
});

test('window-local MSPCA stays inside each window; the un-windowed layout convolves across window borders', () => {
  const layout = { windowSize: 3, grid: 6 }; // 2×2 windows, no padding
  const run = (spatial: 'window' | 'unwindowed', x: tf.Tensor4D) => {
    const cfg = loraCfg({ spatial });
    const p = branch(cfg, 6, 9, 50);
    const y = loraBranchForward(x, p, cfg, layout);
    tf.dispose([...toMap(p).values()]);
    return y;
  };
  const x = pseudoRandom([4, 3, 3, 6], 51) as tf.Tensor4D;
  // Change one token at the right edge of window 0 (row 1, column 2).
  const bumped = tf.tidy(() => tf.add(x, tf.mul(tf.oneHot(tf.tensor1d([0 * 9 + 1 * 3 + 2], 'int32'), 36).reshape([4, 3, 3, 1]), 1)) as tf.Tensor4D);
  for (const spatial of ['window', 'unwindowed'] as const) {
    const [a, b] = [run(spatial, x), run(spatial, bumped)];
    // Window 1 is the right neighbour of window 0 in the first window row.
    const changedInWindow1 = tf.tidy(() => tf.max(tf.abs(tf.sub(a.slice([1], [1]), b.slice([1], [1])))).dataSync()[0]);
    if (spatial === 'window') assert.equal(changedInWindow1, 0, 'window-local conv leaked into the next window');
    else assert.ok(changedInWindow1 > 1e-4, 'the un-windowed layout should see across the window border');
    tf.dispose([a, b]);
  }
  tf.dispose([x, bumped]);
});
