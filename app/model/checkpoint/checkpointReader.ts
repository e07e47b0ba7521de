// Opens an official SAM checkpoint (.pth zip+pickle, or .safetensors) and reads tensors one at a
// time as float32 straight from file offsets, so multi-GB checkpoints never sit in memory whole.
import { open, type FileHandle } from 'node:fs/promises';
import { PickleError, PyDict, PyObject, torchStorageRef, unpickle, type StorageRef, type TensorRef } from './pickle.js';
import { CheckpointFormatError, entryDataOffset, readExactly, readZipDirectory, type ZipEntry } from './zipReader.js';

export { CheckpointFormatError } from './zipReader.js';

export interface CheckpointTensorInfo {
  name: string;
  shape: number[];
  /** float32 | float16 | bfloat16 | float64 | other torch dtype names (not readable). */
  dtype: string;
}

export interface CheckpointReader {
  readonly file: string;
  readonly format: 'pth' | 'safetensors';
  readonly tensors: CheckpointTensorInfo[];
  /** The tensor as row-major float32 (contiguous, in the checkpoint's own layout). */
  read(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

const ITEM_SIZE: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes `count` little-endian elements of `dtype` from `buf` to float32. */
export function decodeFloats(buf: Buffer, dtype: string, count: number): Float32Array {
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32':
      // Hosts are little-endian (x86, ARM), like the checkpoint data.
      new Uint8Array(out.buffer).set(buf.subarray(0, count * 4));
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = buf.readDoubleLE(i * 8);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(buf.readUInt16LE(i * 2));
      break;
    case 'bfloat16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = buf.readUInt16LE(i * 2) << 16;
      break;
    }
    default:
      throw new Error(`dtype ${dtype} cannot be read as float32`);
  }
  return out;
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Finds the state dict inside what torch.save wrote: the dict itself, or {'model'|'state_dict': ...}. */
function findStateDict(root: unknown, file: string): PyDict {
  const isTensorDict = (d: unknown): d is PyDict => d instanceof PyDict && d.size > 0 && [...d.values()].some((v) => (v as TensorRef)?.kind === 'tensor');
  if (isTensorDict(root)) return root;
  if (root instanceof PyDict) {
    for (const key of ['model', 'state_dict', 'model_state_dict', 'module']) {
      const inner = root.get(key);
      if (isTensorDict(inner)) return inner;
      if (inner instanceof PyObject && isTensorDict(inner.state)) return inner.state;
    }
  }
  throw new CheckpointFormatError(file, 'the pickle holds no state dict of tensors (expected a dict of name → tensor, or {"model": …})');
}

class PthReader implements CheckpointReader {
  readonly format = 'pth' as const;
  readonly tensors: CheckpointTensorInfo[] = [];
  private readonly refs = new Map<string, TensorRef>();
  private readonly storageOffsets = new Map<string, { offset: number; size: number }>();

  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  async init(fileSize: number): Promise<void> {
    const head = await readExactly(this.fh, this.file, 0, Math.min(fileSize, 4), 'the file header');
    if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) {
      throw new CheckpointFormatError(this.file, 'legacy (pre-1.6, non-zip) PyTorch serialization is not supported; re-save it with torch.save in torch ≥ 1.6');
    }
    const entries = await readZipDirectory(this.fh, this.file, fileSize);
    const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
    if (!pkl) throw new CheckpointFormatError(this.file, 'zip archive has no data.pkl: not a PyTorch checkpoint');
    const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
    const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
    const byteorder = byName.get(`${prefix}byteorder`);
    if (byteorder) {
      const bo = (await readExactly(this.fh, this.file, await entryDataOffset(this.fh, this.file, fileSize, byteorder), byteorder.size, 'byteorder')).toString();
      if (bo.trim() !== 'little') throw new CheckpointFormatError(this.file, `storages are ${bo.trim()}-endian; only little-endian checkpoints are supported`);
    }
    const pklData = await readExactly(this.fh, this.file, await entryDataOffset(this.fh, this.file, fileSize, pkl), pkl.size, 'data.pkl');
    const storages = new Map<string, StorageRef>();
    let root: unknown;
    try {
      root = unpickle(pklData, (pid) => {
        const ref = torchStorageRef(pid);
        storages.set(ref.key, ref);
        return ref;
      });
    } catch (err) {
      if (err instanceof PickleError) throw new CheckpointFormatError(this.file, `data.pkl could not be read: ${err.message}`);
      throw err;
    }
    const dict = findStateDict(root, this.file);
    for (const [key, value] of dict) {
      const ref = value as TensorRef;
      if (typeof key !== 'string' || ref?.kind !== 'tensor') continue;
      this.refs.set(key, ref);
      this.tensors.push({ name: key, shape: ref.shape, dtype: ref.storage.dtype });
    }
    for (const ref of storages.values()) {
      const entry = byName.get(`${prefix}data/${ref.key}`);
      if (!entry) throw new CheckpointFormatError(this.file, `storage data/${ref.key} is missing from the archive: truncated or corrupt`);
      const itemSize = ITEM_SIZE[ref.dtype];
      if (itemSize !== undefined && entry.size < ref.numel * itemSize) throw new CheckpointFormatError(this.file, `storage data/${ref.key} holds ${entry.size} bytes, fewer than its ${ref.numel} ${ref.dtype} elements: corrupt`);
      this.storageOffsets.set(ref.key, { offset: await entryDataOffset(this.fh, this.file, fileSize, entry), size: entry.size });
    }
  }

  async read(name: string): Promise<Float32Array> {
    const ref = this.refs.get(name);
    if (!ref) throw new Error(`${this.file}: no tensor named '${name}'`);
    const itemSize = ITEM_SIZE[ref.storage.dtype];
    if (itemSize === undefined) throw new CheckpointFormatError(this.file, `tensor '${name}' has dtype ${ref.storage.dtype}; only float32/float16/bfloat16/float64 are supported`);
    const n = numel(ref.shape);
    const loc = this.storageOffsets.get(ref.storage.key)!;
    if (n === 0) return new Float32Array(0);
    // Span of storage elements this (possibly strided, offset) view touches.
    let maxIndex = ref.offset;
    ref.shape.forEach((s, i) => (maxIndex += (s - 1) * ref.stride[i]));
    if (maxIndex >= ref.storage.numel) throw new CheckpointFormatError(this.file, `tensor '${name}' reaches beyond its storage: corrupt`);
    const span = maxIndex - ref.offset + 1;
    const raw = await readExactly(this.fh, this.file, loc.offset + ref.offset * itemSize, span * itemSize, `tensor '${name}'`);
    const flat = decodeFloats(raw, ref.storage.dtype, span);
    if (isContiguous(ref.shape, ref.stride)) return span === n ? flat : flat.slice(0, n);
    return gatherStrided(flat, ref.shape, ref.stride);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

function gatherStrided(src: Float32Array, shape: number[], stride: number[]): Float32Array {
  const out = new Float32Array(numel(shape));
  const idx = new Array<number>(shape.length).fill(0);
  let s = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[s];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      s += stride[d];
      if (idx[d] < shape[d]) break;
      s -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

const SAFETENSORS_DTYPES: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };

class SafetensorsReader implements CheckpointReader {
  readonly format = 'safetensors' as const;
  readonly tensors: CheckpointTensorInfo[] = [];
  private readonly entries = new Map<string, { dtype: string; shape: number[]; begin: number; end: number }>();
  private dataStart = 0;

  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  async init(fileSize: number): Promise<void> {
    const lenBuf = await readExactly(this.fh, this.file, 0, 8, 'the safetensors header length');
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > 100 * 1024 * 1024) throw new CheckpointFormatError(this.file, 'not a safetensors file (implausible header length)');
    if (8 + headerLen > fileSize) throw new CheckpointFormatError(this.file, 'safetensors header extends beyond the end of the file: truncated');
    const headerText = (await readExactly(this.fh, this.file, 8, headerLen, 'the safetensors header')).toString('utf8');
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(headerText);
    } catch {
      throw new CheckpointFormatError(this.file, 'safetensors header is not valid JSON: not a safetensors file or corrupt');
    }
    this.dataStart = 8 + headerLen;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (!info || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets)) throw new CheckpointFormatError(this.file, `safetensors entry '${name}' is malformed`);
      const dtype = SAFETENSORS_DTYPES[info.dtype] ?? info.dtype;
      const [begin, end] = info.data_offsets;
      if (this.dataStart + end > fileSize) throw new CheckpointFormatError(this.file, `tensor '${name}' extends beyond the end of the file: truncated`);
      this.entries.set(name, { dtype, shape: info.shape, begin, end });
      this.tensors.push({ name, shape: info.shape, dtype });
    }
  }

  async read(name: string): Promise<Float32Array> {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.file}: no tensor named '${name}'`);
    const itemSize = ITEM_SIZE[e.dtype];
    if (itemSize === undefined) throw new CheckpointFormatError(this.file, `tensor '${name}' has dtype ${e.dtype}; only F32/F16/BF16/F64 are supported`);
    const n = numel(e.shape);
    if (e.end - e.begin !== n * itemSize) throw new CheckpointFormatError(this.file, `tensor '${name}' byte range does not match its shape`);
    const raw = await readExactly(this.fh, this.file, this.dataStart + e.begin, n * itemSize, `tensor '${name}'`);
    return decodeFloats(raw, e.dtype, n);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Opens a checkpoint by content (zip → .pth, else safetensors); errors name the file. */
export async function openCheckpoint(path: string): Promise<CheckpointReader> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new Error(`${path}: cannot open checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new CheckpointFormatError(path, `only ${size} bytes: not a checkpoint`);
    const magic = await readExactly(fh, path, 0, 4, 'the file header');
    const reader = magic.readUInt32LE(0) === 0x04034b50 || (magic[0] === 0x80 && magic[1] <= 5) ? new PthReader(path, fh) : new SafetensorsReader(path, fh);
    if (reader instanceof SafetensorsReader && !/\.safetensors$/i.test(path) && magic.readUInt32LE(0) === 0) {
      // a leading zero length is no safetensors header either.
      throw new CheckpointFormatError(path, 'neither a PyTorch zip checkpoint nor a safetensors file');
    }
    try {
      await reader.init(size);
    } catch (err) {
      if (reader instanceof SafetensorsReader && err instanceof CheckpointFormatError && !/\.safetensors$/i.test(path)) {
        throw new CheckpointFormatError(path, 'neither a PyTorch zip checkpoint nor a safetensors file');
      }
      throw err;
    }
    return reader;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
