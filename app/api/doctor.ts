// Facts about this machine and the compute backend, for `pasam doctor` and the hardware-based
// training presets.
import { tf } from '../tensor/tf.js';
import { cpus, totalmem, freemem, platform, arch } from 'node:os';
import { createRequire } from 'node:module';
import { initBackend, type BackendInfo } from '../tensor/backend.js';
import { chooseTrainEngine, describeChoice, type TrainEngineChoice } from '../finetune/trainEngineChoice.js';

const require = createRequire(import.meta.url);

export interface DoctorReport {
  backend: BackendInfo;
  node: string;
  platform: string;
  cpu: { model: string; cores: number };
  memory: { totalBytes: number; freeBytes: number };
  versions: Record<string, string>;
  /** ONNX Runtime, used for inference of exported models; `error` says why it is unavailable. */
  onnxRuntime: { version?: string; executionProviders?: string[]; error?: string };
  /** The engine and execution provider fine-tuning would use now, and why each faster one was skipped. */
  trainingEngine: TrainEngineChoice | { error: string };
}

async function trainingEngineReport(): Promise<DoctorReport['trainingEngine']> {
  try {
    return await chooseTrainEngine();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

async function onnxRuntimeReport(): Promise<DoctorReport['onnxRuntime']> {
  try {
    const { ortInfo } = await import('../onnx/ortSession.js');
    return ortInfo();
  } catch (err) {
    return { error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

export async function doctorReport(): Promise<DoctorReport> {
  const backend = await initBackend();
  const cpuList = cpus();
  return {
    backend,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length },
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    versions: { tfjs: tf.version_core, ...backendVersions() },
    onnxRuntime: await onnxRuntimeReport(),
    trainingEngine: await trainingEngineReport(),
  };
}

/** Versions of the tfjs backend packages that are installed (the loaded one is in `backend`). */
function backendVersions(): Record<string, string> {
  const v: Record<string, string> = {};
  for (const pkg of ['tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-node', 'tfjs-node-gpu']) {
    try {
      v[pkg] = (require(`@tensorflow/${pkg}/package.json`) as { version: string }).version;
    } catch {
      // not installed
    }
  }
  return v;
}

export function formatDoctor(r: DoctorReport): string[] {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  const lines = [`backend: ${r.backend.name} (tfjs '${r.backend.tfBackend}')${r.backend.forced ? ' — forced by PASAM_BACKEND' : ''}`];
  for (const a of r.backend.attempts) if (!a.ok) lines.push(`  skipped ${a.name}: ${a.reason}`);
  if (r.backend.device) lines.push(`device: ${r.backend.device}`);
  lines.push(`node: ${r.node} on ${r.platform}`);
  lines.push(`cpu: ${r.cpu.model}, ${r.cpu.cores} cores`);
  lines.push(`memory: ${gib(r.memory.totalBytes)} total, ${gib(r.memory.freeBytes)} free`);
  const o = r.onnxRuntime;
  lines.push(o.error ? `onnx runtime: unavailable (${o.error})` : `onnx runtime: ${o.version}, execution providers ${o.executionProviders?.join(', ')}`);
  const t = r.trainingEngine;
  if ('error' in t) lines.push(`training engine: cannot be chosen (${t.error})`);
  else lines.push(...describeChoice(t).map((l, i) => (i === 0 && t.forcedBy ? `${l} — forced by ${t.forcedBy}` : l)));
  lines.push(`versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  return lines;
}
