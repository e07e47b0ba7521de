// The projected wall time of a realistic fine-tune — 100 images × 20 epochs, vit_b, S = 512,
// batch 1 — from training steps measured on this machine by the same calibration the one-click
// preset uses (app/finetune/trainCalibration.ts; ONNX Runtime where it loads), plus the memory
// estimate next to the measured peak resident memory. Not a test. The machine is shared: `uptime`
// is recorded before and after. Writes bench/results/finetune-projection.json.
//   node --import tsx bench/finetuneProjectionBench.ts [--size 512] [--batch 1] [--steps 2]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { size: { type: 'string', default: '512' }, batch: { type: 'string', default: '1' }, steps: { type: 'string', default: '2' } } });
const S = Number(values.size);
const batch = Number(values.batch);
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  }
};

const home = mkdtempSync(join(tmpdir(), 'pasam-projection-'));
process.env.PASAM_HOME = home;
const { initBackend } = await import('../app/tensor/backend.js');
const { importCheckpoint } = await import('../app/model/checkpoint/importer.js');
const { writeRandomSamCheckpoint } = await import('../test/helpers/samCheckpoint.js');
const { calibrateTraining } = await import('../app/finetune/trainCalibration.js');
const { projectRunSeconds, formatDuration } = await import('../app/finetune/hardwarePreset.js');
const { estimateTrainingMemory } = await import('../app/finetune/trainMemory.js');
const { presetConfig } = await import('../app/model/sam/config.js');
await initBackend();

const loadBefore = uptime();
const ckpt = join(home, 'sam_vit_b_random.pth');
writeRandomSamCheckpoint(ckpt, 'vit_b', 9);
const imported = await importCheckpoint(ckpt, { name: 'vitb' });
const t0 = performance.now();
const c = await calibrateTraining(join(home, 'calibration.json'), { model: 'vitb', sha256: imported.manifest.source.sha256, inputSize: S, batchSize: batch }, 4, Number(values.steps));
const calibrationSeconds = (performance.now() - t0) / 1000;
const peakRss = process.resourceUsage().maxRSS * 1024;
// 100 annotated images with the default 10 % held out for validation: 90 train, 10 val, 20 epochs.
const projected = projectRunSeconds(c, 90, 10, 20);
const estimate = estimateTrainingMemory(presetConfig('vit_b'), { totalParams: 92.36e6, trainableParams: 5.68e6, numClasses: 4 }, S, batch, false);
const result = {
  what: `projected wall time of a fine-tune of vit_b (MSPCA-LoRA), 100 images (90 train + 10 validation) × 20 epochs, S=${S}, batch ${batch}`,
  machine: { cpu: cpus()[0]?.model.trim(), cores: cpus().length, memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1) },
  loadBefore,
  loadAfter: uptime(),
  engine: `${c.engine} ${c.executionProvider}`,
  measured: { secondsPerStep: +c.secondsPerStep.toFixed(2), secondsPerForward: +c.secondsPerForward.toFixed(2), steps: c.steps, calibrationSecondsIncludingGraphBuild: +calibrationSeconds.toFixed(0) },
  projection: { seconds: Math.round(projected), human: formatDuration(projected), rule: `20 × (${Math.ceil(90 / batch)} steps × ${c.secondsPerStep.toFixed(2)} s + ${Math.ceil(10 / batch)} validation passes × ${c.secondsPerForward.toFixed(2)} s)` },
  memory: { peakRssGiB: +(peakRss / 1024 ** 3).toFixed(2), estimatedPlainGiB: +(estimate.peakBytes / 1024 ** 3).toFixed(2), note: 'the calibration opens only the training session (no validation session) and its process also holds the import; the estimate is for a whole run' },
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/finetune-projection.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
