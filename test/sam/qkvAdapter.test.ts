// The training hook: a qkv adapter sees the token map laid out spatially (window-local in
// windowed blocks, whole map in global ones) and gradients reach its parameters on this backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { loadSamModel } from '../../app/model/sam/loadSam.js';
import { SamModel } from '../../app/model/sam/samModel.js';
import { linear } from '../../app/model/nn.js';
import { importFixtureModel, loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
let model: SamModel;
useTempPasamHome('pasam-adapter-');

before(async () => {
  await initBackend();
  fx = loadFixture();
  await importFixtureModel(fx);
  model = (await loadSamModel('tiny')).model;
});
after(() => model.dispose());

test('the adapter gets (B·windows, ws, ws, D) in windowed blocks and (B, g, g, D) in global ones; a zero delta changes nothing', () => {
  const s = model.inputSize;
  const g = model.grid;
  const ws = fx.config.windowSize;
  const d = fx.config.encoderEmbedDim;
  const nWin = Math.ceil(g / ws) ** 2;
  const seen: [number, number[]][] = [];
  const x = tf.randomNormal([2, s, s, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const plain = model.encodeImage(x);
  const hooked = model.encodeImage(x, {
    qkvAdapter: (t, i) => {
      seen.push([i, t.shape]);
      return tf.zerosLike(t).tile([1, 1, 1, 3]) as tf.Tensor4D;
    },
  });
  assert.deepEqual(
    seen,
    Array.from({ length: fx.config.encoderDepth }, (_, i) => [i, fx.config.encoderGlobalAttnIndexes.includes(i) ? [2, g, g, d] : [2 * nWin, ws, ws, d]]),
  );
  assert.deepEqual(plain.dataSync(), hooked.dataSync());
  tf.dispose([x, plain, hooked]);
});

test('gradients flow through the encoder into LoRA-style adapter parameters', () => {
  const s = model.inputSize;
  const d = fx.config.encoderEmbedDim;
  const r = 4;
  const a = tf.variable(tf.randomNormal([d, r], 0, 0.1, 'float32', 5) as tf.Tensor2D, true, 'lora_a');
  const b = tf.variable(tf.randomNormal([r, 3 * d], 0, 0.1, 'float32', 6) as tf.Tensor2D, true, 'lora_b');
  const x = tf.randomNormal([1, s, s, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const emb = model.encodeImage(x, { qkvAdapter: (t) => linear(linear(t, { weight: a }), { weight: b }) });
    return tf.mean(tf.square(emb)) as tf.Scalar;
  }, [a, b]);
  for (const [name, gr] of Object.entries(grads)) {
    const v = gr.dataSync();
    assert.ok(v.every(Number.isFinite), `${name} finite`);
    assert.ok(v.some((e) => e !== 0), `${name} non-zero`);
  }
  assert.ok(Number.isFinite(value.dataSync()[0]));
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind by the backward pass');
  tf.dispose([a, b, x]);
});

test('gradients reach the prompt encoder and mask decoder weights (stride-2 convs are matMuls)', () => {
  const w = model.weights;
  const g = model.grid;
  const emb = tf.randomNormal([1, g, g, fx.config.promptEmbedDim], 0, 1, 'float32', 8) as tf.Tensor4D;
  const mask = tf.randomNormal([1, 4 * g, 4 * g, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
  const md = w.maskDecoder;
  const pe = w.promptEncoder;
  const targets = [md.outputUpscaling.conv1.weight, md.outputUpscaling.conv2.weight, md.transformer.layers[0].selfAttn.qProj.weight, md.iouPredictionHead[0].weight, md.outputHypernetworksMlps[1][2].weight, pe.maskDownscaling.conv1.weight, pe.maskDownscaling.conv3.weight] as tf.Tensor[];
  const before = tf.memory().numTensors;
  const grads = tf.grads((...ts: tf.Tensor[]) => {
    const [u1, u2, q, iou0, hyp, m1, m3] = ts as [tf.Tensor4D, tf.Tensor4D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor4D, tf.Tensor4D];
    const swapped = {
      ...w,
      promptEncoder: { ...pe, maskDownscaling: { ...pe.maskDownscaling, conv1: { ...pe.maskDownscaling.conv1, weight: m1 }, conv3: { ...pe.maskDownscaling.conv3, weight: m3 } } },
      maskDecoder: {
        ...md,
        outputUpscaling: { ...md.outputUpscaling, conv1: { ...md.outputUpscaling.conv1, weight: u1 }, conv2: { ...md.outputUpscaling.conv2, weight: u2 } },
        transformer: { ...md.transformer, layers: md.transformer.layers.map((l, i) => (i === 0 ? { ...l, selfAttn: { ...l.selfAttn, qProj: { ...l.selfAttn.qProj, weight: q } } } : l)) },
        iouPredictionHead: md.iouPredictionHead.map((l, i) => (i === 0 ? { ...l, weight: iou0 } : l)),
        outputHypernetworksMlps: md.outputHypernetworksMlps.map((m, i) => (i === 1 ? m.map((l, j) => (j === 2 ? { ...l, weight: hyp } : l)) : m)),
      },
    };
    const m = new SamModel(fx.config, swapped, model.inputSize, { ownsWeights: false });
    try {
      const prompts = m.encodePrompts({ points: [[[30, 60]]], labels: [[1]], masks: mask });
      const out = m.decodeMasks(emb, prompts, true);
      return tf.add(tf.mean(tf.square(out.masks)), tf.sum(out.iou));
    } finally {
      m.dispose();
    }
  })(targets);
  grads.forEach((gr, i) => {
    const v = gr.dataSync();
    assert.ok(v.every(Number.isFinite) && v.some((e) => e !== 0), `gradient ${i} is finite and non-zero`);
  });
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([emb, mask]);
});
