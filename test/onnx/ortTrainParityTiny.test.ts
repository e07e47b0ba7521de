// Acceptance (issue 12): the `tiny` preset trained from scratch (every tensor trainable, the
// encoder included) — ONNX Runtime's training-graph gradients equal tfjs's within 1e-4 relative L2
// for every trainable tensor on real NEU-Seg images and masks, with the loss on the logits grid and
// on upsampled logits with class weights; and finite-difference spot checks of the ORT graph itself.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { buildTrainingGraph } from '../../app/onnx/training/trainingGraph.js';
import { perturbTrainables } from './onnxTestUtils.js';
import { assertGradParity, neuBatch, NEU_IDS, ortSession, ortStep, paramValues, tfjsStep } from './ortTrainTestUtils.js';

before(async () => {
  await initBackend();
});

const VARIANTS = [
  { name: 'defaults, loss on the S/4 grid', config: { inputSize: 64 }, loss: { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false } },
  {
    name: 'q+v+proj concat mix, unwindowed, gap-mlp, upsampled loss, class weights, S=80',
    config: { inputSize: 80, lora: { targets: ['q', 'v', 'proj'], aggregation: 'concat', mixChannels: true, spatial: 'unwindowed' }, ipeg: { sparse: 'gap-mlp' } },
    loss: { ceWeight: 0.5, diceWeight: 0.5, classWeights: [0.5, 1, 2, 1.5], lossOnUpsampledLogits: true },
  },
];

for (const v of VARIANTS) {
  test(`tiny (${v.name}): every ORT gradient equals tfjs within 1e-4`, async () => {
    const model = PasamModel.fromScratch('tiny', v.config, { numClasses: 4, seed: 5 });
    try {
      perturbTrainables(model, 1000);
      const s = model.samConfig.imgSize;
      const batch = await neuBatch(model, NEU_IDS.slice(0, 2), v.loss.lossOnUpsampledLogits ? s : s / 4);
      const graph = buildTrainingGraph(model, { batch: 2, loss: v.loss, mode: 'train' });
      assert.equal(graph.inputs.length, graph.trainable.length, 'from scratch, every tensor is a graph input');
      const session = await ortSession(graph);
      const params = paramValues(model);
      const o = await ortStep(session, graph, params, batch, s);
      const r = tfjsStep(model, batch, v.loss);
      assert.ok(Math.abs(o.loss - r.loss) <= 1e-5 * Math.abs(r.loss), `loss ${o.loss} vs tfjs ${r.loss}`);
      assert.ok(Math.abs(o.ce - r.ce) <= 1e-5 * Math.abs(r.ce) && Math.abs(o.dice - r.dice) <= 1e-5 * Math.abs(r.dice), `ce/dice ${o.ce}/${o.dice} vs ${r.ce}/${r.dice}`);
      const parity = assertGradParity(o, r, graph.trainable.map((t) => t.name));
      console.log(`# tiny ${v.name}: ${graph.trainable.length} tensors, worst relative L2 ${parity.worst.toExponential(2)} (${parity.worstName}), ${parity.belowFloor} at the float32 floor`);

      // Finite differences of the ORT graph's own loss at each tensor's largest gradient element
      // (float32 loss: a noise floor of a few 1e-6 at ε = 1e-2).
      for (const name of ['encoder.blocks.0.attn.qkv.lora.A', 'encoder.patchEmbed.weight', 'ipeg.dense.conv1.weight', 'decoder.maskTokens'].filter((n) => params.has(n) || n.includes('qkv'))) {
        const key = params.has(name) ? name : [...params.keys()].find((k) => k.startsWith('encoder.blocks.0.attn.') && k.endsWith('lora.A'))!;
        const g = o.grads.get(key)!;
        let idx = 0;
        for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[idx]!)) idx = i;
        const eps = 1e-2;
        const at = async (d: number) => {
          const p = new Map(params);
          const changed = Float32Array.from(params.get(key)!);
          changed[idx]! += d;
          p.set(key, changed);
          return (await ortStep(session, graph, p, batch, s)).loss;
        };
        const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        assert.ok(Math.abs(fd - g[idx]!) <= 3e-2 * Math.abs(g[idx]!) + 3e-5, `${key}[${idx}]: ORT gradient ${g[idx]} vs finite difference ${fd}`);
      }
      await session.release();
    } finally {
      model.dispose();
    }
  });
}
