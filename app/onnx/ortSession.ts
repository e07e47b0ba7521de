// ONNX Runtime sessions: created once per model file and reused, on both cores, with the CUDA
// execution provider first where the installed onnxruntime-node has it.
import * as ort from 'onnxruntime-node';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

export interface OrtInfo {
  version: string;
  executionProviders: string[];
}

/**
 * Whether an execution provider that is not bundled with onnxruntime-node (CUDA, TensorRT) has its
 * provider library installed beside the binding (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci`).
 */
function providerInstalled(name: string): boolean {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
    return existsSync(join(bin, lib));
  } catch {
    return false;
  }
}

export function ortInfo(): OrtInfo {
  const backends = ort.listSupportedBackends?.() ?? [];
  return { version: ort.env.versions.common ?? 'unknown', executionProviders: backends.filter((b) => b.bundled || b.name === 'cpu' || providerInstalled(b.name)).map((b) => b.name) };
}

const sessions = new Map<string, { mtimeMs: number; session: ort.InferenceSession }>();

/** Checks the file looks like an ONNX protobuf before ORT sees it, for errors that say what is wrong. */
function assertLooksLikeOnnx(path: string): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read ONNX model (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (bytes.length < 16) throw new Error(`${path}: not an ONNX model (file is only ${bytes.length} bytes)`);
  // A ModelProto starts with field 1 (ir_version, varint) = 0x08.
  if (bytes[0] !== 0x08) throw new Error(`${path}: not an ONNX model (unexpected leading bytes)`);
}

export async function openOrtSession(path: string): Promise<ort.InferenceSession> {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    throw new Error(`${path}: ONNX model file not found`);
  }
  const cached = sessions.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.session;
  assertLooksLikeOnnx(path);
  const providers = ortInfo().executionProviders.includes('cuda') ? ['cuda', 'cpu'] : ['cpu'];
  let session: ort.InferenceSession;
  const create = (executionProviders: string[]) => ort.InferenceSession.create(path, { executionProviders, intraOpNumThreads: availableParallelism(), graphOptimizationLevel: 'all' });
  try {
    try {
      session = await create(providers);
    } catch (err) {
      // CUDA installed but unusable here (no GPU, driver or cuDNN): run on the CPU.
      if (providers.length === 1) throw err;
      session = await create(['cpu']);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${path}: ONNX Runtime cannot load this model (truncated or malformed?): ${message.split('\n')[0]}`);
  }
  if (cached) await cached.session.release();
  sessions.set(path, { mtimeMs, session });
  return session;
}

export async function releaseOrtSessions(): Promise<void> {
  for (const { session } of sessions.values()) await session.release();
  sessions.clear();
}
