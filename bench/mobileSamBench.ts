// MobileSAM's TinyViT encoder against SAM vit_b, same run, same machine (not a test): seconds per
// image of the image encoder at S = 1024 on ONNX Runtime (and TinyViT on tfjs), random weights of
// the official shapes (mobile_sam.pt: TinyViT-5M; sam_vit_b). CPU time per image is reported too,
// which the other jobs sharing the machine disturb less than wall time.
// Writes bench/results/mobile-sam-encoder.json.
//   node --import tsx bench/mobileSamBench.ts [--size 1024] [--runs 3] [--tfjs-runs 1]
import * as ort from 'onnxruntime-node';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf } from '../app/tensor/tf.js';
import { initBackend } from '../app/tensor/backend.js';
import { mobileSamConfig, presetConfig, type SamConfig } from '../app/model/sam/config.js';
import { SamModel } from '../app/model/sam/samModel.js';
import { randomSamWeights, samWeightTensors } from '../app/model/sam/weights.js';
import { buildSamEncoderGraph, writeModel } from '../app/onnx/samExport.js';
import { openOrtSession, ortInfo, releaseOrtSessions } from '../app/onnx/ortSession.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1024' }, runs: { type: 'string', default: '3' }, 'tfjs-runs': { type: 'string', default: '1' } } });
const S = Number(values.size);
const runs = Number(values.runs);
const tfjsRuns = Number(values['tfjs-runs']);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** mobile_sam.pt's architecture (MobileSAM's build_sam_vit_t). */
const MOBILE_SAM: SamConfig = mobileSamConfig(
  { embedDims: [64, 128, 160, 320], depths: [2, 2, 6, 2], numHeads: [2, 4, 5, 10], windowSizes: [7, 7, 14, 7], mlpRatio: 4, mbconvExpandRatio: 4, localConvSize: 3, neckDim: 256 },
  { ...presetConfig('vit_b'), imgSize: 1024 },
);

const backend = await initBackend();
const tmp = mkdtempSync(join(tmpdir(), 'pasam-mobilesam-bench-'));
const loadAtStart = loadavg().map((x) => round(x, 2));

async function ortEncoder(name: string, cfg: SamConfig): Promise<Record<string, number>> {
  const weights = randomSamWeights(cfg, 7);
  const params = samWeightTensors(weights).filter((t, i, a) => a.indexOf(t) === i);
  const file = join(tmp, `${name}.onnx`);
  try {
    writeModel(buildSamEncoderGraph(weights, cfg, S), file);
  } finally {
    tf.dispose(params);
  }
  const session = await openOrtSession(file);
  const image = new ort.Tensor('float32', new Float32Array(3 * S * S).map((_, i) => Math.sin(i) * 2), [1, 3, S, S]);
  await session.run({ image }); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await session.run({ image });
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  console.log(`${name} ORT S=${S}: ${round(median(wall))} s/image (cpu ${round(median(cpu))} s)`);
  return { secondsPerImage: round(median(wall)), cpuSecondsPerImage: round(median(cpu)), runs, parameters: params.reduce((a, t) => a + t.size, 0) };
}

async function tfjsTinyVit(): Promise<Record<string, number>> {
  const model = new SamModel(MOBILE_SAM, randomSamWeights(MOBILE_SAM, 7), S);
  const x = tf.randomNormal([1, S, S, 3]) as tf.Tensor4D;
  const wall: number[] = [];
  try {
    for (let r = 0; r < tfjsRuns; r++) {
      const t0 = performance.now();
      const emb = model.encodeImage(x);
      await emb.data();
      emb.dispose();
      wall.push((performance.now() - t0) / 1000);
    }
  } finally {
    x.dispose();
    model.dispose();
  }
  console.log(`MobileSAM tfjs-${backend.name} S=${S}: ${round(median(wall))} s/image`);
  return { secondsPerImage: round(median(wall)), runs: tfjsRuns };
}

const mobileOrt = await ortEncoder('mobile_sam', MOBILE_SAM);
const vitbOrt = await ortEncoder('vit_b', presetConfig('vit_b'));
const mobileTfjs = await tfjsTinyVit();
await releaseOrtSessions();
rmSync(tmp, { recursive: true, force: true });

const result = {
  bench: 'mobile-sam-encoder',
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model.trim(),
    cores: cpus().length,
    totalMemGiB: round(totalmem() / 1024 ** 3, 1),
    platform: `${platform()} ${arch()}`,
    node: process.version,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
    note: 'the 2 cores were shared with other jobs while this ran (see the load averages): wall times are pessimistic; CPU seconds and the ratio are the better guide',
  },
  onnxRuntime: ortInfo(),
  tfjsBackend: backend.name,
  inputSize: S,
  encoder: { mobileSam: { ort: mobileOrt, tfjs: mobileTfjs }, vitB: { ort: vitbOrt } },
  ratios: {
    vitBOverMobileSamWall: round(vitbOrt.secondsPerImage! / mobileOrt.secondsPerImage!, 2),
    vitBOverMobileSamCpu: round(vitbOrt.cpuSecondsPerImage! / mobileOrt.cpuSecondsPerImage!, 2),
  },
};
const out = fileURLToPath(new URL('./results/mobile-sam-encoder.json', import.meta.url));
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`vit_b / MobileSAM: ${result.ratios.vitBOverMobileSamWall}× wall, ${result.ratios.vitBOverMobileSamCpu}× CPU → ${out}`);
