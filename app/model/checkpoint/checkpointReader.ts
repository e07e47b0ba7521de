// Opens an official SAM checkpoint (.pth zip+pickle, or .safetensors) and reads tensors one at a
// time as float32 straight from file offsets, so multi-GB checkpoints never sit in memory whole.
// Every failure is a CheckpointFormatError naming the file: diagnosed problems say what is wrong,
// and an unexpected exception is wrapped (marked internal) rather than leaking a raw TypeError.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { asCheckpointError, CheckpointFileReader, CheckpointFormatError, CheckpointRefusedError, clip } from './checkpointError.js';
import { decodeFloats, FLOAT_ITEM_SIZE } from './floatDecode.js';
import { unpickle } from './pickle.js';
import { PickleError, PickleRefusedGlobal, PyDict, torchStorageRef, type StorageRef, type TensorRef } from './pickleGlobals.js';
import { SafetensorsReader } from './safetensorsReader.js';
import { checkView, gatherStrided, isContiguous, type CheckedView } from './tensorView.js';
import { entryDataOffset, readExactly, readZipDirectory, type ZipEntry } from './zipReader.js';

export { CheckpointFormatError, CheckpointRefusedError } from './checkpointError.js';
export { decodeFloats } from './floatDecode.js';

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

/** torch.save's data.pkl for vit_h is about 100 KB; a larger one is not a state dict we can use. */
export const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

/** Finds the state dict inside what torch.save wrote: the dict itself, or {'model'|'state_dict': ...}. */
function findStateDict(root: unknown, file: string): PyDict {
  const isTensorDict = (d: unknown): d is PyDict => d instanceof PyDict && d.size > 0 && [...d.values()].some((v) => (v as TensorRef)?.kind === 'tensor');
  if (isTensorDict(root)) return root;
  if (root instanceof PyDict) {
    for (const key of ['model', 'state_dict', 'model_state_dict', 'module']) {
      const inner = root.get(key);
      if (isTensorDict(inner)) return inner;
    }
  }
  throw new CheckpointFormatError(file, 'the pickle holds no state dict of tensors (expected a dict of name → tensor, or {"model": …})');
}

interface TensorLocation {
  ref: TensorRef;
  view: CheckedView;
  /** File offset of the storage's first byte. */
  storageOffset: number;
}

class PthReader extends CheckpointFileReader implements CheckpointReader {
  readonly format = 'pth' as const;
  readonly tensors: CheckpointTensorInfo[] = [];
  private readonly located = new Map<string, TensorLocation>();

  async init(fileSize: number): Promise<void> {
    const head = await readExactly(this.fh, this.file, 0, Math.min(fileSize, 4), 'the file header');
    if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) {
      this.fail('legacy (pre-1.6, non-zip) PyTorch serialization is not supported; re-save it with torch.save in torch ≥ 1.6');
    }
    const entries = await readZipDirectory(this.fh, this.file, fileSize);
    const pkls = entries.filter((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
    if (pkls.length === 0) this.fail('zip archive has no data.pkl: not a PyTorch checkpoint');
    if (pkls.length > 1) this.fail(`zip archive has ${pkls.length} data.pkl entries (${pkls.map((e) => e.name).join(', ')}): ambiguous, refused`);
    const pkl = pkls[0];
    if (pkl.size > MAX_PICKLE_BYTES) this.fail(`data.pkl declares ${pkl.size} bytes (limit ${MAX_PICKLE_BYTES}): not a state dict`);
    const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
    const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
    const byteorder = byName.get(`${prefix}byteorder`);
    if (byteorder) {
      if (byteorder.size > 16) this.fail(`byteorder entry of ${byteorder.size} bytes: corrupt`);
      const bo = (await readExactly(this.fh, this.file, await entryDataOffset(this.fh, this.file, fileSize, byteorder), byteorder.size, 'byteorder')).toString();
      if (bo.trim() !== 'little') this.fail(`storages are ${bo.trim()}-endian; only little-endian checkpoints are supported`);
    }
    const pklData = await readExactly(this.fh, this.file, await entryDataOffset(this.fh, this.file, fileSize, pkl), pkl.size, 'data.pkl');
    const storages = new Map<string, StorageRef>();
    let root: unknown;
    try {
      root = unpickle(pklData, (pid) => {
        const ref = torchStorageRef(pid);
        const seen = storages.get(ref.key);
        if (seen && (seen.dtype !== ref.dtype || seen.numel !== ref.numel)) throw new PickleError(`storage ${ref.key} is declared twice with different types or sizes`);
        storages.set(ref.key, ref);
        return ref;
      });
    } catch (err) {
      if (err instanceof PickleRefusedGlobal) throw new CheckpointRefusedError(this.file, err.global, err.dangerous);
      if (err instanceof PickleError) this.fail(`data.pkl could not be read: ${err.message}`);
      throw err;
    }
    const storageAt = new Map<string, { offset: number; size: number }>();
    for (const ref of storages.values()) {
      const entry = byName.get(`${prefix}data/${ref.key}`);
      if (!entry) this.fail(`storage data/${ref.key} is missing from the archive: truncated or corrupt`);
      storageAt.set(ref.key, { offset: await entryDataOffset(this.fh, this.file, fileSize, entry), size: entry.size });
    }
    const dict = findStateDict(root, this.file);
    for (const [key, value] of dict) {
      const ref = value as TensorRef;
      if (typeof key !== 'string' || ref?.kind !== 'tensor') continue;
      const at = storageAt.get(ref.storage.key)!;
      const view = checkView(ref, at.size);
      if (typeof view === 'string') this.fail(`tensor '${clip(key)}' (storage data/${ref.storage.key}): ${view}`);
      this.located.set(key, { ref, view, storageOffset: at.offset });
      this.tensors.push({ name: key, shape: ref.shape, dtype: ref.storage.dtype });
    }
  }

  async read(name: string): Promise<Float32Array> {
    const t = this.located.get(name);
    if (!t) this.fail(`no tensor named '${clip(name)}'`);
    const { ref, view } = t;
    const itemSize = FLOAT_ITEM_SIZE[ref.storage.dtype];
    if (itemSize === undefined) this.fail(`tensor '${clip(name)}' has dtype ${ref.storage.dtype}; only float32/float16/bfloat16/float64 are supported`);
    if (view.numel === 0) return new Float32Array(0);
    // Only the span of storage elements this (possibly strided, offset) view touches is read.
    const raw = await readExactly(this.fh, this.file, t.storageOffset + ref.offset * itemSize, view.span * itemSize, `tensor '${clip(name)}'`);
    const flat = decodeFloats(raw, ref.storage.dtype, view.span);
    if (isContiguous(ref.shape, ref.stride)) return view.span === view.numel ? flat : flat.slice(0, view.numel);
    return gatherStrided(flat, ref.shape, ref.stride, view.numel);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Wraps a reader so that an unexpected exception from read() still arrives as our error type. */
function guarded(reader: CheckpointReader): CheckpointReader {
  return {
    file: reader.file,
    format: reader.format,
    tensors: reader.tensors,
    read: async (name) => {
      try {
        return await reader.read(name);
      } catch (err) {
        throw asCheckpointError(reader.file, err);
      }
    },
    close: () => reader.close(),
  };
}

/** Opens a checkpoint by content (zip → .pth, else safetensors); errors name the file. */
export async function openCheckpoint(path: string): Promise<CheckpointReader> {
  let fh: FileHandle;
  try {
    // Only regular files: a FIFO would block the open, a device never end.
    const st = await stat(path);
    if (!st.isFile()) throw new CheckpointFormatError(path, 'is not a regular file');
    fh = await open(path, 'r');
  } catch (err) {
    if (err instanceof CheckpointFormatError) throw err;
    throw new CheckpointFormatError(path, `cannot open checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
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
    return guarded(reader);
  } catch (err) {
    await fh.close();
    throw asCheckpointError(path, err);
  }
}
