// ONNX Runtime against tfjs (not a test), same machine, same run, same weights:
//   - SAM vit_b image encoder at S = 512 and 1024 (random weights, official shapes);
//   - batch segmentation (images/s) of PA-SAM through the two segmentation engines, on NEU-Seg
//     images: `tiny` at S = 224 and a vit_b-shaped PA-SAM at S = 256.
// Writes bench/results/onnx-vs-tfjs-<backend>.json with the ratios.
//   node --import tsx bench/onnxBench.ts [--sizes 512,1024] [--tfjs-runs 1] [--ort-runs 3] [--images 16]
import { tf } from '../app/tensor/tf.js';
import * as ort from 'onnxruntime-node';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../app/tensor/backend.js';
import { presetConfig } from '../app/model/sam/config.js';
import { encoderMacs } from '../app/model/sam/flops.js';
import { SamModel } from '../app/model/sam/samModel.js';
import { randomSamWeights } from '../app/model/sam/weights.js';
import { PasamModel } from '../app/model/pasam/pasamModel.js';
import { decodeImageRgb } from '../app/images/imageIO.js';
import { buildSamEncoderGraph } from '../app/onnx/samExport.js';
import { buildPasamGraph } from '../app/onnx/pasamExport.js';
import { MODEL_CARD_FORMAT, MODEL_CARD_VERSION, samPreprocessing, writeModelCard } from '../app/onnx/modelCard.js';
import { openOrtSession, ortInfo, releaseOrtSessions } from '../app/onnx/ortSession.js';
import { OrtSegmenter, TfjsSegmenter } from '../app/onnx/ortSegmenter.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '512,1024' },
    'tfjs-runs': { type: 'string', default: '1' },
    'ort-runs': { type: 'string', default: '3' },
    images: { type: 'string', default: '16' },
    segment: { type: 'string', default: 'tiny:224,vit_b:256' },
  },
});
const sizes = values.sizes!.split(',').filter(Boolean).map(Number);
const tfjsRuns = Number(values['tfjs-runs']);
const ortRuns = Number(values['ort-runs']);
const imageCount = Number(values.images);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const backend = await initBackend();
const tmp = mkdtempSync(join(tmpdir(), 'pasam-onnx-bench-'));
const machine = {
  cpu: cpus()[0]?.model.trim(),
  cores: cpus().length,
  totalMemGiB: round(totalmem() / 1024 ** 3, 1),
  platform: `${platform()} ${arch()}`,
  node: process.version,
  loadAverageAtStart: loadavg().map((x) => round(x)),
  note: 'shared machine: the 2 cores were used by several engineers at once while this ran, so absolute times are pessimistic and noisy; both engines ran one after the other in the same process on the same weights and inputs, so the ratios are the meaningful figures (still noisy: the load changed between the two)',
};
console.log(`tfjs backend ${backend.name}; ONNX Runtime ${ortInfo().version} [${ortInfo().executionProviders.join(', ')}]; load ${machine.loadAverageAtStart.join(' ')}`);

async function time(f: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

// ---- SAM vit_b encoder ----
const cfg = presetConfig('vit_b');
const weights = randomSamWeights(cfg, 3);
const encoder: Record<string, unknown>[] = [];
for (const s of sizes) {
  const file = join(tmp, `encoder-${s}.onnx`);
  const exportMs = await time(() => writeFileSync(file, buildSamEncoderGraph(weights, cfg, s).serialize()));
  const session = await openOrtSession(file);
  const input = new Float32Array(3 * s * s).map((_, i) => Math.sin(i) * 1.5);
  const feeds = { image: new ort.Tensor('float32', input, [1, 3, s, s]) };
  await session.run(feeds); // warm-up
  const ortTimes: number[] = [];
  for (let r = 0; r < ortRuns; r++) ortTimes.push(await time(async () => void (await session.run(feeds))));
  console.log(`encoder S=${s}: ONNX Runtime ${ortTimes.map((t) => round(t, 0)).join(', ')} ms`);

  const model = new SamModel(cfg, weights, s, { ownsWeights: false });
  const x = tf.tidy(() => tf.tensor4d(input, [1, 3, s, s]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
  const tfTimes: number[] = [];
  for (let r = 0; r < tfjsRuns; r++) {
    tfTimes.push(
      await time(async () => {
        const out = model.encodeImage(x);
        await out.data();
        out.dispose();
      }),
    );
  }
  x.dispose();
  model.dispose();
  await releaseOrtSessions();
  rmSync(file, { force: true });
  const gflop = (2 * encoderMacs(cfg, s)) / 1e9;
  const row = {
    preset: 'vit_b',
    inputSize: s,
    gflop: round(gflop, 1),
    exportMs: round(exportMs, 0),
    onnxRuntime: { runsMs: ortTimes.map((t) => round(t, 0)), medianMs: round(median(ortTimes), 0), gflops: round(gflop / (median(ortTimes) / 1000), 1) },
    tfjs: { backend: backend.name, runsMs: tfTimes.map((t) => round(t, 0)), medianMs: round(median(tfTimes), 0), gflops: round(gflop / (median(tfTimes) / 1000), 1) },
    speedup: round(median(tfTimes) / median(ortTimes), 1),
  };
  encoder.push(row);
  console.log(`encoder S=${s}: tfjs ${row.tfjs.medianMs} ms, ONNX Runtime ${row.onnxRuntime.medianMs} ms → ×${row.speedup}`);
}

// ---- Batch segmentation (images/s) on NEU-Seg images ----
const neu = fileURLToPath(new URL('../../shared/datasets/neu-seg/images', import.meta.url));
const names = readdirSync(process.env.PASAM_SHARED ? join(process.env.PASAM_SHARED, 'datasets/neu-seg/images') : neu).sort().slice(0, imageCount);
const imageDir = process.env.PASAM_SHARED ? join(process.env.PASAM_SHARED, 'datasets/neu-seg/images') : neu;
const images = await Promise.all(names.map((n) => decodeImageRgb(readFileSync(join(imageDir, n)), n)));
const segmentation: Record<string, unknown>[] = [];
for (const spec of values.segment!.split(',').filter(Boolean)) {
  const [preset, sText] = spec.split(':') as ['tiny' | 'vit_b', string];
  const s = Number(sText);
  const model = PasamModel.fromScratch(preset, { inputSize: s }, { numClasses: 4, seed: 5 });
  const dir = join(tmp, `pasam-${preset}-${s}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), buildPasamGraph(model).serialize());
  const d = model.describe();
  writeModelCard(dir, {
    format: MODEL_CARD_FORMAT,
    formatVersion: MODEL_CARD_VERSION,
    kind: 'pasam',
    name: `bench-${preset}`,
    files: { model: 'model.onnx' },
    signatures: {},
    preprocessing: samPreprocessing(s, d.pixelMean, d.pixelStd),
    postprocessing: '',
    classes: ['background', 'inclusion', 'patches', 'scratches'].map((name, index) => ({ index, name, color: '#000000' })),
    source: { backbone: preset },
    onnx: { opset: 17, irVersion: 8, producer: 'bench' },
    exportedAt: new Date().toISOString(),
  });
  const ortSeg = await OrtSegmenter.open(dir, { batchSize: 4 });
  const tfSeg = new TfjsSegmenter(model, 4);
  const n = preset === 'tiny' ? images.length : Math.min(4, images.length);
  const subset = images.slice(0, n);
  await ortSeg.segment(subset.slice(0, 1)); // warm-up
  await tfSeg.segment(subset.slice(0, 1));
  const ortMs = await time(async () => void (await ortSeg.segment(subset)));
  const tfMs = await time(async () => void (await tfSeg.segment(subset)));
  const row = {
    model: `PA-SAM ${preset}`,
    inputSize: s,
    images: n,
    imageSize: [images[0]!.width, images[0]!.height],
    batchSize: 4,
    onnxRuntime: { ms: round(ortMs, 0), imagesPerSecond: round((n * 1000) / ortMs) },
    tfjs: { backend: backend.name, ms: round(tfMs, 0), imagesPerSecond: round((n * 1000) / tfMs) },
    speedup: round(tfMs / ortMs, 1),
  };
  segmentation.push(row);
  console.log(`segment ${preset}@${s}: tfjs ${row.tfjs.imagesPerSecond} img/s, ONNX Runtime ${row.onnxRuntime.imagesPerSecond} img/s → ×${row.speedup}`);
  tfSeg.dispose();
  await releaseOrtSessions();
}

const result = {
  benchmark: 'onnx-vs-tfjs',
  date: new Date().toISOString(),
  tfjs: { backend: backend.name, version: tf.version_core },
  onnxRuntime: ortInfo(),
  machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => round(x)) },
  weights: 'random (official vit_b shapes; PA-SAM tiny/vit_b from scratch)',
  encoder,
  segmentation,
  note: 'speedup = tfjs time / ONNX Runtime time. Segmentation includes preprocessing and the original-resolution class maps (same post-processing code for both).',
};
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `onnx-vs-tfjs-${backend.name}.json`);
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${outFile}`);
