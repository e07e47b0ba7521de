// Helpers of the ONNX export tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import * as ort from 'onnxruntime-node';
import type { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { buildPasamGraph } from '../../app/onnx/pasamExport.js';
import { openOrtSession } from '../../app/onnx/ortSession.js';
import { pseudoRandom } from '../helpers/pasamTestUtils.js';

/** Moves every trainable tensor off its initial value (B starts at zero, so LoRA would be inert). */
export function perturbTrainables(model: PasamModel, seed: number): void {
  const trained = new Map<string, tf.Tensor>();
  let k = seed;
  for (const [name, v] of model.trainableVariables()) trained.set(name, tf.tidy(() => tf.add(v, pseudoRandom(v.shape, k++, 0.08))));
  model.importTrained(trained);
  tf.dispose([...trained.values()]);
}

export async function onnxLogits(dir: string, model: PasamModel, name: string, images: tf.Tensor4D): Promise<{ logits: ort.Tensor; labels: ort.Tensor }> {
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, buildPasamGraph(model).serialize());
  const session = await openOrtSession(file);
  const [b, s] = images.shape;
  const nchw = readAndDispose(tf.tidy(() => images.transpose([0, 3, 1, 2])));
  const out = await session.run({ image: new ort.Tensor('float32', nchw, [b, 3, s, s]) });
  return { logits: out.logits!, labels: out.labels! };
}

/** (Reading inside tf.tidy would make tidy walk every element of the returned array.) */
export function readAndDispose(t: tf.Tensor): Float32Array {
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

export function tfjsLogitsNchw(model: PasamModel, images: tf.Tensor4D): Float32Array {
  return readAndDispose(tf.tidy(() => model.predictClassLogits(images).transpose([0, 3, 1, 2])));
}

