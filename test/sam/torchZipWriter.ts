// Writes small PyTorch-format checkpoints (zip of data.pkl + storages) for reader tests: shared
// storages, offsets, strided views, half/bfloat16 storages, any archive folder name — and, for the
// hostile-input tests, extra pickle items, duplicate entries and large zip extra fields.
import { writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

export interface FakeTensor {
  name: string;
  storageKey: string;
  offset: number;
  shape: number[];
  stride: number[];
}
export interface FakeStorage {
  key: string;
  /** Torch storage class: FloatStorage, HalfStorage, BFloat16Storage. */
  cls: string;
  numel: number;
  bytes: Uint8Array;
}

/** Emits pickle opcodes; the methods write what torch.save would, `op` anything else. */
export class PickleWriter {
  private chunks: Uint8Array[] = [];
  private parts: number[] = [];
  op(...bytes: number[]) {
    this.parts.push(...bytes);
    return this;
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    return this;
  }
  global(module: string, name: string) {
    return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  stackGlobal(module: string, name: string) {
    return this.str(module).str(name).op(0x93);
  }
  /** Integers as BININT1/BININT/LONG1, like pickle; non-integers as BINFLOAT (what a crafted file may hold). */
  int(n: number) {
    if (!Number.isInteger(n)) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(n);
      return this.op(0x47, ...b);
    }
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return this.op(0x4a, ...b);
    }
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return this.op(0x8a, 8, ...b);
  }
  /** LONG4 with the given little-endian two's-complement bytes. */
  long4(bytes: Uint8Array) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    return this.op(0x8b, ...len).raw(bytes);
  }
  /** Appends raw bytes as one chunk (push(...big) would overflow the call stack). */
  raw(bytes: Uint8Array) {
    this.chunks.push(Uint8Array.from(this.parts), bytes);
    this.parts = [];
    return this;
  }
  tuple(ns: number[]) {
    this.op(0x28);
    ns.forEach((n) => this.int(n));
    return this.op(0x74);
  }
  bytes(): Buffer {
    return Buffer.concat([...this.chunks, Uint8Array.from(this.parts)]);
  }
}

/**
 * The pickle torch.save writes for an OrderedDict of tensors (optionally wrapped as {'model': sd}).
 * `extraItems` writes further key/value pairs into the state dict (hostile globals, deep nesting).
 */
export function statePickle(tensors: FakeTensor[], storages: FakeStorage[], wrap = false, extraItems?: (w: PickleWriter) => void): Buffer {
  const w = new PickleWriter().op(0x80, 2);
  if (wrap) w.op(0x7d).str('model');
  w.global('collections', 'OrderedDict').op(0x29, 0x52, 0x28);
  const cls = new Map(storages.map((s) => [s.key, s]));
  for (const t of tensors) {
    const st = cls.get(t.storageKey)!;
    w.str(t.name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    w.op(0x28).str('storage').global('torch', st.cls).str(st.key).str('cpu').int(st.numel).op(0x74, 0x51);
    w.int(t.offset).tuple(t.shape).tuple(t.stride).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52).op(0x74, 0x52);
  }
  extraItems?.(w);
  w.op(0x75);
  if (wrap) w.op(0x73);
  return w.op(0x2e).bytes();
}

export interface ZipFileSpec {
  name: string;
  data: Uint8Array;
  /** Extra field bytes in the central directory and in the local header (up to 65535). */
  extra?: Uint8Array;
}

/** A stored (uncompressed) zip of the given entries, in order (duplicates allowed). */
export function zipBytes(files: ZipFileSpec[]): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data, extra = new Uint8Array(0) } of files) {
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nameBuf.length, 26);
    lh.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt16LE(extra.length, 30);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, nameBuf, Buffer.from(extra));
    chunks.push(lh, nameBuf, Buffer.from(extra), Buffer.from(data));
    offset += 30 + nameBuf.length + extra.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, cdBuf, eocd]);
}

/** The entries torch.save writes: `<folder>/data.pkl`, `<folder>/byteorder`, `<folder>/data/<key>`. */
export function torchZipFiles(folder: string, pickle: Uint8Array, storages: FakeStorage[]): ZipFileSpec[] {
  return [{ name: `${folder}/data.pkl`, data: pickle }, { name: `${folder}/byteorder`, data: Buffer.from('little') }, ...storages.map((s) => ({ name: `${folder}/data/${s.key}`, data: s.bytes }))];
}

/** A stored (uncompressed) zip with `<folder>/data.pkl`, `<folder>/data/<key>`, `<folder>/byteorder`. */
export function writeTorchZip(path: string, folder: string, pickle: Buffer, storages: FakeStorage[]): void {
  writeFileSync(path, zipBytes(torchZipFiles(folder, pickle, storages)));
}

export function floatBytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
