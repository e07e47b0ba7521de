// Fuzz cases for the checkpoint parsers (zip, pickle, tensor views, safetensors), shared by
// test/sam/checkpointFuzz.test.ts and bench/fuzzSoak.ts. Each case writes one file and reads it
// whole; it must end in a clean CheckpointFormatError or a read whose every tensor has its shape.
// Families whose outcome is known (hostile globals, duplicates, valid views) assert that outcome.
// Over 400 lines because it holds the hand-made hostile pickles next to the families that use them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, CheckpointRefusedError, openCheckpoint } from '../../app/model/checkpoint/checkpointReader.js';
import { mutate, pick, randInt, type FuzzCase, type Rng } from '../helpers/fuzz.js';
import { floatBytes, PickleWriter, statePickle, torchZipFiles, zipBytes, type FakeStorage, type FakeTensor, type ZipFileSpec } from './torchZipWriter.js';

/** The error a clean refusal must be: ours, and diagnosed (not a wrapped parser bug). */
export function isCleanRefusal(err: unknown): boolean {
  return err instanceof CheckpointFormatError && !err.internal;
}

class CaseAssertion extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseAssertion';
  }
}

const READABLE = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/** Opens and reads every float tensor, checking each has its declared number of elements. */
export async function readWhole(path: string): Promise<Map<string, Float32Array>> {
  const r = await openCheckpoint(path);
  const out = new Map<string, Float32Array>();
  try {
    for (const t of r.tensors) {
      if (!READABLE.has(t.dtype)) continue;
      const data = await r.read(t.name);
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw new CaseAssertion(`${t.name}: read ${data.length} values for shape [${t.shape}]`);
      out.set(t.name, data);
    }
  } finally {
    await r.close();
  }
  return out;
}

async function expectError(path: string, check: (err: unknown) => string | null): Promise<void> {
  try {
    await readWhole(path);
  } catch (err) {
    const problem = check(err);
    if (problem) throw new CaseAssertion(`${problem}; got ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err)}`);
    return;
  }
  throw new CaseAssertion(`expected a refusal, but ${path} was read`);
}

/** The parsed entries of a stored zip we wrote or trust (fixtures): for rebuilding with one part changed. */
export function unzipStored(zip: Buffer): ZipFileSpec[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const files: ZipFileSpec[] = [];
  for (let i = 0; i < count; i++) {
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const next = p + 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const lho = zip.readUInt32LE(p + 42);
    const start = lho + 30 + zip.readUInt16LE(lho + 26) + zip.readUInt16LE(lho + 28);
    files.push({ name: zip.toString('utf8', p + 46, p + 46 + nameLen), data: zip.subarray(start, start + size) });
    p = next;
  }
  return files;
}

export interface CheckpointCorpus {
  /** ../shared sam-tiny .pth, split into entries (data.pkl first as torch writes it). */
  samTinyFiles: ZipFileSpec[];
  samTinyPth: Buffer;
  samTinySafetensors: Buffer;
  /** A small torch zip with views, float16 and a wrapper, built by torchZipWriter. */
  small: { tensors: FakeTensor[]; storages: FakeStorage[] };
}

export function loadCorpus(samTinyDir: string): CheckpointCorpus {
  const samTinyPth = readFileSync(join(samTinyDir, 'sam_tiny.pth'));
  const half = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) half.writeUInt16LE(0x3c00 + i * 0x40, i * 2);
  const storages: FakeStorage[] = [
    { key: '0', cls: 'FloatStorage', numel: 24, bytes: floatBytes(Array.from({ length: 24 }, (_, i) => i)) },
    { key: '1', cls: 'HalfStorage', numel: 8, bytes: half },
  ];
  const tensors: FakeTensor[] = [
    { name: 'w', storageKey: '0', offset: 0, shape: [4, 6], stride: [6, 1] },
    { name: 'w_t', storageKey: '0', offset: 0, shape: [6, 4], stride: [1, 6] },
    { name: 'tail', storageKey: '0', offset: 20, shape: [4], stride: [1] },
    { name: 'h', storageKey: '1', offset: 2, shape: [2, 3], stride: [3, 1] },
  ];
  return { samTinyFiles: unzipStored(samTinyPth), samTinyPth, samTinySafetensors: readFileSync(join(samTinyDir, 'sam_tiny.safetensors')), small: { tensors, storages } };
}

/** Globals that must refuse a file, as [module, name, the global the error names]. */
export const HOSTILE_GLOBALS: [string, string][] = [
  ['posix', 'system'],
  ['nt', 'system'],
  ['os', 'system'],
  ['os', 'popen'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['builtins', 'getattr'],
  ['builtins', '__import__'],
  ['__builtin__', 'eval'],
  ['subprocess', 'Popen'],
  ['subprocess', 'check_output'],
  ['runpy', '_run_code'],
  ['pty', 'spawn'],
  ['webbrowser', 'open'],
  ['shutil', 'rmtree'],
  ['torch', 'load'],
  ['torch._utils', '_rebuild_qtensor'],
  ['numpy.core.multiarray', '_reconstruct'],
  ['argparse', 'Namespace'],
  ['__main__', 'Payload'],
];

/** Ways a hostile global can hide in a state dict; each writes one key/value pair. */
export const HOSTILE_PLACEMENTS: Record<string, (w: PickleWriter, module: string, name: string) => void> = {
  reduceGlobal: (w, m, n) => w.str('hook').global(m, n).str('id').op(0x85, 0x52),
  reduceStackGlobal: (w, m, n) => w.str('hook').stackGlobal(m, n).str('id').op(0x85, 0x52),
  inst: (w, m, n) => w.str('hook').op(0x28).str('id').op(0x69, ...Buffer.from(`${m}\n${n}\n`, 'latin1')),
  // getattr(__import__(m), n)('id'): the classic chain; refused at its first global.
  // m.n(m.n('id')): a chain of calls; refused at its first global.
  reduceChain: (w, m, n) => w.str('hook').global(m, n).global(m, n).str('id').op(0x85, 0x52, 0x85, 0x52),
  asKey: (w, m, n) => w.global(m, n).op(0x29, 0x52).str('value'),
  insideList: (w, m, n) => w.str('hooks').op(0x5d, 0x28).int(1).int(2).global(m, n).op(0x29, 0x52, 0x65),
  notCalled: (w, m, n) => w.str('cls').global(m, n),
};

/** A state dict item whose value is nested `depth` deep in the given way. */
export function deepValue(kind: 'tuples' | 'marks' | 'dicts' | 'appends', depth: number): (w: PickleWriter) => void {
  return (w) => {
    w.str(`deep_${kind}`);
    if (kind === 'tuples') w.op(0x29).raw(new Uint8Array(depth).fill(0x85));
    else if (kind === 'marks') w.raw(new Uint8Array(depth).fill(0x28)).raw(new Uint8Array(depth).fill(0x6c));
    else if (kind === 'dicts') {
      for (let i = 0; i < depth; i++) w.op(0x28, 0x8c, 1, 0x6b);
      w.op(0x7d).raw(new Uint8Array(depth).fill(0x64));
    } else {
      // One list with `depth` items appended at once (APPENDS).
      w.op(0x5d, 0x28);
      const items = new Uint8Array(depth * 2);
      for (let i = 0; i < depth; i++) items.set([0x4b, i & 0xff], i * 2);
      w.raw(items).op(0x65);
    }
  };
}

/** A tensor rebuilt through `depth` nested torch._tensor._rebuild_from_type_v2 calls (globals memoized, 7 bytes a level). */
export function nestedRebuildPickle(depth: number, storage: FakeStorage, shape: number[]): Buffer {
  const w = new PickleWriter().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52, 0x28).str('w');
  w.global('torch._tensor', '_rebuild_from_type_v2').op(0x71, 0).global('torch.nn.parameter', 'Parameter').op(0x71, 1, 0x30);
  const level = Uint8Array.of(0x28, 0x68, 0, 0x68, 1);
  const levels = new Uint8Array(level.length * depth);
  for (let k = 0; k < depth; k++) levels.set(level, k * level.length);
  w.raw(levels).op(0x28).global('torch._utils', '_rebuild_tensor_v2').op(0x68, 1);
  w.op(0x28).op(0x28).str('storage').global('torch', storage.cls).str(storage.key).str('cpu').int(storage.numel).op(0x74, 0x51);
  w.int(0).tuple(shape).tuple(contiguousStride(shape)).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52).op(0x74);
  const close = new Uint8Array(2 * (depth + 1));
  for (let k = 0; k <= depth; k++) close.set([0x7d, 0x74], 2 * k);
  return w.raw(close).op(0x52, 0x75, 0x2e).bytes();
}

function contiguousStride(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Pickle operands that declare more than the file holds, or integers no state dict needs. */
const HUGE_OPERANDS: Record<string, (rng: Rng) => Uint8Array> = {
  long4Declared: (rng) => u32Op(0x8b, pick(rng, [0xffffffff, 0x7fffffff, 1 << 20])),
  long4Real: (rng) => {
    const n = pick(rng, [9, 64, 4096, 4097, 200_000]);
    const b = Buffer.alloc(5 + n, 0x7f);
    b[0] = 0x8b;
    b.writeUInt32LE(n, 1);
    return b;
  },
  binunicodeDeclared: (rng) => u32Op(0x58, pick(rng, [0xffffffff, 0x80000000, 1 << 24])),
  binunicode8Declared: () => u64Op(0x8d, 0xffffffffffffffffn),
  binbytes8Declared: () => u64Op(0x8e, 0x7fffffffffffffffn),
  frameDeclared: () => u64Op(0x95, 0xffffffffffffffffn),
  longBinget: () => u32Op(0x6a, 0xfffffff0),
};

function u32Op(op: number, n: number): Uint8Array {
  const b = Buffer.alloc(5);
  b[0] = op;
  b.writeUInt32LE(n >>> 0, 1);
  return b;
}
function u64Op(op: number, n: bigint): Uint8Array {
  const b = Buffer.alloc(9);
  b[0] = op;
  b.writeBigUInt64LE(n, 1);
  return b;
}

/** Values a crafted safetensors header may put where numbers, lists or strings belong. */
const HOSTILE_JSON: unknown[] = [null, -1, 1.5, 2 ** 53 + 2, 1e308, '12', [], {}, [1, 2, 3], [-1, 4], [4, 1], [0, 2 ** 60], 'F32', 'Q7', true];

export type CaseFamily = (c: CheckpointCorpus, rng: Rng, file: (ext: string) => string, i: number) => FuzzCase;

function pthCase(name: string, path: string, bytes: Uint8Array, check?: (path: string) => Promise<void>): FuzzCase {
  return {
    name,
    run: async () => {
      writeFileSync(path, bytes);
      if (check) await check(path);
      else await readWhole(path);
    },
  };
}

/** Every family, by name; weights in the runner decide how often each is drawn. */
export const FAMILIES: Record<string, CaseFamily> = {
  /** Raw mutations of the small torch zip anywhere. */
  smallZipBytes: (c, rng, file, i) => {
    const { bytes, applied } = mutate(zipBytes(torchZipFiles('archive', statePickle(c.small.tensors, c.small.storages, rng() < 0.5), c.small.storages)), rng);
    return pthCase(`smallZipBytes#${i} ${applied.join('+')}`, file('.pth'), bytes);
  },
  /** Mutations aimed at data.pkl of the small zip (rebuilt into a valid archive). */
  smallPickle: (c, rng, file, i) => {
    const { bytes, applied } = mutate(statePickle(c.small.tensors, c.small.storages, rng() < 0.5), rng);
    return pthCase(`smallPickle#${i} ${applied.join('+')}`, file('.pth'), zipBytes(torchZipFiles('archive', bytes, c.small.storages)));
  },
  /** Mutations aimed at sam-tiny's real data.pkl (36 KB, 202 tensors). */
  samTinyPickle: (c, rng, file, i) => {
    const [pkl, ...rest] = c.samTinyFiles;
    const { bytes, applied } = mutate(pkl.data, rng);
    return pthCase(`samTinyPickle#${i} ${applied.join('+')}`, file('.pth'), zipBytes([{ name: pkl.name, data: bytes }, ...rest]));
  },
  /** Mutations aimed at the zip central directory and end record of sam-tiny. */
  samTinyDirectory: (c, rng, file, i) => {
    const cdStart = c.samTinyPth.readUInt32LE(c.samTinyPth.length - 22 + 16);
    const { bytes, applied } = mutate(c.samTinyPth, rng, { region: [cdStart, c.samTinyPth.length] });
    return pthCase(`samTinyDirectory#${i} ${applied.join('+')}`, file('.pth'), bytes);
  },
  /** Large or malformed extra fields on random entries (65535 bytes included). */
  zipExtraFields: (c, rng, file, i) => {
    const files = torchZipFiles('archive', statePickle(c.small.tensors, c.small.storages), c.small.storages);
    const e = files[randInt(rng, files.length)];
    const len = pick(rng, [65535, 65535, 4, 3, 12, 20, 1000 + randInt(rng, 60000)]);
    const extra = Buffer.alloc(len);
    const wellFormed = rng() < 0.5;
    if (wellFormed && len >= 4) {
      extra.writeUInt16LE(0xcafe, 0);
      extra.writeUInt16LE(len - 4, 2);
    } else if (len >= 4) {
      extra.writeUInt16LE(pick(rng, [0x0001, 0xcafe]), 0);
      extra.writeUInt16LE(randInt(rng, 65536), 2);
    }
    e.extra = extra;
    const check = wellFormed && len >= 4 ? async (p: string) => void (await readWhole(p)) : undefined;
    return pthCase(`zipExtraFields#${i} ${e.name} ${len}B ${wellFormed ? 'well-formed' : 'garbage'}`, file('.pth'), zipBytes(files), check);
  },
  /** An entry repeated (data.pkl, a storage, byteorder): always refused. */
  zipDuplicates: (c, rng, file, i) => {
    const files = torchZipFiles('archive', statePickle(c.small.tensors, c.small.storages), c.small.storages);
    const dup = files[randInt(rng, files.length)];
    files.splice(randInt(rng, files.length + 1), 0, { name: dup.name, data: rng() < 0.5 ? dup.data : new Uint8Array(dup.data.length) });
    return pthCase(`zipDuplicates#${i} ${dup.name}`, file('.pth'), zipBytes(files), (p) => expectError(p, (err) => (isCleanRefusal(err) && /appears twice/.test((err as Error).message) ? null : 'duplicate entry not refused as such')));
  },
  /** A hostile global placed somewhere in an otherwise valid state dict: refused, naming it. */
  hostileGlobal: (c, rng, file, i) => {
    const [module, name] = pick(rng, HOSTILE_GLOBALS);
    const placement = pick(rng, Object.keys(HOSTILE_PLACEMENTS));
    const pkl = statePickle(c.small.tensors, c.small.storages, rng() < 0.5, (w) => HOSTILE_PLACEMENTS[placement](w, module, name));
    return pthCase(`hostileGlobal#${i} ${module}.${name} via ${placement}`, file('.pth'), zipBytes(torchZipFiles('archive', pkl, c.small.storages)), (p) =>
      expectError(p, (err) => (err instanceof CheckpointRefusedError && err.global === `${module}.${name}` ? null : `expected a refusal naming ${module}.${name}`)),
    );
  },
  /** Deep nesting and long APPENDS: read correctly (the tensors are intact). */
  deepNesting: (c, rng, file, i) => {
    const kind = pick(rng, ['tuples', 'marks', 'dicts', 'appends'] as const);
    const depth = pick(rng, [1000, 20_000, kind === 'appends' ? 500_000 : 50_000]);
    const pkl = statePickle(c.small.tensors, c.small.storages, false, deepValue(kind, depth));
    return pthCase(`deepNesting#${i} ${kind}×${depth}`, file('.pth'), zipBytes(torchZipFiles('archive', pkl, c.small.storages)), async (p) => {
      const read = await readWhole(p);
      if (read.size !== c.small.tensors.length) throw new CaseAssertion(`read ${read.size} tensors`);
    });
  },
  /** _rebuild_from_type_v2 nested 1…100k deep: correct up to the cap, a clean error past it. */
  rebuildNesting: (c, rng, file, i) => {
    const depth = pick(rng, [0, 1, 2, 16, 17, 1000, 30_000]);
    const st = c.small.storages[0];
    return pthCase(`rebuildNesting#${i} depth ${depth}`, file('.pth'), zipBytes(torchZipFiles('archive', nestedRebuildPickle(depth, st, [4, 6]), [st])));
  },
  /** Declared operand sizes far past the pickle's end, and integers of up to 200 KB. */
  hugeOperands: (c, rng, file, i) => {
    const kind = pick(rng, Object.keys(HUGE_OPERANDS));
    const op = HUGE_OPERANDS[kind](rng);
    const pkl = statePickle(c.small.tensors, c.small.storages, false, (w) => w.str('big').raw(op));
    return pthCase(`hugeOperands#${i} ${kind}`, file('.pth'), zipBytes(torchZipFiles('archive', pkl, c.small.storages)));
  },
  /** Views over a storage: valid ones read exactly; corrupt ones are refused. */
  tensorViews: (_c, rng, file, i) => {
    const numel = 1 + randInt(rng, 64);
    const storage: FakeStorage = { key: '0', cls: 'FloatStorage', numel, bytes: floatBytes(Array.from({ length: numel }, (_, k) => k)) };
    const shape = Array.from({ length: 1 + randInt(rng, 3) }, () => 1 + randInt(rng, 4));
    const stride = shape.map(() => 1 + randInt(rng, 5));
    const reach = shape.reduce((acc, s, d) => acc + (s - 1) * stride[d], 0);
    const count = shape.reduce((a, b) => a * b, 1);
    let offset = reach < numel ? randInt(rng, numel - reach) : 0;
    const fits = reach + offset < numel && count <= numel;
    const corruption = pick(rng, ['none', 'none', 'negativeOffset', 'fractionalOffset', 'zeroStride', 'negativeStride', 'pastEnd', 'rankMismatch']);
    const t: FakeTensor = { name: 'v', storageKey: '0', offset, shape: [...shape], stride: [...stride] };
    const big = shape.findIndex((s) => s > 1);
    if (corruption === 'negativeOffset') t.offset = -1 - randInt(rng, 1000);
    else if (corruption === 'fractionalOffset') t.offset = offset + 0.5;
    else if (corruption === 'zeroStride' && big >= 0) t.stride[big] = 0;
    else if (corruption === 'negativeStride' && big >= 0) t.stride[big] = -1 - randInt(rng, 3);
    else if (corruption === 'pastEnd') t.offset = offset = numel + randInt(rng, 3);
    else if (corruption === 'rankMismatch') t.stride.push(1);
    const corrupt = (corruption !== 'none' && (big >= 0 || !/Stride/.test(corruption))) || !fits;
    const bytes = zipBytes(torchZipFiles('archive', statePickle([t], [storage]), [storage]));
    return pthCase(`tensorViews#${i} ${corruption} numel ${numel} [${t.shape}] stride [${t.stride}] offset ${t.offset}`, file('.pth'), bytes, async (p) => {
      if (corrupt) return expectError(p, (err) => (isCleanRefusal(err) && /tensor 'v'/.test((err as Error).message) ? null : 'a corrupt view was not refused naming the tensor'));
      const got = (await readWhole(p)).get('v')!;
      const idx = new Array<number>(shape.length).fill(0);
      for (let o = 0; o < got.length; o++) {
        const want = offset + idx.reduce((a, x, d) => a + x * stride[d], 0);
        if (got[o] !== want) throw new CaseAssertion(`element ${o} is ${got[o]}, expected storage[${want}]`);
        for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
      }
    });
  },
  /** Byte mutations of the sam-tiny safetensors header (length prefix included). */
  safetensorsBytes: (c, rng, file, i) => {
    const headerEnd = 8 + Number(c.samTinySafetensors.readBigUInt64LE(0));
    const { bytes, applied } = mutate(c.samTinySafetensors, rng, { region: [0, headerEnd] });
    return pthCase(`safetensorsBytes#${i} ${applied.join('+')}`, file('.safetensors'), bytes);
  },
  /** JSON-level lies in the safetensors header: null, wrong types, offsets out of range, unknown dtypes, length lies. */
  safetensorsHeader: (c, rng, file, i) => {
    const n = Number(c.samTinySafetensors.readBigUInt64LE(0));
    const data = c.samTinySafetensors.subarray(8 + n);
    let header: unknown = JSON.parse(c.samTinySafetensors.toString('utf8', 8, 8 + n));
    const names = Object.keys(header as object).filter((k) => k !== '__metadata__');
    const target = pick(rng, names);
    const what = pick(rng, ['root', 'entry', 'dtype', 'shape', 'data_offsets', 'lengthPrefix']);
    const value = pick(rng, HOSTILE_JSON);
    const h = header as Record<string, Record<string, unknown>>;
    if (what === 'root') header = value;
    else if (what === 'entry') h[target] = value as Record<string, unknown>;
    else if (what !== 'lengthPrefix') h[target][what] = value;
    const text = Buffer.from(JSON.stringify(header) ?? 'null');
    const len = Buffer.alloc(8);
    const declared = what === 'lengthPrefix' ? pick(rng, [0n, 1n, BigInt(text.length - 1), BigInt(text.length + 1), BigInt(text.length + data.length + 8), 2n ** 63n, 2n ** 64n - 1n]) : BigInt(text.length);
    len.writeBigUInt64LE(declared);
    return pthCase(`safetensorsHeader#${i} ${what}=${JSON.stringify(value)?.slice(0, 30)} on ${target}`, file('.safetensors'), Buffer.concat([len, text, data]));
  },
};

/** Relative frequencies for the CI run and the soak. */
export const FAMILY_WEIGHTS: Record<string, number> = {
  smallZipBytes: 6,
  smallPickle: 8,
  samTinyPickle: 2,
  samTinyDirectory: 2,
  zipExtraFields: 3,
  zipDuplicates: 2,
  hostileGlobal: 6,
  deepNesting: 1,
  rebuildNesting: 2,
  hugeOperands: 3,
  tensorViews: 8,
  safetensorsBytes: 2,
  safetensorsHeader: 5,
};

/** `count` cases drawn by weight (deterministic for the rng's seed), each writing into `dir`. */
export function* checkpointCases(corpus: CheckpointCorpus, rng: Rng, dir: string, count = Infinity): Generator<FuzzCase> {
  const names = Object.keys(FAMILY_WEIGHTS);
  const total = names.reduce((a, n) => a + FAMILY_WEIGHTS[n], 0);
  const file = (ext: string) => join(dir, `case${ext}`);
  for (let i = 0; i < count; i++) {
    let r = rng() * total;
    const name = names.find((n) => (r -= FAMILY_WEIGHTS[n]) < 0) ?? names[0];
    yield FAMILIES[name](corpus, rng, file, i);
  }
}
