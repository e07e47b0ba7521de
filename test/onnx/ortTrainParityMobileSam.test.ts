// Acceptance (issue 13): PA-SAM on a MobileSAM (TinyViT) base — the frozen TinyViT encoder with
// MSPCA-LoRA on every attention block's qkv (fused, or per-head q / v) and proj, IPEG and the multi-class
// decoder — ONNX Runtime's training-graph gradients equal tfjs's within 1e-4 relative L2 for every
// trainable tensor, on real NEU-Seg images and masks, with the shared MobileSAM fixture's weights
// (PASAM_MOBILESAM_FIXTURE overrides the folder, as the parity test's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { disposeSamWeights, type SamWeights } from '../../app/model/sam/weights.js';
import type { SamConfig } from '../../app/model/sam/config.js';
import { importMobileSamFixture, useTempPasamHome } from '../helpers/samFixture.js';
import { perturbTrainables } from './onnxTestUtils.js';
import { assertGradParity, bothSteps, neuBatch, NEU_IDS } from './ortTrainTestUtils.js';

useTempPasamHome('pasam-ort-train-mobilesam-home-');
let sam: SamWeights;
let samConfig: SamConfig;

before(async () => {
  await initBackend();
  ({ weights: sam, config: samConfig } = await importMobileSamFixture('mobile-fixture'));
});
after(() => disposeSamWeights(sam));

const LOW = { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false };
const VARIANTS = [
  { name: 'qkv, kernels sum, windowed; IPEG queries + conv', config: { inputSize: 64 }, loss: LOW },
  {
    // 96 → token grids 24/12/6/6 against windows 7/7/14/7: padded windows in the first stages.
    name: 'per-head q+v and proj, dilations, unwindowed, concat + mix; IPEG gap-mlp; present-class Dice, class weights',
    config: { inputSize: 96, lora: { targets: ['q', 'v', 'proj'], spatial: 'unwindowed', scales: 'dilations', aggregation: 'concat', mixChannels: true }, ipeg: { sparse: 'gap-mlp' } },
    loss: { ceWeight: 0.4, diceWeight: 0.6, classWeights: [0.3, 1, 1.5, 2], dicePresentOnly: true, lossOnUpsampledLogits: false },
  },
  { name: 'plain per-head q+v LoRA (no MSPCA), S=96', config: { inputSize: 96, lora: { targets: ['q', 'v'], bottleneck: 'none' } }, loss: LOW },
  // The whole TinyViT trains: strided and depth-wise convs (folded batch norm as conv bias),
  // layer norms, and the attention-bias tables (looked up by a one-hot product in the graph).
  { name: 'encoder trainable (convs, depth-wise convs, attention biases)', config: { inputSize: 64, trainable: { encoder: true } }, loss: LOW },
];

for (const v of VARIANTS) {
  test(`PA-SAM on MobileSAM (${v.name}): every ORT gradient equals tfjs within 1e-4`, async () => {
    const model = PasamModel.fromSam(sam, samConfig, v.config, { numClasses: 4, seed: 3 });
    try {
      assert.ok(model.samConfig.tinyVit, 'the fixture is a TinyViT backbone');
      perturbTrainables(model, 2000);
      const s = model.samConfig.imgSize;
      const batch = await neuBatch(model, NEU_IDS.slice(1, 3), v.loss.lossOnUpsampledLogits ? s : s / 4);
      const { graph, o, r } = await bothSteps(model, batch, v.loss);
      const names = graph.trainable.map((t) => t.name);
      assert.ok(names.some((n) => n.startsWith('encoder.layers.') && n.includes('.lora.')), 'the TinyViT LoRA branches train');
      const encoderTrains = (v.config as { trainable?: { encoder?: boolean } }).trainable?.encoder === true;
      if (!encoderTrains) assert.ok(names.every((n) => !n.startsWith('encoder.') || n.includes('.lora.')), 'only LoRA trains in the encoder');
      else assert.ok(names.some((n) => n.endsWith('attentionBiases')) && names.some((n) => n.includes('localConv')), `the encoder's own tensors train: ${names.filter((n) => n.startsWith('encoder.') && !n.includes('.lora.')).slice(0, 5)}`);
      assert.deepEqual([...graph.inputs].sort(), [...names].sort(), 'the graph reads every trainable tensor (none silently gets a zero gradient)');
      const parity = assertGradParity(o, r, names);
      console.log(`# mobile-sam ${v.name}: ${names.length} tensors, worst relative L2 ${parity.worst.toExponential(2)} (${parity.worstName}), ${parity.belowFloor} at the float32 floor`);
    } finally {
      model.dispose();
    }
  });
}
