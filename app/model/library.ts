// The app's model library: PASAM_HOME/models/<name>/ holds model.json (config, source, tensor
// index) and weights.bin (float32, TF.js layouts, tensors back to back).
import { tf } from '../tensor/tf.js';
import { existsSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { assertFits } from '../tensor/memoryGuard.js';
import type { SamConfig } from './sam/config.js';
import { buildSamWeights, samWeightTensors, type SamWeights } from './sam/weights.js';

export const MODEL_FORMAT = 'pasam-sam-weights';
export const MODEL_FORMAT_VERSION = 1;

export interface StoredTensor {
  /** Official segment-anything name. */
  name: string;
  /** Shape in the TF.js layout. */
  shape: number[];
  /** Byte offset in weights.bin. */
  offset: number;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: number;
  name: string;
  /** Stable id of these weights (from the source's sha256); keys embedding caches. */
  modelId: string;
  preset: string | null;
  config: SamConfig;
  source: { file: string; sha256: string; bytes: number; format: 'pth' | 'safetensors'; nameStyle: 'official' | 'hf' };
  importedAt: string;
  weightsFile: string;
  tensors: StoredTensor[];
}

export function pasamHome(): string {
  return process.env.PASAM_HOME || join(homedir(), '.pasam');
}

export function modelsRoot(): string {
  return join(pasamHome(), 'models');
}

export function modelDir(name: string): string {
  return join(modelsRoot(), name);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkModelName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`model name '${name}' must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

export async function readModelManifest(name: string): Promise<ModelManifest> {
  checkModelName(name);
  const file = join(modelDir(name), 'model.json');
  if (!existsSync(file)) throw new Error(`model '${name}' is not in the library (${modelsRoot()}); import one with 'pasam model import'`);
  let m: ModelManifest;
  try {
    m = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (m.format !== MODEL_FORMAT) throw new Error(`${file}: not a ${MODEL_FORMAT} manifest`);
  if (m.version > MODEL_FORMAT_VERSION) throw new Error(`${file}: format version ${m.version} is newer than this app supports (${MODEL_FORMAT_VERSION})`);
  return m;
}

export async function listModels(): Promise<ModelManifest[]> {
  const root = modelsRoot();
  if (!existsSync(root)) return [];
  const out: ModelManifest[] = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (!existsSync(join(root, entry.name, 'model.json'))) continue;
    out.push(await readModelManifest(entry.name));
  }
  return out;
}

/** Loads a library model's weights as tensors, one tensor read at a time. */
export async function loadModelWeights(name: string): Promise<{ manifest: ModelManifest; weights: SamWeights }> {
  const manifest = await readModelManifest(name);
  const file = join(modelDir(name), manifest.weightsFile);
  const totalBytes = manifest.tensors.reduce((a, t) => a + 4 * t.shape.reduce((x, y) => x * y, 1), 0);
  assertFits(`the weights of model '${name}'`, totalBytes);
  const fh = await open(file, 'r');
  const tensors = new Map<string, tf.Tensor>();
  try {
    const { size } = await fh.stat();
    for (const t of manifest.tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (t.offset + n * 4 > size) throw new Error(`${file}: ends before tensor '${t.name}' (truncated); re-import the model`);
      const buf = Buffer.alloc(n * 4);
      await fh.read(buf, 0, n * 4, t.offset);
      const data = new Float32Array(buf.buffer, buf.byteOffset, n); // little-endian host and file
      tensors.set(t.name, tf.tensor(data, t.shape));
    }
  } catch (err) {
    tf.dispose([...tensors.values()]);
    throw err;
  } finally {
    await fh.close();
  }
  let weights: SamWeights;
  try {
    weights = buildSamWeights(manifest.config, (n) => {
      const t = tensors.get(n);
      if (!t) throw new Error(`${file}: model.json lacks tensor '${n}'; re-import the model`);
      return t;
    });
  } catch (err) {
    tf.dispose([...tensors.values()]);
    throw err;
  }
  // Tensors the structure does not hold (MobileSAM's raw batch-norm statistics, folded into
  // their convolutions while building) are freed here.
  const held = new Set(samWeightTensors(weights));
  tf.dispose([...tensors.values()].filter((t) => !held.has(t)));
  return { manifest, weights };
}
