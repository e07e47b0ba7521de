// A small model built from the engine's ops (LoRA with a partial multi-scale conv bottleneck,
// windowed attention, layer norm, transposed-conv upscaling, a gathered positional table,
// bilinear resize) trained with the real loss, AdamW and schedule: tensor count must stay
// constant across steps, and the loss must fall on a fixed batch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { bmm, bmmNT, conv2d, convTranspose2x2, gatherRows, gelu, layerNorm, linear, resizeBilinear } from '../../app/tensor/gradOps.js';
import { segmentationLoss } from '../../app/engine/loss.js';
import { AdamW, GradientAccumulator, valueAndGrads } from '../../app/engine/optimizer.js';
import { lrAt } from '../../app/engine/schedule.js';
import { Rng, kaimingUniform, normal } from '../../app/tensor/random.js';
import { useWasm } from '../helpers/tfTest.js';

before(async () => {
  await useWasm();
});

const B = 2, G = 8, D = 16, R = 4, HEADS = 2, C = 3;

function makeParams(rng: Rng): Record<string, tf.Variable> {
  const v = (name: string, t: tf.Tensor) => tf.variable(t, true, `leak.${name}`);
  return {
    pos: v('pos', normal(rng, [G * G, D], 0.1)),
    loraA: v('loraA', kaimingUniform(rng, [D, R])),
    loraB: v('loraB', normal(rng, [R, 3 * D], 0.01)),
    k3: v('k3', kaimingUniform(rng, [3, 3, R / 2, R / 2])),
    k5: v('k5', kaimingUniform(rng, [5, 5, R / 2, R / 2])),
    k3d2: v('k3d2', kaimingUniform(rng, [3, 3, R / 2, R / 2])),
    lnG: v('norm.weight', tf.ones([D])),
    lnB: v('norm.bias', tf.zeros([D])),
    up: v('up', kaimingUniform(rng, [2, 2, D, D], Math.sqrt(5), D)),
    head: v('head', kaimingUniform(rng, [D, C])),
    headB: v('head.bias', tf.zeros([C])),
  };
}

function forward(p: Record<string, tf.Variable>, x: tf.Tensor4D, qkvW: tf.Tensor2D): tf.Tensor4D {
  const posIdx = tf.range(0, G * G, 1, 'int32') as tf.Tensor1D;
  const tokens = tf.add(x, tf.reshape(gatherRows(p.pos as tf.Tensor2D, posIdx), [1, G, G, D])) as tf.Tensor4D;
  // LoRA with a partial multi-scale conv bottleneck (half of the r channels convolved).
  const z = linear(tokens, p.loraA as tf.Tensor2D) as tf.Tensor4D;
  const [zp, zu] = tf.split(z, 2, 3) as tf.Tensor4D[];
  const conv = gelu(tf.addN([conv2d(zp, p.k3 as tf.Tensor4D), conv2d(zp, p.k5 as tf.Tensor4D), conv2d(zp, p.k3d2 as tf.Tensor4D, { dilation: 2 })]));
  const z2 = tf.add(z, tf.concat([conv, zu], 3)) as tf.Tensor4D;
  const qkv = tf.add(linear(tokens, qkvW), linear(z2, p.loraB as tf.Tensor2D)) as tf.Tensor4D;
  // Multi-head attention over the G×G tokens.
  const dh = D / HEADS;
  const heads = tf.reshape(tf.transpose(tf.reshape(qkv, [B, G * G, 3, HEADS, dh]), [2, 0, 3, 1, 4]), [3, B * HEADS, G * G, dh]);
  const [q, k, v] = tf.unstack(heads) as tf.Tensor3D[];
  const attn = tf.softmax(tf.mul(bmmNT(q, k), 1 / Math.sqrt(dh))) as tf.Tensor3D;
  const o = tf.reshape(tf.transpose(tf.reshape(bmm(attn, v), [B, HEADS, G * G, dh]), [0, 2, 1, 3]), [B, G, G, D]) as tf.Tensor4D;
  const h = layerNorm(tf.add(tokens, o) as tf.Tensor4D, p.lnG as tf.Tensor1D, p.lnB as tf.Tensor1D, 1e-6);
  const up = gelu(convTranspose2x2(h, p.up as tf.Tensor4D));
  const logits = linear(up, p.head as tf.Tensor2D, p.headB as tf.Tensor1D) as tf.Tensor4D;
  return resizeBilinear(logits, [2 * G + 4, 2 * G + 4]);
}

test('forward+backward+AdamW steps keep tf.memory().numTensors constant, and the loss falls', () => {
  const rng = new Rng(11);
  const params = makeParams(rng);
  const x = normal(rng, [B, G, G, D]) as tf.Tensor4D;
  const qkvW = tf.variable(normal(rng, [D, 3 * D], 0.2), false, 'leak.frozen.qkv') as tf.Variable<tf.Rank.R2>; // frozen
  const S = 2 * G + 4;
  const labels = tf.tensor3d(Int32Array.from({ length: B * S * S }, (_, i) => ((i % S) > S / 2 ? 1 : 0) + ((Math.floor(i / S) % S) > S / 2 ? 1 : 0)), [B, S, S], 'int32');
  const opt = new AdamW(params, { weightDecay: 0.01 });
  const acc = new GradientAccumulator();
  const sched = { baseLr: 1e-2, totalSteps: 30, warmupFraction: 0.1 };
  const counts: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    // Two micro-batches (the same batch twice) accumulated into one step.
    for (let micro = 0; micro < 2; micro++) {
      const { value, grads } = valueAndGrads(() => segmentationLoss(forward(params, x, qkvW), labels).loss, params);
      if (micro === 0) losses.push(value.dataSync()[0]);
      value.dispose();
      acc.add(grads);
    }
    const grads = acc.take();
    opt.applyGradients(grads, lrAt(step, sched));
    tf.dispose(Object.values(grads));
    counts.push(tf.memory().numTensors);
  }
  assert.equal(Object.keys(params).length, 11);
  assert.deepEqual(counts.slice(1), new Array(counts.length - 1).fill(counts[1]), `tensor counts per step: ${counts}`);
  assert.ok(losses.at(-1)! < 0.7 * losses[0], `loss ${losses[0]} → ${losses.at(-1)}`);
  opt.dispose();
  tf.dispose([...Object.values(params), x, qkvW, labels]);
});
