// Tiling benchmark (not a test), two parts:
//   quality — NEU-Seg images upscaled 4× in memory (800×800, a stand-in for high-resolution parts)
//             into a temp project (never committed); the tiny preset trained from scratch twice with
//             the same budget (same epochs, images, batch, optimiser steps, loss settings): tiled at
//             S = 224 with the preset's own choice (chooseTiling: scale, overlap, defect-crop share,
//             class weighting, present-class Dice; flags override) vs whole images downscaled to 224
//             with the same loss settings; both on the product's engine choice (ONNX Runtime where it
//             loads) and evaluated on a test subset at the ORIGINAL 800×800 resolution.
//   large   — batch segmentation / Predict (predictImages) of one 4000×3000 image with the tiled
//             run, through ONNX Runtime and tfjs: seconds per megapixel and peak RSS.
//   node --import tsx bench/tilingBench.ts [--train 24] [--test 12] [--epochs 6] [--skip-quality]
//        [--skip-large] [--arms tiled,whole] [--scale S] [--share F] [--weighting none|frequency]
//        [--out tiling-wasm.json] [--seed 1]
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend } from '../app/tensor/backend.js';
import { ProjectStore } from '../app/store/projectStore.js';
import { runImport } from '../app/dataset/importPipeline.js';
import { decodeMaskPng } from '../app/images/imageIO.js';
import type { ImportCandidate } from '../app/dataset/importTypes.js';
import { createRun, runTrainingJob } from '../app/engine/trainingJob.js';
import { resolveTrainConfig, type TrainConfig } from '../app/engine/trainConfig.js';
import { loadSplit, resizeLabelNearest } from '../app/engine/dataPipeline.js';
import { evaluateSamples, summarise } from '../app/engine/evaluate.js';
import { loadRunSegmenter } from '../app/engine/runModel.js';
import { openRunSegmentation } from '../app/onnx/runExport.js';
import { predictImages } from '../app/batch/batchPredict.js';
import { projectMaskStatistics } from '../app/dataset/maskStatistics.js';
import { chooseTiling } from '../app/finetune/tilingPreset.js';
import { Rng } from '../app/tensor/random.js';
import { prepareRunEngine } from '../app/finetune/runEngine.js';
import type { EvaluationResult } from '../app/engine/evaluate.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '24' },
    test: { type: 'string', default: '12' },
    epochs: { type: 'string', default: '6' },
    'skip-quality': { type: 'boolean', default: false },
    'skip-large': { type: 'boolean', default: false },
    arms: { type: 'string', default: 'tiled,whole' },
    scale: { type: 'string' },
    share: { type: 'string' },
    weighting: { type: 'string' },
    out: { type: 'string', default: 'tiling-wasm.json' },
    /** The training seed of both arms (the data subsets stay fixed), for a comparison over seeds. */
    seed: { type: 'string', default: '1' },
  },
});
const SHARED = process.env.PASAM_SHARED ?? fileURLToPath(new URL('../../shared', import.meta.url));
const NEU = join(SHARED, 'datasets', 'neu-seg');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const OUT = join(RESULTS, values.out!);
const DUPLICATES = new Set(['test_000043', 'test_000044', 'test_000532', 'test_000547', 'test_000723', 'test_000724', 'test_000747', 'test_000752', 'test_000755', 'test_000756', 'test_000757']);
const UP = 4;
const S = 224;

const backend = await initBackend();
const load = (): number[] => loadavg().map((x) => +x.toFixed(2));
const result: Record<string, unknown> = {
  bench: 'tiling',
  machine: { cpus: cpus().length, memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1), node: process.version, backend: backend.name, loadAverageAtStart: load() },
  note: 'shared 2-core machine (other sessions running): small subset and short schedule; the figures compare the two arms of one run, not absolute quality',
};
const save = (): void => {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
};

let peakRss = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function pick(split: 'train' | 'test', n: number, seed: number): string[] {
  const rows = readFileSync(join(NEU, 'manifest.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const ids = rows.filter((r) => r[1] === split && !DUPLICATES.has(r[0]!)).map((r) => r[0]!);
  return new Rng(seed).shuffle(ids).slice(0, n);
}

async function upscaled(id: string, split: 'train' | 'val' | 'test'): Promise<ImportCandidate> {
  const maskPath = join(NEU, 'masks', `${id}.png`);
  const mask = await decodeMaskPng(readFileSync(maskPath), maskPath);
  const imageBytes = await sharp(readFileSync(join(NEU, 'images', `${id}.jpg`)))
    .resize(mask.width * UP, mask.height * UP, { kernel: 'cubic' })
    .png()
    .toBuffer();
  const data = resizeLabelNearest(mask.data, mask.width, mask.height, mask.width * UP, mask.height * UP);
  return { sourcePath: `${id}@4x.png`, originalName: `${id}@4x.png`, imageBytes, mask: { width: mask.width * UP, height: mask.height * UP, data, sourcePath: maskPath }, split };
}

/** Share of the test pixels predicted as (and truly) a defect: an arm that over-predicts shows here first. */
function defectShares(ev: EvaluationResult): { predictedDefectShare: number; trueDefectShare: number } {
  let total = 0;
  let predicted = 0;
  let truth = 0;
  ev.confusion.forEach((row, t) =>
    row.forEach((n, p) => {
      total += n;
      if (p > 0) predicted += n;
      if (t > 0) truth += n;
    }),
  );
  return { predictedDefectShare: +(predicted / total).toFixed(4), trueDefectShare: +(truth / total).toFixed(4) };
}

async function trainArm(dir: string, name: string, cfg: TrainConfig): Promise<{ runId: number; trainSeconds: number; trainedWith: unknown; classWeights: unknown; test: unknown; evalSeconds: number }> {
  const store = ProjectStore.open(dir);
  const runId = createRun(store, cfg, name);
  store.close();
  const t0 = performance.now();
  const timer = setInterval(sample, 1000);
  const r = await runTrainingJob(
    dir,
    runId,
    false,
    {
    emit: (e) => {
      if (e.type === 'epoch') console.log(`${name} epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} val mIoU ${e.val.mIoU?.toFixed(3)} (${e.seconds.toFixed(0)} s)`);
      if (e.type === 'failed') console.error(e.error);
    },
    isCancelled: () => false,
    pause: async () => {},
    },
    { prepareEngine: prepareRunEngine },
  );
  clearInterval(timer);
  const trainSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 'completed') throw new Error(`${name}: ${r.status} ${r.error}`);
  const s2 = ProjectStore.open(dir);
  try {
    const loaded = await loadRunSegmenter(s2, runId, 'last');
    const samples = await loadSplit(s2, 'test', S, loaded.tiling);
    const t1 = performance.now();
    const ev = evaluateSamples(loaded.model, samples, { batchSize: 4, classNames: ['background', 'inclusion', 'patches', 'scratches'] });
    loaded.model.dispose();
    const metrics = s2.getRun(runId)!.metrics;
    return { runId, trainSeconds: +trainSeconds.toFixed(1), trainedWith: metrics.trainedWith, classWeights: metrics.classWeights ?? null, test: { images: ev.images, resolution: `${200 * UP}×${200 * UP}`, ...summarise(ev), ...defectShares(ev) }, evalSeconds: +((performance.now() - t1) / 1000).toFixed(1) };
  } finally {
    s2.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pasam-tiling-bench-'));
let presetChoice: Record<string, unknown> = {};
const nTrain = Number(values.train);
const nTest = Number(values.test);
const epochs = Number(values.epochs);
{
  const candidates: ImportCandidate[] = [];
  for (const id of pick('train', nTrain + 2, 11).slice(0, nTrain)) candidates.push(await upscaled(id, 'train'));
  for (const id of pick('train', nTrain + 2, 11).slice(nTrain)) candidates.push(await upscaled(id, 'val'));
  for (const id of pick('test', nTest, 12)) candidates.push(await upscaled(id, 'test'));
  const store = ProjectStore.create(dir, { name: 'neu-4x', classes: ['inclusion', 'patches', 'scratches'] });
  try {
    const rep = await runImport(store, candidates, { format: 'neu-4x', source: NEU });
    if (rep.added !== candidates.length) throw new Error(`import: ${JSON.stringify(rep.problems)}`);
    const stats = projectMaskStatistics(store);
    const choice = chooseTiling(S, stats);
    presetChoice = choice.overrides;
    result.maskStatistics = stats;
    result.presetChoice = { mode: choice.mode, overrides: choice.overrides, reasons: choice.reasons };
  } finally {
    store.close();
  }
}

// The tiled arm: the preset's choice, each flag overriding one setting; the downscaled arm trains
// the same loss (class weighting, present-class Dice), so only the tiling differs.
const tiledSettings = {
  tileSize: S,
  tileOverlap: Number(presetChoice.tileOverlap ?? 28),
  tileScale: values.scale !== undefined ? Number(values.scale) : Number(presetChoice.tileScale ?? 1),
  defectCropShare: values.share !== undefined ? Number(values.share) : Number(presetChoice.defectCropShare ?? 0.3),
};
const lossSettings = { classWeighting: values.weighting ?? String(presetChoice.classWeighting ?? 'none'), dicePresentOnly: Boolean(presetChoice.dicePresentOnly ?? true) };
const common = { model: { preset: 'tiny', base: null }, inputSize: S, epochs, batchSize: 4, learningRate: 1e-3, augmentation: { hflip: true, vflip: true, rot90: true, brightness: 0, contrast: 0 }, ...lossSettings, seed: Number(values.seed) };
result.setup = { train: nTrain, val: 2, test: nTest, epochs, batchSize: 4, S, upscale: UP, tiled: tiledSettings, loss: lossSettings, budget: `${epochs} epochs × ${nTrain} model inputs of ${S}×${S} per arm (the same number of optimiser steps, ${epochs * Math.ceil(nTrain / 4)})` };
let tiledRunId: number | null = null;
const arms = values.arms!.split(',');
if (!values['skip-quality']) {
  if (arms.includes('tiled')) {
    const tiled = await trainArm(dir, 'tiled', resolveTrainConfig({ ...common, ...tiledSettings }));
    tiledRunId = tiled.runId;
    result.tiled = { ...tiled, ...tiledSettings, loadAverage: load() };
    save();
  }
  if (arms.includes('whole')) {
    const whole = await trainArm(dir, 'whole', resolveTrainConfig({ ...common }));
    result.downscaled = { ...whole, loadAverage: load() };
    save();
  }
} else {
  tiledRunId = await (async () => {
    const t = await trainArm(dir, 'tiled', resolveTrainConfig({ ...common, epochs: 1, tileSize: S, tileOverlap: 28 }));
    return t.runId;
  })();
}
if (values['skip-large'] || tiledRunId === null) process.exit(0);

// Large image: 4000×3000, tiled through ONNX Runtime and tfjs.
const W = 4000;
const H = 3000;
const big = new Uint8Array(W * H * 3);
{
  const rng = new Rng(5);
  for (let i = 0; i < W * H; i++) {
    const v = 120 + ((i % W) >> 5) % 40 + Math.floor(rng.next() * 30);
    big[i * 3] = big[i * 3 + 1] = big[i * 3 + 2] = v;
  }
}
const large: Record<string, unknown> = { image: `${W}×${H}`, tile: S, overlap: 28 };
for (const engine of ['onnx', 'tfjs'] as const) {
  const store = ProjectStore.open(dir);
  try {
    const seg = await openRunSegmentation(store, tiledRunId!, { engine, checkpoint: 'last' });
    peakRss = 0;
    const rssBefore = process.memoryUsage().rss;
    const timer = setInterval(sample, 200);
    const t0 = performance.now();
    const [pred] = await predictImages(seg, [{ data: big, width: W, height: H }]);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    sample();
    seg.dispose();
    large[engine === 'onnx' ? 'onnxruntime' : 'tfjs'] = {
      engine: seg.engine,
      tiling: seg.tiling,
      seconds: +seconds.toFixed(1),
      secondsPerMegapixel: +(seconds / ((W * H) / 1e6)).toFixed(2),
      rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      mapPixels: pred!.map.length,
      loadAverage: load(),
    };
    console.log(engine, large[engine === 'onnx' ? 'onnxruntime' : 'tfjs']);
  } finally {
    store.close();
  }
}
result.large = large;
result.loadAverageAtEnd = load();
save();
console.log(JSON.stringify(result, null, 2));
