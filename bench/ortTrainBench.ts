// PA-SAM training steps on ONNX Runtime (the autodiff training graphs of app/onnx/training), not a
// test. Each case runs in its own child process so its peak resident memory is its own:
//   - vit_b MSPCA-LoRA (random weights, official shapes, frozen encoder): batch 2 S=256, S=512
//     batch 1, S=1024 batch 1 with per-block recomputation (case suffix `r`) — seconds and CPU seconds (process.cpuUsage, less load-sensitive)
//     per step, graph build + session times, peak RSS;
//   - tiny from scratch at S=224: images/s, ORT against tfjs-wasm (the tfjs StepEngine), same run.
// The machine is shared; `uptime` load is recorded before and after each case.
// Writes bench/results/ort-train.json.
//   node --import tsx bench/ortTrainBench.ts [--cases vitb-256x2,vitb-512x1,vitb-1024x1,tiny-224] [--steps 3] [--profile]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: 'vitb-256x2,vitb-512x1,vitb-1024x1r,tiny-224' },
    steps: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    /** The machine is shared: a case whose resident memory passes this is stopped and reported. */
    'rss-limit-gib': { type: 'string', default: '16' },
    child: { type: 'string' },
  },
});
const steps = Number(values.steps);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  }
};

interface CaseResult {
  [k: string]: unknown;
}

async function runCase(name: string): Promise<CaseResult> {
  const { initBackend } = await import('../app/tensor/backend.js');
  const { tf } = await import('../app/tensor/tf.js');
  const { PasamModel } = await import('../app/model/pasam/pasamModel.js');
  const { randomSamWeights, disposeSamWeights } = await import('../app/model/sam/weights.js');
  const { backboneConfig } = await import('../app/model/pasam/backbones.js');
  const { createOrtStepEngine } = await import('../app/onnx/training/ortStepEngine.js');
  const { createTfjsStepEngine, readParams } = await import('../app/engine/stepEngine.js');
  await initBackend();
  const [kind, spec] = name.split('-') as [string, string];
  const recompute = spec.endsWith('r');
  const [sStr, bStr] = spec.replace(/r$/, '').split('x');
  const s = Number(sStr);
  const batch = Number(bStr ?? (kind === 'tiny' ? 8 : 1));
  const loss = { ceWeight: 0.2, diceWeight: 0.8, lossOnUpsampledLogits: false };
  let model: import("../app/model/pasam/pasamModel.js").PasamModel;
  if (kind === 'vitb') {
    const sam = randomSamWeights(backboneConfig('vit_b'), 7);
    model = PasamModel.fromSam(sam, backboneConfig('vit_b'), { inputSize: s }, { numClasses: 4, seed: 3 });
    disposeSamWeights(sam);
  } else {
    model = PasamModel.fromScratch('tiny', { inputSize: s }, { numClasses: 4, seed: 3 });
  }
  const params = readParams(model);
  const rng = (n: number, seed: number) => {
    const a = new Float32Array(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 1664525 + 1013904223) >>> 0;
      a[i] = (x / 4294967296) * 4 - 2;
    }
    return a;
  };
  const images = rng(batch * s * s * 3, 1);
  const g = s / 4;
  const labels = new Int32Array(batch * g * g).map((_, i) => (i * 7) % 4);
  const profileDir = values.profile ? mkdtempSync(join(tmpdir(), 'ort-train-profile-')) : undefined;
  const t0 = performance.now();
  const engine = await createOrtStepEngine(model, { batch, loss, mode: 'train', recompute, ...(profileDir ? { profileFilePrefix: join(profileDir, 'step') } : {}) });
  const first = performance.now();
  const c0 = process.cpuUsage();
  await engine.step(params, images, labels);
  const firstStep = (performance.now() - first) / 1000;
  const firstCpu = cpuSeconds(process.cpuUsage(c0));
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await engine.step(params, images, labels);
    times.push((performance.now() - t) / 1000);
    cpu.push(cpuSeconds(process.cpuUsage(c)));
  }
  await engine.dispose();
  const result: CaseResult = {
    case: name,
    model: kind === 'vitb' ? 'vit_b MSPCA-LoRA (defaults), frozen encoder, random weights' : 'tiny from scratch (everything trainable)',
    inputSize: s,
    batch,
    recompute,
    trainableParams: model.describe().trainableParams,
    ortBuildAndFirstStepSeconds: round((performance.now() - t0) / 1000 - times.reduce((a, b) => a + b, 0)),
    ortFirstStepSeconds: round(firstStep),
    ortFirstStepCpuSeconds: round(firstCpu),
    ortStepSeconds: times.map((x) => round(x, 3)),
    ortStepMedianSeconds: round(median(times), 3),
    ortCpuSecondsPerStep: round(median(cpu), 3),
    ortImagesPerSecond: round(batch / median(times)),
  };
  if (profileDir) result.profile = summariseProfile(profileDir);
  if (kind === 'tiny') {
    const tfEngine = createTfjsStepEngine(model, loss);
    await tfEngine.step(params, images, labels);
    const tt: number[] = [];
    const tc: number[] = [];
    for (let i = 0; i < Math.max(2, Math.ceil(steps / 2)); i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      await tfEngine.step(params, images, labels);
      tt.push((performance.now() - t) / 1000);
      tc.push(cpuSeconds(process.cpuUsage(c)));
    }
    result.tfjsBackend = tf.getBackend();
    result.tfjsStepMedianSeconds = round(median(tt), 3);
    result.tfjsCpuSecondsPerStep = round(median(tc), 3);
    result.tfjsImagesPerSecond = round(batch / median(tt));
    result.ortSpeedup = round(median(tt) / median(times));
  }
  model.dispose();
  result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  return result;
}

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

/** Where the time goes: total op time by op type from ORT's Chrome-trace profile (last steps). */
function summariseProfile(dir: string): Record<string, unknown> {
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) return { error: 'no profile written' };
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const byOp = new Map<string, number>();
  let runs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  rmSync(dir, { recursive: true, force: true });
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return {
    runs,
    secondsPerRunByOp: Object.fromEntries([...byOp].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, round(v / 1e6 / Math.max(runs, 1), 3)])),
    kernelSecondsPerRun: round(total / 1e6 / Math.max(runs, 1), 3),
  };
}

/** Runs a case, polling its resident memory (Linux /proc) and stopping it past `limit` bytes. */
function runChild(args: string[], limit: number): Promise<{ stdout: string; stderr: string; stoppedAtBytes?: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stoppedAtBytes: number | undefined;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        if (kb * 1024 > limit) {
          stoppedAtBytes = kb * 1024;
          child.kill('SIGKILL');
        }
      } catch {
        // not Linux, or already gone
      }
    }, 500);
    child.on('close', () => {
      clearInterval(timer);
      resolve({ stdout, stderr, stoppedAtBytes });
    });
  });
}

if (values.child) {
  const r = await runCase(values.child);
  process.stdout.write(`\nRESULT ${JSON.stringify(r)}\n`);
} else {
  const resultsFile = fileURLToPath(new URL('./results/ort-train.json', import.meta.url));
  // Cases not re-run keep their earlier figures (each carries its own date and load).
  const earlier: CaseResult[] = (() => {
    try {
      const file = JSON.parse(readFileSync(resultsFile, 'utf8')) as { date: string; results: CaseResult[] };
      return file.results.map((r) => ({ measuredAt: file.date, ...r }));
    } catch {
      return [];
    }
  })();
  const results: CaseResult[] = [];
  // Written after every case, so a long run that is stopped keeps what it measured.
  const save = () => {
    const fresh = new Set(results.map((r) => r.case));
    const all = [...earlier.map((r) => (fresh.has(r.case) ? results.find((x) => x.case === r.case)! : r)), ...results.filter((r) => !earlier.some((e) => e.case === r.case))];
    const out = {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model.trim(), cores: cpus().length, memoryGiB: round(totalmem() / 1024 ** 3, 1), node: process.version },
      note: 'The machine is shared by up to 8 sessions: wall times depend on load (uptime before/after each case); CPU seconds per step are less load-sensitive. Each case has its own measuredAt. Targets (issue 12): vit_b batch 2 S=256 ≤ 1.5 s (PyTorch 1.13 CPU peer ≈ 3.5 s).',
      results: all,
    };
    mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  };
  for (const name of values.cases!.split(',').filter(Boolean)) {
    const before = uptime();
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', name, '--steps', String(steps), ...(values.profile ? ['--profile'] : [])];
    const run = await runChild(args, Number(values['rss-limit-gib']) * 1024 ** 3);
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const r: CaseResult = line
      ? JSON.parse(line.slice(7))
      : { case: name, error: run.stoppedAtBytes ? `stopped: resident memory passed ${values['rss-limit-gib']} GiB (${round(run.stoppedAtBytes / 1024 ** 3, 1)} GiB)` : (run.stderr || run.stdout).split('\n').slice(-8).join('\n') };
    r.measuredAt = new Date().toISOString();
    r.uptimeBefore = before;
    r.uptimeAfter = uptime();
    console.log(JSON.stringify(r, null, 1));
    results.push(r);
    save();
  }
}
