// PA-SAM on a MobileSAM (TinyViT) backbone, built from the mobile-sam fixture's official .pt: with
// B = 0 every adapter configuration gives MobileSAM's reference embeddings exactly; q / v branches
// land on each head's q and v columns of TinyViT's per-head qkv; gradients reach every trainable
// tensor and match finite differences; and a few real training steps on NEU-Seg images through the
// training job (on ONNX Runtime, the product's choice) keep the tensor count flat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { loadModelWeights } from '../../app/model/library.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import type { SamConfig } from '../../app/model/sam/config.js';
import { loraParamCount, PasamModel, tinyVitGrids } from '../../app/model/pasam/pasamModel.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { compareTensors, fixtureTensor, loadFixture, useTempPasamHome, type SamFixture } from '../helpers/samFixture.js';
import { readFileSync } from 'node:fs';
import { makeNeuProject, NEU_DIR } from '../helpers/neuProject.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { decideTrainEngine, gatherEngineFacts } from '../../app/finetune/trainEngineChoice.js';
import { openRunSegmentation } from '../../app/onnx/runExport.js';
import { releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { decodeImageRgb } from '../../app/images/imageIO.js';
import { config, MIXED_FOUR, trainInProcess } from '../helpers/engineTestUtils.js';
import { checkLargestGradients, nchwToNhwc, pseudoRandom } from '../helpers/pasamTestUtils.js';

const FIXTURE_DIR = process.env.PASAM_MOBILESAM_FIXTURE ?? join(SHARED_DIR, 'fixtures', 'mobile-sam');
const MODEL = 'mobile-fixture';
useTempPasamHome('pasam-pasam-mobilesam-');

let fx: SamFixture;
let sam: SamWeights;
let samConfig: SamConfig;
let input: tf.Tensor4D;

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
  fx = loadFixture(FIXTURE_DIR);
  await importCheckpoint(join(fx.dir, fx.manifest.checkpoints.pt ?? Object.values(fx.manifest.checkpoints)[0]!), { name: MODEL });
  const loaded = await loadModelWeights(MODEL);
  sam = loaded.weights;
  samConfig = loaded.manifest.config;
  const t = fixtureTensor(fx, 'input_preprocessed');
  input = nchwToNhwc(t.data, t.shape);
});
after(async () => {
  disposeSamWeights(sam);
  input.dispose();
  await releaseOrtSessions();
});
/** The project and run of the training test, segmented by the last test. */
let trained: { dir: string; runId: number } | undefined;

function embeddings(model: PasamModel): Float32Array {
  return tf.tidy(() => model.imageEmbeddings(input).transpose([0, 3, 1, 2]).dataSync() as Float32Array);
}

/** Attention layers (1..n−1) and their block counts, from the weights. */
function attentionBlocks(): [number, number][] {
  return samConfig.tinyVit!.depths.flatMap((d, i) => (i === 0 ? [] : Array.from({ length: d }, (_, j) => [i, j] as [number, number])));
}

test('with B = 0 PA-SAM on MobileSAM gives the reference image_embeddings for every adapter configuration (1e-4)', () => {
  const expected = fixtureTensor(fx, 'image_embeddings').data;
  const inputSize = fx.config.imgSize;
  const configs = [
    { inputSize },
    { inputSize, lora: { spatial: 'unwindowed', targets: ['q', 'v', 'proj'], scales: 'dilations', aggregation: 'concat', mixChannels: true } },
    { inputSize, lora: { targets: ['qkv', 'proj'], bottleneck: 'none' } },
  ];
  for (const c of configs) {
    const model = PasamModel.fromSam(sam, samConfig, c, { numClasses: 4 });
    try {
      assert.equal(compareTensors(embeddings(model), expected), undefined, `config ${JSON.stringify(c)}`);
      // One branch per attention block of layers 1..n−1, named after TinyViT's modules.
      const names = [...model.trainableVariables().keys()].filter((n) => n.endsWith('.lora.A'));
      const targets = (c as { lora?: { targets?: string[] } }).lora?.targets ?? ['qkv'];
      assert.deepEqual(names.sort(), attentionBlocks().flatMap(([i, j]) => targets.map((t) => `encoder.layers.${i}.blocks.${j}.attn.${t}.lora.A`)).sort());
      const loraParams = [...model.trainableVariables()].filter(([n]) => n.includes('.lora.')).reduce((a, [, v]) => a + v.size, 0);
      assert.equal(loraParams, loraParamCount(samConfig, c));
    } finally {
      model.dispose();
    }
  }
});

test('S/4 token grids follow the mergings', () => {
  const grids = tinyVitGrids(samConfig.tinyVit!, 256);
  assert.equal(grids[0], 64);
  assert.equal(grids.at(-1), 16);
});

test('q and v branches add to the q and v columns of each head (TinyViT lays qkv out per head)', () => {
  // A q-only delta (v's B = 0) must equal a fused qkv branch with the same A and the q-delta's B
  // placed in each head's q columns of TinyViT's [q₀ k₀ v₀ | q₁ k₁ v₁ …] layout.
  // The last block: its change reaches the embeddings undamped by later random-weight blocks.
  const [layer, block] = attentionBlocks().at(-1)!;
  const qv = PasamModel.fromSam(sam, samConfig, { inputSize: fx.config.imgSize, lora: { targets: ['q', 'v'], bottleneck: 'none' } }, { numClasses: 3 });
  const fused = PasamModel.fromSam(sam, samConfig, { inputSize: fx.config.imgSize, lora: { targets: ['qkv'], bottleneck: 'none' } }, { numClasses: 3 });
  try {
    const pre = `encoder.layers.${layer}.blocks.${block}.attn`;
    const c = samConfig.tinyVit!.embedDims[layer]!;
    const heads = samConfig.tinyVit!.numHeads[layer]!;
    const kd = c / heads;
    const qA = qv.trainableVariables().get(`${pre}.q.lora.A`)!;
    const r = qA.shape[1]!;
    const bq = pseudoRandom([r, c], 21, 2);
    qv.trainableVariables().get(`${pre}.q.lora.B`)!.assign(bq as tf.Tensor2D);
    fused.trainableVariables().get(`${pre}.qkv.lora.A`)!.assign(qA);
    const bqData = bq.dataSync();
    const placed = new Float32Array(r * 3 * c);
    for (let k = 0; k < r; k++) for (let h = 0; h < heads; h++) for (let j = 0; j < kd; j++) placed[k * 3 * c + h * 3 * kd + j] = bqData[k * c + h * kd + j]!;
    const bFused = tf.tensor2d(placed, [r, 3 * c]);
    fused.trainableVariables().get(`${pre}.qkv.lora.B`)!.assign(bFused);
    tf.dispose([bq, bFused]);
    const a = embeddings(qv);
    assert.notEqual(compareTensors(a, fixtureTensor(fx, 'image_embeddings').data), undefined, 'a non-zero q branch changes the embeddings');
    assert.equal(compareTensors(a, embeddings(fused)), undefined);
  } finally {
    qv.dispose();
    fused.dispose();
  }
});

test('gradients reach every trainable tensor of PA-SAM on TinyViT, the encoder included, and match finite differences (S = 64)', () => {
  // trainable.encoder: TinyViT's strided and depth-wise convs and attention-bias tables need the
  // tensor layer's own gradients on wasm.
  const model = PasamModel.fromSam(sam, samConfig, { inputSize: 64, lora: { targets: ['q', 'v', 'proj'], spatial: 'unwindowed' }, trainable: { encoder: true } }, { numClasses: 3 });
  const vars = model.trainableVariables();
  const x = pseudoRandom([1, 64, 64, 3], 5) as tf.Tensor4D;
  const w = pseudoRandom([1, 16, 16, 3], 6);
  const blocks = attentionBlocks();
  const [ll, bl] = blocks.at(-1)!;
  // Live B (B = 0 zeroes the gradients of A and the convs) and live IPEG gate. The checks sit in
  // the last block: through the fixture's random weights, earlier blocks' gradients shrink below
  // what float32 finite differences resolve (they are still required to exist, above).
  const live: string[] = [`encoder.layers.${ll}.blocks.${bl}.attn.q.lora.B`, `encoder.layers.${ll}.blocks.${bl}.attn.v.lora.B`, `encoder.layers.${ll}.blocks.${bl}.attn.proj.lora.B`, 'ipeg.dense.conv2.weight'];
  live.forEach((n, k) => {
    const v = vars.get(n)!;
    const t = pseudoRandom(v.shape, 30 + k, 0.2);
    v.assign(t);
    t.dispose();
  });
  const loss = () => tf.tidy(() => tf.sum(tf.mul(model.forward(x, { training: true }), w)) as tf.Scalar);
  const names = [...vars.keys()];
  const { value, grads } = tf.variableGrads(loss, names.map((n) => vars.get(n)!));
  value.dispose();
  assert.deepEqual(names.filter((n) => !grads[vars.get(n)!.name]), [], 'every trainable variable gets a gradient');
  const checks = [
    `encoder.layers.${ll}.blocks.${bl}.attn.q.lora.A`,
    `encoder.layers.${ll}.blocks.${bl}.attn.q.lora.mspca.k5.weight`,
    `encoder.layers.${ll}.blocks.${bl}.attn.v.lora.A`,
    `encoder.layers.${ll}.blocks.${bl}.attn.v.lora.B`,
    `encoder.layers.${ll}.blocks.${bl}.attn.proj.lora.A`,
    `encoder.layers.${ll}.blocks.${bl}.attn.proj.lora.mspca.k5.weight`,
    `encoder.layers.${ll}.blocks.${bl}.attn.proj.lora.B`,
    `encoder.layers.${ll}.blocks.${bl}.attn.attentionBiases`,
    `encoder.layers.${ll}.blocks.${bl}.localConv.weight`,
    'encoder.neck.conv2.weight',
    'ipeg.dense.conv1.weight',
    'decoder.maskTokens',
  ];
  const failures = checkLargestGradients(vars, grads, checks, loss);
  tf.dispose([x, w, ...Object.values(grads)]);
  model.dispose();
  assert.deepEqual(failures, []);
});

test('a few training steps from the imported MobileSAM on NEU-Seg images run through the training job without leaking tensors', async () => {
  const dir = await makeNeuProject(MIXED_FOUR);
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const cfg = config({ model: { base: MODEL, preset: null }, inputSize: 64, epochs: 2, batchSize: 2, learningRate: 2e-3, augmentation: false, valFraction: 0, seed: 5 });
  const result = await trainInProcess(dir, cfg, { onEvent: (e) => e.type === 'progress' && counts.push(tf.memory().numTensors) });
  assert.equal(result.status, 'completed', result.error);
  assert.ok(counts.length >= 4, `progress events: ${counts.length}`);
  assert.deepEqual(counts.slice(1), new Array(counts.length - 1).fill(counts[1]), `tensor counts per step: ${counts}`);
  assert.equal(tf.memory().numTensors, before, 'the run releases every tensor it made');
  const losses = result.events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  // MobileSAM trains on the engine the policy picks for any model (ONNX Runtime wherever it
  // loads): no backbone fallback to tfjs.
  const expected = decideTrainEngine(await gatherEngineFacts()).engine;
  const store = ProjectStore.open(dir);
  try {
    const trainedWith = store.getRun(result.runId)!.metrics.trainedWith as { engine: string; skipped: { option: string; reason: string }[] };
    assert.equal(trainedWith.engine, expected, JSON.stringify(trainedWith));
    assert.ok(!trainedWith.skipped.some((s) => /MobileSAM|TinyViT/.test(s.reason)), JSON.stringify(trainedWith.skipped));
  } finally {
    store.close();
  }
  trained = { dir, runId: result.runId };
});

test('the MobileSAM-based run segments through ONNX Runtime (exported on demand) as the tfjs model does', async () => {
  assert.ok(trained, 'the training test ran');
  const store = ProjectStore.open(trained.dir);
  const images = await Promise.all(['train_000201', 'train_000601'].map((id) => decodeImageRgb(readFileSync(join(NEU_DIR, 'images', `${id}.jpg`)), id)));
  try {
    const onnx = await openRunSegmentation(store, trained.runId, { engine: 'onnx' });
    const tfjs = await openRunSegmentation(store, trained.runId, { engine: 'tfjs' });
    try {
      assert.equal(onnx.engine, 'onnxruntime');
      const [a, b] = [await onnx.segment(images), await tfjs.segment(images)];
      a.forEach((m, i) => {
        assert.equal(m.length, images[i]!.width * images[i]!.height);
        let differ = 0;
        for (let p = 0; p < m.length; p++) if (m[p] !== b[i]![p]) differ++;
        assert.ok(differ <= m.length * 2e-3, `image ${i}: ${differ} pixels differ (only near-ties may)`);
      });
    } finally {
      onnx.dispose();
      tfjs.dispose();
    }
  } finally {
    store.close();
  }
});
