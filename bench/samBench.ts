// SAM benchmark (not a test): vit_b encoder forward at S = 256, 512, 1024 and the per-click
// decoder, on the backend in use, with random weights. Writes bench/results/sam-<backend>.json.
//   node --import tsx bench/samBench.ts [--sizes 256,512,1024] [--clicks 20]
import { tf } from '../app/tensor/tf.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../app/tensor/backend.js';
import { presetConfig } from '../app/model/sam/config.js';
import { decoderMacs, encoderMacs } from '../app/model/sam/flops.js';
import { SamModel } from '../app/model/sam/samModel.js';
import { SamPredictor, type SamPrompt } from '../app/model/sam/predictor.js';
import { randomSamWeights } from '../app/model/sam/weights.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '256,512,1024' }, clicks: { type: 'string', default: '20' }, preset: { type: 'string', default: 'vit_b' } } });
const sizes = values.sizes!.split(',').map(Number);
const clicks = Number(values.clicks);
const presetName = values.preset as 'vit_b';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const backend = await initBackend();
const cfg = presetConfig(presetName);
const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  totalMemGiB: round(totalmem() / 1024 ** 3),
  platform: `${platform()} ${arch()}`,
  node: process.version,
  loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  note: 'shared machine: 2 cores used by several engineers at once, so wall times are pessimistic and noisy; cpuMs (process CPU time) is closer to an idle machine. wasm in Node runs single-threaded.',
};
console.log(`backend ${backend.name}, ${machine.cpu} × ${machine.cores}, load ${machine.loadAverageAtStart.join(' ')}`);

const encoder: Record<string, unknown>[] = [];
const decoder: Record<string, unknown>[] = [];
const weights = randomSamWeights(cfg, 3);

for (const s of sizes) {
  const model = new SamModel(cfg, weights, s, { ownsWeights: false });
  const x = tf.randomNormal([1, s, s, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const runs = s >= 1024 ? 1 : 2;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let peakBytes = 0;
  if (s < 1024) tf.dispose(model.encodeImage(x)); // warm-up (kernels, wasm heap growth)
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let out: tf.Tensor | undefined;
    const profile = await tf.profile(() => {
      out = model.encodeImage(x);
      return out;
    });
    await out!.data();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
    peakBytes = Math.max(peakBytes, profile.peakBytes);
    out!.dispose();
  }
  const macs = encoderMacs(cfg, s);
  const ms = median(times);
  const row = { preset: presetName, inputSize: s, runs: times.map((t) => round(t)), medianMs: round(ms), cpuMs: round(median(cpuTimes)), gflop: round((2 * macs) / 1e9), gflops: round((2 * macs) / 1e9 / (ms / 1000), 2), gflopsPerCpuSecond: round((2 * macs) / 1e9 / (median(cpuTimes) / 1000), 2), peakTensorMiB: round(peakBytes / 1024 ** 2), rssMiB: round(process.memoryUsage().rss / 1024 ** 2) };
  encoder.push(row);
  console.log('encoder', JSON.stringify(row));
  x.dispose();

  // Per-click decoding at this S on a 4:3 image (prompt encoder + decoder + upscaling to the
  // original size + download), from a random embedding.
  const g = model.grid;
  const img = { width: s, height: (s * 3) / 4 };
  const cached = new SamPredictor(model, 'bench');
  const emb = new Float32Array(g * g * cfg.promptEmbedDim).map(() => Math.random() - 0.5);
  cached.setImageEmbedding({ data: emb, shape: [g, g, cfg.promptEmbedDim], originalSize: [img.height, img.width], inputSize: [img.height, img.width] });
  const lowRes = new Float32Array((4 * g) ** 2);
  const cases: [string, SamPrompt, number, boolean][] = [
    ['1 point, 3 masks', { points: [[s / 3, s / 4]], labels: [1] }, 2, false],
    ['3 points, 1 mask', { points: [[s / 3, s / 4], [s / 2, s / 3], [s / 5, s / 2]], labels: [1, 0, 1], multimask: false }, 4, false],
    ['box, 1 mask', { box: [10, 20, s / 2, s / 2], multimask: false }, 2, false],
    ['point + previous mask, 1 mask', { points: [[s / 3, s / 4]], labels: [1], maskInput: lowRes, multimask: false }, 2, true],
  ];
  for (const [name, prompt, sparse, withMask] of cases) {
    for (let i = 0; i < 3; i++) cached.predict(prompt);
    const t: number[] = [];
    const c0 = process.cpuUsage();
    for (let i = 0; i < clicks; i++) {
      const t0 = performance.now();
      cached.predict(prompt);
      t.push(performance.now() - t0);
    }
    const c = process.cpuUsage(c0);
    const macs = decoderMacs(cfg, s, sparse, withMask);
    const ms = median(t);
    const row = { preset: presetName, inputSize: s, imageSize: [img.width, img.height], prompt: name, clicks, medianMs: round(ms), p90Ms: round(quantile(t, 0.9)), cpuMsPerClick: round((c.user + c.system) / 1000 / clicks), gflop: round((2 * macs) / 1e9, 2), gflops: round((2 * macs) / 1e9 / (ms / 1000), 2), gflopsPerCpuSecond: round((2 * macs) / 1e9 / ((c.user + c.system) / 1000 / clicks / 1000), 2) };
    decoder.push(row);
    console.log('decoder', JSON.stringify(row));
  }
  cached.reset();
  model.dispose(); // the shared random weights stay for the next size
}

const result = { benchmark: 'sam', loadAverageAtEnd: loadavg().map((x) => round(x, 2)), date: new Date().toISOString(), backend, machine, weights: 'random (official vit_b shapes)', encoder, decoder, endTensorMiB: round(tf.memory().numBytes / 1024 ** 2) };
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}sam-${backend.name}.json`;
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${file}`);
