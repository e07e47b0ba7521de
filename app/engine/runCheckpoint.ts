// A run's checkpoints: <project>/runs/<runId>/{last,best}/ each holding checkpoint.json (small:
// config, base model hash, position, tensor index) and one float32/int32 binary with the trained
// tensors and the optimiser state. The binary is written under a fresh name and renamed into
// place, then checkpoint.json is replaced the same way; the JSON rename is the commit point, so a
// kill at any moment leaves either the previous checkpoint or the new one, never a mixture.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from './trainConfig.js';
import { validateTrainConfig } from './trainConfig.js';

export const CHECKPOINT_FORMAT = 'pasam-run-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_JSON = 'checkpoint.json';
export type CheckpointKind = 'last' | 'best';

export type TensorGroup = 'model' | 'optimizer';

/** Host-side copy of one tensor (what the file holds). */
export interface HostTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface TensorEntry {
  group: TensorGroup;
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  byteOffset: number;
  byteLength: number;
}

/** Where the loop stands; enough to continue exactly where it stopped. */
export interface TrainPosition {
  /** Epochs fully completed (incl. their validation). */
  epochsDone: number;
  /** Micro-batches of the current epoch already consumed (0 at an epoch boundary). */
  batchInEpoch: number;
  /** Optimiser steps taken so far. */
  step: number;
  totalSteps: number;
  bestMetric: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
  /** Sum/count of the loss over the current epoch so far (mean loss survives a mid-epoch resume). */
  epochLossSum: number;
  epochLossCount: number;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  kind: CheckpointKind;
  runId: number;
  createdAt: string;
  config: TrainConfig;
  /** The base model the trained tensors apply to (null for a from-scratch preset). */
  base: { name: string; sha256: string | null } | null;
  numClasses: number;
  position: TrainPosition;
  /** Validation metrics at this point (null before the first validation). */
  metrics: Record<string, unknown> | null;
  /** Non-tensor optimiser state (e.g. its step count). */
  optimizer: Record<string, unknown>;
  dataFile: string;
  dataBytes: number;
  dataSha256: string;
  tensors: TensorEntry[];
}

export interface Checkpoint {
  meta: CheckpointMeta;
  model: Map<string, HostTensor>;
  optimizer: Map<string, HostTensor>;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function runDir(projectDir: string, runId: number): string {
  return join(projectDir, 'runs', String(runId));
}

export function checkpointDir(projectDir: string, runId: number, kind: CheckpointKind): string {
  return join(runDir(projectDir, runId), kind);
}

function writeFileDurable(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on directories; the renames are still atomic.
  }
}

function bytesOf(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Writes a checkpoint atomically into `dir` (created if needed). `meta` lacks the file fields,
 * which are filled in here. Older binaries in `dir` are removed once the new JSON is in place.
 */
export function writeCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'format' | 'version' | 'dataFile' | 'dataBytes' | 'dataSha256' | 'tensors' | 'createdAt'>,
  model: Map<string, HostTensor>,
  optimizer: Map<string, HostTensor>,
): CheckpointMeta {
  mkdirSync(dir, { recursive: true });
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let offset = 0;
  for (const [group, tensors] of [['model', model], ['optimizer', optimizer]] as const) {
    for (const [name, t] of tensors) {
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (t.data.length !== expected) throw new CheckpointError(`tensor '${name}' has ${t.data.length} values but shape [${t.shape}]`);
      const b = bytesOf(t);
      entries.push({ group, name, shape: [...t.shape], dtype: t.dtype, byteOffset: offset, byteLength: b.byteLength });
      chunks.push(b);
      hash.update(b);
      offset += b.byteLength;
    }
  }
  const stamp = `${Date.now().toString(36)}-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  const dataFile = `tensors-${stamp}.bin`;
  writeFileDurable(join(dir, `.${dataFile}.tmp`), chunks);
  renameSync(join(dir, `.${dataFile}.tmp`), join(dir, dataFile));
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...meta,
    createdAt: new Date().toISOString(),
    dataFile,
    dataBytes: offset,
    dataSha256: hash.digest('hex'),
    tensors: entries,
  };
  const jsonTmp = join(dir, `.${CHECKPOINT_JSON}.${stamp}.tmp`);
  writeFileDurable(jsonTmp, [Buffer.from(JSON.stringify(full, null, 1))]);
  renameSync(jsonTmp, join(dir, CHECKPOINT_JSON));
  fsyncDir(dir);
  // Only now is the previous binary unreferenced; leftovers of killed writes go too.
  for (const f of readdirSync(dir)) {
    if (f !== dataFile && f !== CHECKPOINT_JSON && (f.startsWith('tensors-') || f.startsWith('.'))) rmSync(join(dir, f), { force: true });
  }
  return full;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON));
}

/** The checkpoint a run predicts with ('auto'): its best when it has one, else its last. */
export function autoCheckpointKind(projectDir: string, runId: number): CheckpointKind {
  return hasCheckpoint(checkpointDir(projectDir, runId, 'best')) ? 'best' : 'last';
}

/** Reads only checkpoint.json (cheap; for listings and resume decisions). */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  const file = join(dir, CHECKPOINT_JSON);
  if (!existsSync(file)) throw new CheckpointError(`${file}: no checkpoint here`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as CheckpointMeta;
  } catch (err) {
    throw new CheckpointError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (meta?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${file}: not a ${CHECKPOINT_FORMAT} file`);
  if (meta.version !== CHECKPOINT_VERSION) throw new CheckpointError(`${file}: format version ${meta.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  if (!Array.isArray(meta.tensors) || typeof meta.dataFile !== 'string' || !meta.position) throw new CheckpointError(`${file}: incomplete checkpoint description`);
  try {
    validateTrainConfig(meta.config);
  } catch (err) {
    throw new CheckpointError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return meta;
}

/** Reads and verifies a whole checkpoint (size and sha256 of the binary, every tensor's extent). */
export function readCheckpoint(dir: string): Checkpoint {
  const meta = readCheckpointMeta(dir);
  const binPath = join(dir, meta.dataFile);
  if (!existsSync(binPath)) throw new CheckpointError(`${binPath}: missing (checkpoint.json refers to it)`);
  const bytes = readFileSync(binPath);
  if (bytes.byteLength !== meta.dataBytes) throw new CheckpointError(`${binPath}: ${bytes.byteLength} bytes, expected ${meta.dataBytes} (truncated or damaged)`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== meta.dataSha256) throw new CheckpointError(`${binPath}: content does not match its sha256 (damaged)`);
  const model = new Map<string, HostTensor>();
  const optimizer = new Map<string, HostTensor>();
  for (const e of meta.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.byteLength !== n * 4 || e.byteOffset + e.byteLength > bytes.byteLength) throw new CheckpointError(`${binPath}: tensor '${e.name}' does not fit its shape [${e.shape}]`);
    // Copy into an aligned buffer (the file buffer's offset is not 4-byte aligned in general).
    const buf = new ArrayBuffer(e.byteLength);
    new Uint8Array(buf).set(bytes.subarray(e.byteOffset, e.byteOffset + e.byteLength));
    const data = e.dtype === 'int32' ? new Int32Array(buf) : new Float32Array(buf);
    (e.group === 'optimizer' ? optimizer : model).set(e.name, { shape: e.shape, dtype: e.dtype, data });
  }
  return { meta, model, optimizer };
}
