// Chooses the fastest TensorFlow.js backend that loads on this machine:
// tfjs-node-gpu → tfjs-node → wasm → cpu. PASAM_BACKEND forces one (gpu|node|wasm|cpu).
import { tf } from './tf.js';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT, builtFile } from '../buildMode.js';
import { installWasmKernelFixes } from './wasmKernelFixes.js';

export type BackendName = 'gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['gpu', 'node', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why this backend was not used (not installed, library missing, load error text). */
  reason?: string;
}

export interface BackendInfo {
  name: BackendName;
  /** The tfjs backend id (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  forced: boolean;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** GPU device name where the backend reports one. */
  device?: string;
}

const require = createRequire(import.meta.url);
let active: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

function describeLoadError(pkg: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/Cannot find (module|package)/.test(message) && message.includes(pkg)) return `${pkg} is not installed`;
  const lib = /(lib[\w.+-]+\.so[\w.]*)/.exec(message);
  if (lib) return `${pkg} is installed but ${lib[1]} could not be loaded (CUDA/cuDNN or libtensorflow missing): ${message.split('\n')[0]}`;
  return `${pkg} failed to load: ${message.split('\n')[0]}`;
}

async function tryNative(pkg: string): Promise<string | undefined> {
  try {
    await import(pkg);
    const ok = await tf.setBackend('tensorflow');
    if (!ok) return `${pkg} loaded but the 'tensorflow' backend did not initialise`;
    return undefined;
  } catch (err) {
    return describeLoadError(pkg, err);
  }
}

async function tryWasm(): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm binaries: copied beside the bundle by `npm run build`; in a checkout, the package's dist folder.
    wasm.setWasmPaths(BUILT ? fileURLToPath(builtFile('')) : dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
    const ok = await tf.setBackend('wasm');
    // The stock wasm Slice/SplitV/Unpack copy the whole source tensor per slice (tensor/wasmKernelFixes.ts).
    if (ok) installWasmKernelFixes();
    return ok ? undefined : 'the wasm backend did not initialise';
  } catch (err) {
    return describeLoadError('@tensorflow/tfjs-backend-wasm', err);
  }
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  switch (name) {
    case 'gpu':
      return tryNative('@tensorflow/tfjs-node-gpu');
    case 'node':
      return tryNative('@tensorflow/tfjs-node');
    case 'wasm':
      return tryWasm();
    case 'cpu':
      return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend did not initialise';
  }
}

function parseForced(value: string | undefined): BackendName | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  const alias: Record<string, BackendName> = { 'tfjs-node-gpu': 'gpu', 'tfjs-node': 'node', tensorflow: 'node' };
  const name = (alias[v] ?? v) as BackendName;
  if (!BACKEND_ORDER.includes(name)) {
    throw new Error(`PASAM_BACKEND=${value} is not a backend; use one of ${BACKEND_ORDER.join(', ')}`);
  }
  return name;
}

async function select(): Promise<BackendInfo> {
  const forced = parseForced(process.env.PASAM_BACKEND);
  const candidates = forced ? [forced] : BACKEND_ORDER;
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name);
    attempts.push(reason ? { name, ok: false, reason } : { name, ok: true });
    if (!reason) {
      await tf.ready();
      const info: BackendInfo = { name, tfBackend: tf.getBackend(), forced: forced !== undefined, attempts, tfjsVersion: tf.version_core };
      if (name === 'gpu') info.device = process.env.CUDA_VISIBLE_DEVICES ? `CUDA device ${process.env.CUDA_VISIBLE_DEVICES}` : 'CUDA device 0';
      return info;
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.reason}`).join('; ');
  throw new Error(forced ? `PASAM_BACKEND=${forced} could not be used: ${why}` : `no TensorFlow.js backend could be loaded: ${why}`);
}

/** Selects the backend once per process; later calls return the same choice. */
export function initBackend(): Promise<BackendInfo> {
  if (active) return Promise.resolve(active);
  pending ??= select().then((info) => (active = info));
  return pending;
}

export function activeBackend(): BackendInfo | undefined {
  return active;
}
