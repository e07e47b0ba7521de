// Acceptance (issue 12): PA-SAM on the sam-tiny SAM base with each MSPCA-LoRA option (targets
// qkv / q+v / proj, ρ, kernels or dilations, sum / concat, channel mix, windowed or not), IPEG on
// (every mode) and off, the multi-class decoder — ONNX Runtime's training-graph gradients equal
// tfjs's within 1e-4 relative L2 for every trainable tensor, on real NEU-Seg images and masks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import { buildTrainingGraph } from '../../app/onnx/training/trainingGraph.js';
import { loadFixture, type SamFixture } from '../helpers/samFixture.js';
import { fixtureSamWeights } from '../helpers/pasamTestUtils.js';
import { perturbTrainables } from './onnxTestUtils.js';
import { assertGradParity, bothSteps, neuBatch, NEU_IDS, ortSession, ortStep, paramValues } from './ortTrainTestUtils.js';

let fx: SamFixture;
let sam: SamWeights;
before(async () => {
  await initBackend();
  fx = loadFixture();
  sam = await fixtureSamWeights(fx);
});
after(() => disposeSamWeights(sam));

const LOW = { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false };
const VARIANTS = [
  { name: 'qkv, kernels sum, windowed; IPEG queries + conv', config: { inputSize: 64 }, loss: LOW },
  {
    name: 'q+v+proj, ρ=1, concat + mix, windowed with padding; IPEG off',
    config: { inputSize: 80, lora: { targets: ['q', 'v', 'proj'], partialRatio: 1, aggregation: 'concat', mixChannels: true }, ipeg: { sparse: 'none', dense: 'none' } },
    loss: LOW,
  },
  {
    name: 'qkv+proj, dilations, unwindowed, ρ=0.25; IPEG gap-mlp; neck trainable; upsampled loss',
    config: { inputSize: 80, lora: { targets: ['qkv', 'proj'], scales: 'dilations', spatial: 'unwindowed', partialRatio: 0.25 }, ipeg: { sparse: 'gap-mlp' }, trainable: { neck: true } },
    loss: { ceWeight: 0.3, diceWeight: 0.7, lossOnUpsampledLogits: true },
  },
  { name: 'proj only, plain LoRA (no MSPCA); IPEG queries, dense off; class weights', config: { inputSize: 64, lora: { targets: ['proj'], bottleneck: 'none' }, ipeg: { dense: 'none' } }, loss: { ...LOW, classWeights: [0.25, 1, 1, 2] } },
];

for (const v of VARIANTS) {
  test(`PA-SAM on sam-tiny (${v.name}): every ORT gradient equals tfjs within 1e-4`, async () => {
    const model = PasamModel.fromSam(sam, fx.config, v.config, { numClasses: 4, seed: 3 });
    try {
      perturbTrainables(model, 2000);
      const s = model.samConfig.imgSize;
      const batch = await neuBatch(model, NEU_IDS.slice(1, 3), v.loss.lossOnUpsampledLogits ? s : s / 4);
      const { graph, o, r } = await bothSteps(model, batch, v.loss);
      const names = graph.trainable.map((t) => t.name);
      assert.ok(names.every((n) => !n.startsWith('encoder.') || n.includes('.lora.') || n.startsWith('encoder.neck.')), 'only LoRA (and the neck when asked) train in the encoder');
      const parity = assertGradParity(o, r, names);
      console.log(`# sam-tiny ${v.name}: ${names.length} tensors, worst relative L2 ${parity.worst.toExponential(2)} (${parity.worstName}), ${parity.belowFloor} at the float32 floor`);
    } finally {
      model.dispose();
    }
  });
}

test('gradient checkpointing (recompute per encoder block) gives the same gradients as the plain graph', async () => {
  const model = PasamModel.fromSam(sam, fx.config, { inputSize: 80, lora: { targets: ['qkv', 'proj'], spatial: 'unwindowed' } }, { numClasses: 4, seed: 3 });
  try {
    perturbTrainables(model, 3000);
    const s = model.samConfig.imgSize;
    const batch = await neuBatch(model, NEU_IDS.slice(0, 2), s / 4);
    const params = paramValues(model);
    const run = async (recompute: boolean) => {
      const graph = buildTrainingGraph(model, { batch: 2, loss: LOW, mode: 'train', recompute });
      const session = await ortSession(graph);
      try {
        return { graph, res: await ortStep(session, graph, params, batch, s) };
      } finally {
        await session.release();
      }
    };
    const plain = await run(false);
    const re = await run(true);
    assert.notEqual(plain.graph.hash, re.graph.hash);
    assert.ok(re.graph.bytes.length > plain.graph.bytes.length, 'the recomputing graph holds the re-emitted block nodes');
    assert.equal(re.res.loss, plain.res.loss);
    const parity = assertGradParity(re.res, plain.res, plain.graph.trainable.map((t) => t.name), 1e-6);
    console.log(`# recompute vs plain: worst relative L2 ${parity.worst.toExponential(2)}`);
  } finally {
    model.dispose();
  }
});
