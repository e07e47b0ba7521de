// Tiled samples evaluate the same through a step engine's host forward (the ONNX Runtime path of
// validation and `training.evaluate`) as through the tfjs model's own tiled prediction: same tiles,
// same blending, same metrics.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { evaluateSamples, evaluateSamplesWith } from '../../app/engine/evaluate.js';
import type { Sample } from '../../app/engine/dataPipeline.js';
import type { SegmenterDescription, TrainableSegmenter } from '../../app/model/segmenterTypes.js';

before(async () => {
  if (!process.env.PASAM_BACKEND) process.env.PASAM_BACKEND = 'wasm';
  await initBackend();
});

/** A fixed segmenter (not under test) whose logits follow the image: 4×4 average of each channel, plus a zero background channel. */
class PooledColour implements TrainableSegmenter {
  constructor(private s: number) {}
  describe(): SegmenterDescription {
    return { kind: 'fixed', inputSize: this.s, numClasses: 4, pixelMean: [0, 0, 0], pixelStd: [255, 255, 255], logitsSize: this.s / 4, trainableParams: 0, totalParams: 0 };
  }
  trainableVariables(): Map<string, tf.Variable> {
    return new Map();
  }
  forward(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(images, 4, 4, 'valid').mul(8).sub(4) as tf.Tensor4D;
      return tf.concat([tf.zerosLike(pooled.slice([0, 0, 0, 0], [-1, -1, -1, 1])), pooled], 3) as tf.Tensor4D;
    });
  }
  exportTrained(): Map<string, tf.Tensor> {
    return new Map();
  }
  importTrained(): void {}
  dispose(): void {}
}

function sample(id: number, width: number, height: number, tiled: boolean): Sample {
  const data = new Uint8Array(width * height * 3);
  // Blocks of colour, so predictions vary across tiles.
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = ((Math.floor(x / 13) + Math.floor(y / 9) + c + id) % 3) * 120 + ((x * 7 + y * 3 + id) % 10);
  const label = new Uint8Array(width * height);
  for (let i = 0; i < label.length; i++) label[i] = (i % width) % 4;
  return { imageId: id, maskVersionId: id, name: `img${id}`, width, height, resized: { data, width, height }, tiling: tiled ? { tile: 32, overlap: 8, scale: 1 } : null, label, resizedLabel: label };
}

test('tiled samples: evaluateSamplesWith (host forward) equals evaluateSamples (tfjs tiled prediction)', async () => {
  const model = new PooledColour(32);
  const samples = [sample(1, 80, 56, true), sample(2, 70, 90, true)];
  const viaModel = evaluateSamples(model, samples, { batchSize: 2 });
  const forward = async (images: Float32Array): Promise<Float32Array> => {
    const b = images.length / (32 * 32 * 3);
    const x = tf.tensor4d(images, [b, 32, 32, 3]);
    const y = model.forward(x);
    const out = (await y.data()) as Float32Array;
    x.dispose();
    y.dispose();
    return out;
  };
  const viaForward = await evaluateSamplesWith(forward, model.describe(), samples, { batchSize: 2 });
  assert.deepEqual(viaForward.confusion, viaModel.confusion);
  assert.deepEqual(viaForward.perImage.map((r) => r.mIoU), viaModel.perImage.map((r) => r.mIoU));
  // Not a trivial agreement: the tiles predict more than one class.
  assert.ok(viaModel.confusion.flat().filter((_, i) => i % 4 !== 0).some((c) => c > 0));
});
