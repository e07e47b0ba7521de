// PA-SAM built on the sam-tiny fixture reproduces SAM where it must: with B = 0 the adapted
// encoder gives SAM's image embeddings exactly (window-local and un-windowed MSPCA, qkv and q+v
// targets), and the multi-class decoder, given SAM's own tokens and prompt embeddings, gives SAM's
// mask logits — so everything PA-SAM adds starts from (and stays wired to) the real SAM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { densePE } from '../../app/model/sam/promptEncoder.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { createMultiClassDecoder, multiClassDecoderForward } from '../../app/model/pasam/multiClassDecoder.js';
import { ParamStore } from '../../app/model/pasam/params.js';
import { compareTensors, fixtureTensor, loadFixture, type SamFixture } from '../helpers/samFixture.js';
import { fixtureSamWeights, nchwToNhwc } from '../helpers/pasamTestUtils.js';

let fx: SamFixture;
let sam: SamWeights;
let input: tf.Tensor4D;

before(async () => {
  await initBackend();
  fx = loadFixture();
  sam = await fixtureSamWeights(fx);
  const t = fixtureTensor(fx, 'input_preprocessed');
  input = nchwToNhwc(t.data, t.shape);
});
after(() => {
  disposeSamWeights(sam);
  input.dispose();
});

function embeddingsMatch(config: unknown): void {
  const model = PasamModel.fromSam(sam, fx.config, config, { numClasses: 4 });
  try {
    const expected = fixtureTensor(fx, 'image_embeddings');
    const emb = model.imageEmbeddings(input);
    const nchw = tf.tidy(() => emb.transpose([0, 3, 1, 2]).dataSync() as Float32Array);
    emb.dispose();
    assert.equal(compareTensors(nchw, expected.data), undefined, `config ${JSON.stringify(config)}`);
  } finally {
    model.dispose();
  }
}

test('with B = 0 the PA-SAM encoder output equals the fixture image_embeddings (default MSPCA-LoRA, window-local)', () => {
  embeddingsMatch({});
});

test('with B = 0 the encoder equals SAM for un-windowed MSPCA, q+v(+proj) targets, dilations, concat aggregation, plain LoRA on proj', () => {
  embeddingsMatch({ lora: { spatial: 'unwindowed', targets: ['q', 'v', 'proj'], scales: 'dilations', aggregation: 'concat', mixChannels: true } });
  embeddingsMatch({ lora: { targets: ['proj'], bottleneck: 'none' } });
});

test('a non-zero B on qkv or on proj changes the embeddings (each adapter is really in the path)', () => {
  for (const target of ['qkv', 'proj']) {
    const model = PasamModel.fromSam(sam, fx.config, { lora: { targets: ['qkv', 'proj'] } }, { numClasses: 4 });
    try {
      const b = model.trainableVariables().get(`encoder.blocks.0.attn.${target}.lora.B`)!;
      assert.ok(b, `LoRA B of block 0 ${target} exists`);
      const live = tf.fill(b.shape, 0.05);
      b.assign(live);
      live.dispose();
      const expected = fixtureTensor(fx, 'image_embeddings');
      const emb = model.imageEmbeddings(input);
      const nchw = tf.tidy(() => emb.transpose([0, 3, 1, 2]).dataSync() as Float32Array);
      emb.dispose();
      assert.notEqual(compareTensors(nchw, expected.data), undefined, target);
    } finally {
      model.dispose();
    }
  }
});

test('multi-class decoder with SAM\'s 4 tokens (tokenInit "pretrained") reproduces SAM\'s mask logits for the point prompt', () => {
  const store = new ParamStore(1);
  const g = fx.config.imgSize / fx.config.patchSize;
  try {
    const decoder = createMultiClassDecoder(store.factory(true), sam.maskDecoder, 4, { tokenInit: 'pretrained' });
    const out = tf.tidy(() => {
      const emb = fixtureTensor(fx, 'image_embeddings');
      const sparse = fixtureTensor(fx, 'point_sparse');
      const dense = fixtureTensor(fx, 'point_dense');
      const pe = densePE(sam.promptEncoder.peGaussian, g);
      const logits = multiClassDecoderForward(nchwToNhwc(emb.data, emb.shape), pe, tf.tensor3d(sparse.data, sparse.shape as [number, number, number]), nchwToNhwc(dense.data, dense.shape), decoder, fx.config.decoderNumHeads);
      return logits.transpose([0, 3, 1, 2]); // (1, 4, 4g, 4g)
    });
    const all = out.dataSync() as Float32Array;
    const plane = 16 * g * g;
    out.dispose();
    // Token 0 = SAM's single-mask output; tokens 1..3 = SAM's multimask outputs.
    assert.equal(compareTensors(all.subarray(0, plane), fixtureTensor(fx, 'point_single_low_res').data), undefined, 'token 0');
    assert.equal(compareTensors(all.subarray(plane), fixtureTensor(fx, 'point_multi_low_res').data), undefined, 'tokens 1..3');
  } finally {
    store.dispose();
  }
});

test('a fresh IPEG gives SAM\'s no-prompt dense embedding; default decoder tokens all start from SAM token 0', () => {
  const model = PasamModel.fromSam(sam, fx.config, {}, { numClasses: 3 });
  try {
    const vars = model.trainableVariables();
    const bias = vars.get('ipeg.dense.conv2.bias')!.dataSync();
    assert.deepEqual(Array.from(bias), Array.from(sam.promptEncoder.noMaskEmbed.dataSync()));
    assert.equal(vars.get('ipeg.dense.conv2.weight')!.abs().max().dataSync()[0], 0);
    const tokens = vars.get('decoder.maskTokens')!;
    assert.deepEqual(tokens.shape, [3, fx.config.promptEmbedDim]);
    const t0 = Array.from(sam.maskDecoder.maskTokens.slice([0, 0], [1, -1]).dataSync());
    const rows = tokens.arraySync() as number[][];
    for (const row of rows) assert.deepEqual(row.map((v) => Math.fround(v)), t0.map((v) => Math.fround(v)));
    // Only the encoder's LoRA is trainable there; the encoder itself is frozen.
    assert.ok(![...vars.keys()].some((n) => n.startsWith('encoder.') && !n.includes('.lora.')));
    const logits = model.forward(input, { training: false });
    assert.deepEqual(logits.shape, [1, 40, 40, 3]);
    logits.dispose();
  } finally {
    model.dispose();
  }
});

test('fromSam at another input size resizes pos_embed / rel_pos and runs', () => {
  const model = PasamModel.fromSam(sam, fx.config, { inputSize: 96 }, { numClasses: 2 });
  try {
    assert.equal(model.describe().inputSize, 96);
    assert.equal(model.describe().logitsSize, 24);
    const y = tf.tidy(() => model.predictClassLogits(tf.zeros([1, 96, 96, 3])));
    assert.deepEqual(y.shape, [1, 24, 24, 2]);
    y.dispose();
  } finally {
    model.dispose();
  }
});

test('on a checkpoint only MSPCA-LoRA, IPEG and the decoder train; trainable.neck / trainable.encoder widen the set', () => {
  const groupsOf = (config: unknown) => {
    const model = PasamModel.fromSam(sam, fx.config, config, { numClasses: 3 });
    const report = model.parameterReport();
    const d = model.describe();
    model.dispose();
    assert.equal(report.trainable, d.trainableParams);
    return new Map(report.groups.map((g) => [g.group, g]));
  };
  const base = groupsOf({});
  assert.equal(base.get('encoder')!.trainable, 0);
  assert.equal(base.get('encoder.neck')!.trainable, 0);
  for (const g of ['encoder.lora', 'ipeg', 'decoder']) assert.equal(base.get(g)!.trainable, base.get(g)!.total, g);
  // 4 blocks × (A 48·8 + B 8·144 + convs (9+25+49)·4²)
  assert.equal(base.get('encoder.lora')!.total, 4 * (48 * 8 + 8 * 144 + 83 * 16));
  const neck = groupsOf({ trainable: { neck: true } });
  assert.equal(neck.get('encoder.neck')!.trainable, neck.get('encoder.neck')!.total);
  assert.equal(neck.get('encoder')!.trainable, 0);
  const full = groupsOf({ trainable: { encoder: true } });
  assert.equal(full.get('encoder')!.trainable, full.get('encoder')!.total);
});

test('a training step on the checkpoint model gives finite gradients for exactly the trainable set and leaks nothing', () => {
  const model = PasamModel.fromSam(sam, fx.config, {}, { numClasses: 3 });
  const vars = model.trainableVariables();
  const list = [...vars.values()];
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(input, { training: true }))) as tf.Scalar, list);
    const names = Object.keys(grads);
    const finite = tf.tidy(() => names.every((n) => tf.all(tf.isFinite(grads[n])).dataSync()[0] === 1));
    const bNonZero = tf.tidy(() => tf.max(tf.abs(grads[vars.get('encoder.blocks.2.attn.qkv.lora.B')!.name])).dataSync()[0] > 0);
    tf.dispose([value, ...Object.values(grads)]);
    return { count: names.length, finite, bNonZero };
  };
  const first = step();
  assert.equal(first.count, vars.size);
  assert.ok(first.finite);
  assert.ok(first.bNonZero, 'LoRA B gets a gradient through the frozen encoder');
  const n = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, n);
  model.dispose();
});
