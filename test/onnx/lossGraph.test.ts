// The ONNX loss graph against the tfjs loss (app/engine/loss.ts) on its own: value and gradient
// w.r.t. the logits, with Dice over all classes and over the classes present in the batch, with
// and without class weights. Labels are real NEU-Seg masks (one defect class per image, so two
// classes are absent from a batch and the two Dice variants differ).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { decodeMaskPng } from '../../app/images/imageIO.js';
import { segmentationLoss, resizeLabelsNearest } from '../../app/engine/loss.js';
import { TrackedGraphBuilder } from '../../app/onnx/autodiff/trackedGraph.js';
import { differentiate } from '../../app/onnx/autodiff/backward.js';
import { OnnxLayers } from '../../app/onnx/onnxLayers.js';
import { segmentationLossGraph, type LossOptions } from '../../app/onnx/training/lossGraph.js';
import { NEU_DIR } from '../helpers/neuProject.js';
import { relL2 } from './ortTrainTestUtils.js';
import { pseudoRandom } from '../helpers/pasamTestUtils.js';

const B = 2;
const C = 4;
const G = 16;
let labels: Int32Array;
before(async () => {
  await initBackend();
  labels = new Int32Array(B * G * G);
  // Two images of the same defect class: the other two classes are absent from the batch.
  const ids = ['train_003400', 'train_003410'];
  for (const [i, id] of ids.entries()) {
    const path = join(NEU_DIR, 'masks', `${id}.png`);
    const mask = await decodeMaskPng(readFileSync(path), path);
    labels.set(resizeLabelsNearest(mask.data, mask.height, mask.width, G, G), i * G * G);
  }
});

const VARIANTS: { name: string; loss: LossOptions }[] = [
  { name: 'Dice over all classes', loss: { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false } },
  { name: 'Dice over present classes', loss: { ceWeight: 0.2, diceWeight: 0.8, dicePresentOnly: true, lossOnUpsampledLogits: false } },
  { name: 'Dice over present classes, class weights', loss: { ceWeight: 0.5, diceWeight: 0.5, classWeights: [0.3, 1, 2, 1.5], dicePresentOnly: true, lossOnUpsampledLogits: false } },
];

for (const v of VARIANTS) {
  test(`ONNX loss graph (${v.name}) equals the tfjs loss in value and logit gradient`, async () => {
    const present = new Set(labels);
    assert.ok(present.size >= 2 && present.size < C, `the fixture batch must miss a class (has ${[...present]})`);
    const b = new TrackedGraphBuilder('loss');
    const layers = new OnnxLayers(b);
    const logits = b.input('logits', [B, C, G, G]);
    const lab = b.input('labels', [B, G, G], 'int32');
    const { loss, ce, dice } = segmentationLossGraph(layers, logits, lab, C, v.loss);
    const grads = differentiate(b, layers, { loss, sources: [logits] });
    for (const [name, out] of [['loss', loss], ['ce', ce], ['dice', dice]] as const) {
      b.op('Identity', [out], {}, name);
      b.output(name, []);
    }
    b.op('Identity', [grads.get(logits)!], {}, 'grad');
    b.output('grad', [B, C, G, G]);
    const session = await ort.InferenceSession.create(b.serialize(), { graphOptimizationLevel: 'all' });
    const nhwc = pseudoRandom([B, G, G, C], 11, 2);
    try {
      const nchw = tf.tidy(() => tf.transpose(nhwc, [0, 3, 1, 2]).dataSync() as Float32Array);
      const out = await session.run({ logits: new ort.Tensor('float32', Float32Array.from(nchw), [B, C, G, G]), labels: new ort.Tensor('int32', labels, [B, G, G]) });
      const y = tf.tensor3d(labels, [B, G, G], 'int32');
      const terms: number[] = [];
      const { value, grads: g } = tf.valueAndGrads((x: tf.Tensor) => {
        const l = segmentationLoss(x as tf.Tensor4D, y, { ceWeight: v.loss.ceWeight, diceWeight: v.loss.diceWeight, classWeights: v.loss.classWeights, dicePresentOnly: v.loss.dicePresentOnly });
        terms.push(l.ce.dataSync()[0]!, l.dice.dataSync()[0]!);
        return l.loss;
      })([nhwc]);
      const ref = tf.tidy(() => tf.transpose(g[0]!, [0, 3, 1, 2]).dataSync() as Float32Array);
      const lossRef = value.dataSync()[0]!;
      tf.dispose([y, value, ...g]);
      const scalar = (k: string) => (out[k]!.data as Float32Array)[0]!;
      assert.ok(Math.abs(scalar('loss') - lossRef) <= 1e-5 * lossRef, `loss ${scalar('loss')} vs tfjs ${lossRef}`);
      assert.ok(Math.abs(scalar('ce') - terms[0]!) <= 1e-5 * terms[0]! && Math.abs(scalar('dice') - terms[1]!) <= 1e-5 * terms[1]!, `ce/dice ${scalar('ce')}/${scalar('dice')} vs ${terms}`);
      const err = relL2(out.grad!.data as Float32Array, ref);
      assert.ok(err < 1e-5, `logit gradient relative L2 ${err}`);
    } finally {
      nhwc.dispose();
      await session.release();
    }
  });
}

test('present-class Dice differs from all-class Dice on a batch that misses classes (the option is not a no-op)', () => {
  const y = tf.tensor3d(labels, [B, G, G], 'int32');
  const x = pseudoRandom([B, G, G, C], 11, 2);
  try {
    const all = segmentationLoss(x as tf.Tensor4D, y, { dicePresentOnly: false });
    const pres = segmentationLoss(x as tf.Tensor4D, y, { dicePresentOnly: true });
    assert.ok(Math.abs(all.dice.dataSync()[0]! - pres.dice.dataSync()[0]!) > 1e-3);
    tf.dispose([all.loss, all.ce, all.dice, pres.loss, pres.ce, pres.dice]);
  } finally {
    tf.dispose([x, y]);
  }
});
