// Training benchmark (not a test). Two modes:
//   tiny  — trains the `tiny` preset from scratch on NEU-Seg through the real job (store, worker-free
//           loop, checkpoints) and evaluates the last checkpoint on the official test split minus
//           the 11 test images that duplicate training images; reports test mIoU/mDice, wall time,
//           images/s and peak memory. --train/--test take seeded subsets (the calibration recipe
//           is --train 300 --test 100 --epochs 6 --size 224, flips only).
//   vitb  — times single training steps of vit_b (random weights) with MSPCA-LoRA at given sizes.
//   node --import tsx bench/trainBench.ts tiny [--train N] [--test N] [--epochs 6] [--size 224]
//        [--batch 4] [--val-fraction 0] [--aug flips|default|none] [--name train-tiny] [--dir <project>]
//   node --import tsx bench/trainBench.ts vitb [--sizes 256,512] [--steps 2]
import { tf } from '../app/tensor/tf.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../app/tensor/backend.js';
import { ProjectStore } from '../app/store/projectStore.js';
import { runImport } from '../app/dataset/importPipeline.js';
import { decodeMaskPng } from '../app/images/imageIO.js';
import type { ImportCandidate } from '../app/dataset/importTypes.js';
import { createRun, runTrainingJob } from '../app/engine/trainingJob.js';
import { resolveTrainConfig } from '../app/engine/trainConfig.js';
import { loadSplit } from '../app/engine/dataPipeline.js';
import { evaluateSamples, summarise } from '../app/engine/evaluate.js';
import { loadRunSegmenter } from '../app/engine/runModel.js';
import { Rng } from '../app/tensor/random.js';
import { PasamModel } from '../app/model/pasam/pasamModel.js';
import { presetConfig } from '../app/model/sam/config.js';
import { disposeSamWeights, randomSamWeights } from '../app/model/sam/weights.js';
import { segmentationLoss } from '../app/engine/loss.js';
import { AdamW, valueAndGrads } from '../app/engine/optimizer.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    train: { type: 'string' },
    test: { type: 'string' },
    epochs: { type: 'string', default: '6' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '4' },
    'val-fraction': { type: 'string', default: '0' },
    aug: { type: 'string', default: 'flips' },
    lr: { type: 'string', default: '5e-4' },
    name: { type: 'string' },
    dir: { type: 'string' },
    sizes: { type: 'string', default: '256,512' },
    steps: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
const mode = positionals[0] ?? 'tiny';
const SHARED = process.env.PASAM_SHARED ?? fileURLToPath(new URL('../../shared', import.meta.url));
const NEU = join(SHARED, 'datasets', 'neu-seg');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const DUPLICATES = new Set(['test_000043', 'test_000044', 'test_000532', 'test_000547', 'test_000723', 'test_000724', 'test_000747', 'test_000752', 'test_000755', 'test_000756', 'test_000757']);

const backend = await initBackend();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1), platform: platform(), arch: arch(), node: process.version, loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)) };

let peakRss = 0;
let peakTensorBytes = 0;
const sampleMemory = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
};

function write(name: string, result: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}-${backend.name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

async function buildProject(dir: string, trainN: number | null, testN: number | null, seed: number): Promise<{ train: number; test: number }> {
  const rows = readFileSync(join(NEU, 'manifest.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  let train = rows.filter((r) => r[1] === 'train').map((r) => r[0]!);
  let test = rows.filter((r) => r[1] === 'test' && !DUPLICATES.has(r[0]!)).map((r) => r[0]!);
  const rng = new Rng(seed);
  if (trainN !== null) train = rng.shuffle(train).slice(0, trainN).sort();
  if (testN !== null) test = rng.shuffle(test).slice(0, testN).sort();
  if (ProjectStore.isProject(dir)) {
    // Reuse a project from an earlier run of this bench (an interrupted import leaves it empty).
    const existing = ProjectStore.open(dir);
    const n = existing.countImages({});
    existing.close();
    if (n !== train.length + test.length) throw new Error(`${dir} holds ${n} images, expected ${train.length + test.length}; remove it and run again`);
    return { train: train.length, test: test.length };
  }
  const store = ProjectStore.create(dir, { name: 'neu-seg bench', classes: ['inclusion', 'patches', 'scratches'] });
  try {
    async function* candidates(): AsyncGenerator<ImportCandidate> {
      for (const [ids, split] of [[train, 'train'], [test, 'test']] as const) {
        for (const id of ids) {
          const maskPath = join(NEU, 'masks', `${id}.png`);
          const mask = await decodeMaskPng(readFileSync(maskPath), maskPath);
          yield { sourcePath: join(NEU, 'images', `${id}.jpg`), originalName: `${id}.jpg`, imageBytes: readFileSync(join(NEU, 'images', `${id}.jpg`)), mask: { ...mask, sourcePath: maskPath }, split };
        }
      }
    }
    const report = await runImport(store, candidates(), { format: 'neu-seg', source: NEU });
    if (report.failed) throw new Error(`import failed: ${JSON.stringify(report.problems.slice(0, 3))}`);
  } finally {
    store.close();
  }
  return { train: train.length, test: test.length };
}

async function tinyBench(): Promise<void> {
  const seed = Number(values.seed);
  const trainN = values.train ? Number(values.train) : null;
  const testN = values.test ? Number(values.test) : null;
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'pasam-trainbench-'));
  const t0 = performance.now();
  const counts = await buildProject(dir, trainN, testN, seed);
  const importSeconds = (performance.now() - t0) / 1000;
  const augmentation =
    values.aug === 'flips' ? { hflip: true, vflip: true, rot90: false, brightness: 0, contrast: 0 } : values.aug === 'none' ? false : { hflip: true, vflip: true, rot90: true, brightness: 0.1, contrast: 0.1 };
  const cfg = resolveTrainConfig({
    model: { preset: 'tiny', base: null },
    inputSize: Number(values.size),
    epochs: Number(values.epochs),
    batchSize: Number(values.batch),
    learningRate: Number(values.lr),
    valFraction: Number(values['val-fraction']),
    augmentation,
    seed,
  });
  const store = ProjectStore.open(dir);
  const runId = createRun(store, cfg, `bench ${values.name ?? 'train-tiny'}`);
  store.close();
  const epochs: unknown[] = [];
  let lastRate = 0;
  const tTrain = performance.now();
  const timer = setInterval(sampleMemory, 1000);
  const result = await runTrainingJob(dir, runId, false, {
    emit: (e) => {
      sampleMemory();
      if (e.type === 'progress') {
        lastRate = e.imagesPerSecond;
        if (e.step % 25 === 0) console.log(`step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} ${e.imagesPerSecond.toFixed(2)} img/s ETA ${Math.round(e.etaSeconds)} s`);
      }
      if (e.type === 'epoch') {
        epochs.push({ epoch: e.epoch, trainLoss: e.trainLoss, valMIoU: e.val.mIoU, seconds: e.seconds });
        console.log(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} val mIoU ${e.val.mIoU?.toFixed(4)} (${e.seconds.toFixed(0)} s)`);
      }
      if (e.type === 'failed') console.error(e.error);
    },
    isCancelled: () => false,
    pause: async () => {},
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  if (result.status !== 'completed') throw new Error(`training ${result.status}: ${result.error}`);
  const store2 = ProjectStore.open(dir);
  try {
    const loaded = await loadRunSegmenter(store2, runId, 'last');
    const samples = await loadSplit(store2, 'test', cfg.inputSize);
    const tEval = performance.now();
    const ev = evaluateSamples(loaded.model, samples, { batchSize: 8, classNames: ['background', 'inclusion', 'patches', 'scratches'], onProgress: sampleMemory });
    const evalSeconds = (performance.now() - tEval) / 1000;
    loaded.model.dispose();
    clearInterval(timer);
    const m = summarise(ev);
    const name = values.name ?? 'train-tiny';
    write(name, {
      bench: name,
      what: 'tiny preset (≈0.86M params, SAM-shaped, K+1 tokens) trained from scratch on NEU-Seg through the real training job; test = official test split minus the 11 cross-split duplicates (or a seeded subset); metrics at original resolution from the last checkpoint',
      backend: backend.name,
      machine,
      data: { trainImages: counts.train, testImages: counts.test, subset: { train: trainN, test: testN, seed } },
      config: cfg,
      test: { mIoU: m.mIoU, mDice: m.mDice, mIoUDefects: m.mIoUDefects, mDiceDefects: m.mDiceDefects, pixelAccuracy: m.pixelAccuracy, perClass: ev.metrics.perClass.map((c) => ({ name: c.name, iou: c.iou, dice: c.dice })) },
      epochs,
      timing: { importSeconds, trainSeconds, evalSeconds, trainImagesPerSecond: (counts.train * cfg.epochs) / trainSeconds, lastReportedImagesPerSecond: lastRate, evalImagesPerSecond: counts.test / evalSeconds },
      memory: { peakRssMiB: Math.round(peakRss / 2 ** 20), peakTensorMiB: Math.round(peakTensorBytes / 2 ** 20) },
      loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)),
      project: existsSync(dir) ? dir : null,
    });
  } finally {
    store2.close();
  }
}

async function vitbBench(): Promise<void> {
  const sizes = values.sizes!.split(',').map(Number);
  const steps = Number(values.steps);
  const native = presetConfig('vit_b');
  const results: Record<string, unknown>[] = [];
  const save = (): void =>
    write('train-vitb-step', {
      bench: 'train-vitb-step',
      what: 'one training step (forward, 0.2·CE+0.8·Dice, gradients of MSPCA-LoRA + IPEG + decoder, AdamW update) of PA-SAM on vit_b with random weights, batch 1; the first step includes one-time allocation. Written before each step, so a step that kills the process (wasm heap exhausted) leaves its forward timing and status "step aborted" behind.',
      backend: backend.name,
      machine,
      results,
      memory: { peakRssMiB: Math.round(peakRss / 2 ** 20), peakTensorMiB: Math.round(peakTensorBytes / 2 ** 20) },
      loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)),
    });
  for (const s of sizes) {
    const sam = randomSamWeights(native, 1);
    const model = PasamModel.fromSam(sam, native, { inputSize: s }, { numClasses: 4, seed: 1 });
    disposeSamWeights(sam);
    const d = model.describe();
    const params = Object.fromEntries(model.trainableVariables());
    const opt = new AdamW(params, { weightDecay: 0.01 });
    const x = tf.randomUniform([1, s, s, 3], -2, 2) as tf.Tensor4D;
    const y = tf.tidy(() => tf.randomUniform([1, d.logitsSize, d.logitsSize], 0, 4, 'int32')) as tf.Tensor3D;
    let t0 = performance.now();
    tf.tidy(() => model.forward(x, { training: false }).dataSync());
    const forwardSeconds = (performance.now() - t0) / 1000;
    sampleMemory();
    const entry: Record<string, unknown> = { inputSize: s, batch: 1, trainableParams: d.trainableParams, totalParams: d.totalParams, forwardSeconds, stepSeconds: [], status: 'step aborted (the process died during the step)' };
    results.push(entry);
    console.log(`vit_b S=${s} forward ${forwardSeconds.toFixed(1)} s`);
    for (let i = 0; i < steps; i++) {
      save();
      t0 = performance.now();
      const { value, grads } = valueAndGrads(() => segmentationLoss(model.forward(x, { training: true }), y).loss, params);
      opt.applyGradients(grads, 5e-4);
      value.dataSync();
      value.dispose();
      tf.dispose(Object.values(grads));
      sampleMemory();
      (entry.stepSeconds as number[]).push((performance.now() - t0) / 1000);
      entry.status = 'ok';
      entry.peakTensorMiB = Math.round(peakTensorBytes / 2 ** 20);
      console.log(`vit_b S=${s} step ${i + 1}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    x.dispose();
    y.dispose();
    opt.dispose();
    model.dispose();
  }
  save();
}

if (mode === 'tiny') await tinyBench();
else if (mode === 'vitb') await vitbBench();
else throw new Error(`unknown mode '${mode}' (tiny | vitb)`);
