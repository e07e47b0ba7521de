// PA-SAM benchmark (not a test): one training step (forward + gradients of every trainable
// variable, read back) and one inference forward of the tiny preset at S = 224, batch 2, on the
// backend in use; once with everything trainable (from scratch), once with a frozen encoder
// (LoRA + IPEG + decoder, as on a checkpoint). Writes bench/results/pasam-<backend>.json.
//   node --import tsx bench/pasamBench.ts [--steps 5] [--batch 2]
import { tf } from '../app/tensor/tf.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../app/tensor/backend.js';
import { backboneConfig } from '../app/model/pasam/backbones.js';
import { PasamModel } from '../app/model/pasam/pasamModel.js';
import { disposeSamWeights, randomSamWeights } from '../app/model/sam/weights.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '5' }, batch: { type: 'string', default: '2' } } });
const steps = Number(values.steps);
const batch = Number(values.batch);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x);

const backend = await initBackend();
const tinyCfg = backboneConfig('tiny');

function measure(label: string, model: PasamModel) {
  const x = tf.randomNormal([batch, 224, 224, 3]) as tf.Tensor4D;
  const vars = [...model.trainableVariables().values()];
  const step = () => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x, { training: true }))) as tf.Scalar, vars);
    value.dataSync();
    Object.values(grads).forEach((g) => g.dataSync());
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - t0;
  };
  const forward = () => {
    const t0 = performance.now();
    tf.tidy(() => model.predictClassLogits(x).dataSync());
    return performance.now() - t0;
  };
  step();
  forward();
  const train = Array.from({ length: steps }, step);
  const infer = Array.from({ length: steps }, forward);
  x.dispose();
  const d = model.describe();
  return { label, trainableParams: d.trainableParams, totalParams: d.totalParams, trainStepMs: round(median(train)), trainStepAllMs: train.map(round), forwardMs: round(median(infer)) };
}

const rows = [];
const scratch = PasamModel.fromScratch('tiny', {}, { numClasses: 4, seed: 1 });
rows.push(measure('tiny from scratch (everything trains)', scratch));
scratch.dispose();
const base = randomSamWeights(tinyCfg, 2);
const frozen = PasamModel.fromSam(base, tinyCfg, {}, { numClasses: 4 });
disposeSamWeights(base);
rows.push(measure('tiny with a frozen encoder (LoRA + IPEG + decoder train)', frozen));
frozen.dispose();

const result = {
  backend: backend.name,
  when: new Date().toISOString(),
  cpus: cpus().length,
  loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
  input: { size: 224, batch, numClasses: 4 },
  method: `median of ${steps} after one warm-up; train step = forward + gradients of all trainable variables, read back`,
  rows,
};
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}pasam-${backend.name}.json`, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
