// Hostile checkpoints (issue 15): code-carrying globals are refused by name, pickles decode in
// linear time without recursion, zip entries and tensor views are checked against the file, and
// every failure is a CheckpointFormatError naming the file and the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError, CheckpointRefusedError, openCheckpoint } from '../../app/model/checkpoint/checkpointReader.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { decodeLong, MAX_LONG_BYTES } from '../../app/model/checkpoint/pickle.js';
import { MAX_REBUILD_DEPTH } from '../../app/model/checkpoint/pickleGlobals.js';
import { modelsRoot } from '../../app/model/library.js';
import { runCliInProcess } from '../helpers/cli.js';
import { seededRng, randInt } from '../helpers/fuzz.js';
import { deepValue, HOSTILE_GLOBALS, HOSTILE_PLACEMENTS, nestedRebuildPickle, readWhole } from './checkpointFuzzCases.js';
import { loadFixture, useTempPasamHome } from '../helpers/samFixture.js';
import { floatBytes, PickleWriter, statePickle, torchZipFiles, zipBytes, type FakeStorage, type FakeTensor, type ZipFileSpec } from './torchZipWriter.js';

const tmp = useTempPasamHome('pasam-hostile-');
const storage: FakeStorage = { key: '0', cls: 'FloatStorage', numel: 24, bytes: floatBytes(Array.from({ length: 24 }, (_, i) => i)) };
const tensors: FakeTensor[] = [
  { name: 'w', storageKey: '0', offset: 0, shape: [4, 6], stride: [6, 1] },
  { name: 'w_t', storageKey: '0', offset: 0, shape: [6, 4], stride: [1, 6] },
];

function writePth(name: string, pickle: Buffer, storages: FakeStorage[] = [storage]): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, zipBytes(torchZipFiles('archive', pickle, storages)));
  return file;
}

/** Rejects with our error type whose message names the file and matches `problem`. */
async function rejectsNaming(file: string, problem: RegExp, open: (f: string) => Promise<unknown> = readWhole): Promise<CheckpointFormatError> {
  let caught: unknown;
  await assert.rejects(open(file), (err: unknown) => {
    caught = err;
    assert.ok(err instanceof CheckpointFormatError, `expected a CheckpointFormatError, got ${String(err)}`);
    assert.ok(!err.internal, `a parser bug leaked: ${err.message}`);
    assert.ok(err.message.includes(file), `the message names the file: ${err.message}`);
    assert.match(err.message, problem);
    return true;
  });
  return caught as CheckpointFormatError;
}

test('LONG4 operands: 200 KB is refused at once (it took 82 s), up to 4 KB decode, and long integers decode exactly', async () => {
  const huge = writePth('long4-200k.pth', statePickle(tensors, [storage], false, (w) => w.str('big').long4(new Uint8Array(200_000).fill(0x5a))));
  const t0 = performance.now();
  await rejectsNaming(huge, /integer operand of 200000 bytes .*limit 4096/);
  // A complexity guard, not a speed target: the quadratic decoder took 82 s on this file.
  assert.ok(performance.now() - t0 < 5000, `refused in ${(performance.now() - t0).toFixed(0)} ms`);
  const atCap = writePth('long4-4k.pth', statePickle(tensors, [storage], false, (w) => w.str('big').long4(new Uint8Array(MAX_LONG_BYTES).fill(0x11))));
  assert.deepEqual(Array.from((await readWhole(atCap)).get('w')!), Array.from({ length: 24 }, (_, i) => i));
  // Against BigInt's own two's-complement reading of the same bytes.
  const rng = seededRng(15);
  for (let i = 0; i < 500; i++) {
    const bytes = Uint8Array.from({ length: 1 + randInt(rng, 12) }, () => randInt(rng, 256));
    const big = BigInt.asIntN(8 * bytes.length, BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`));
    assert.equal(decodeLong(bytes), Number(big), Buffer.from(bytes).toString('hex'));
  }
  for (const [op, what] of [[0x8d, 'BINUNICODE8'], [0x8e, 'BINBYTES8']] as const) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(2n ** 63n);
    const file = writePth(`${what}.pth`, statePickle(tensors, [storage], false, (w) => w.str('big').op(op, ...len)));
    await rejectsNaming(file, /runs past the end of the pickle/);
  }
});

test('_rebuild_from_type_v2: nested once (a tensor subclass) reads the tensor; nested 100k deep is a clean error, not a stack overflow', async () => {
  const once = writePth('subclass.pth', nestedRebuildPickle(1, storage, [4, 6]));
  assert.deepEqual(Array.from((await readWhole(once)).get('w')!), Array.from({ length: 24 }, (_, i) => i));
  const deep = writePth('rebuild-deep.pth', nestedRebuildPickle(100_000, storage, [4, 6]));
  await rejectsNaming(deep, new RegExp(`_rebuild_from_type_v2 nested more than ${MAX_REBUILD_DEPTH} deep`));
});

test('500k APPENDS and 100k-deep tuples, marks and dicts beside the weights load the state dict intact', async () => {
  for (const [kind, depth] of [['appends', 500_000], ['tuples', 100_000], ['marks', 100_000], ['dicts', 100_000]] as const) {
    const file = writePth(`deep-${kind}.pth`, statePickle(tensors, [storage], false, deepValue(kind, depth)));
    const read = await readWhole(file);
    assert.deepEqual([...read.keys()], ['w', 'w_t'], kind);
    assert.deepEqual(Array.from(read.get('w_t')!.subarray(0, 4)), [0, 6, 12, 18], kind);
  }
});

test('every global outside the state-dict allow-list refuses the file by name, however it is reached', async () => {
  for (const [module, name] of HOSTILE_GLOBALS) {
    for (const [placement, write] of Object.entries(HOSTILE_PLACEMENTS)) {
      const file = writePth(`hostile-${module}-${name}-${placement}.pth`, statePickle(tensors, [storage], placement === 'reduceGlobal', (w) => write(w, module, name)));
      const err = await rejectsNaming(file, /^refusing .*: it calls /);
      assert.ok(err instanceof CheckpointRefusedError, `${module}.${name} via ${placement}`);
      assert.equal(err.global, `${module}.${name}`);
      assert.ok(err.message.includes(`${module}.${name}`), err.message);
    }
  }
  const posix = await rejectsNaming(writePth('posix.pth', statePickle(tensors, [storage], false, (w) => HOSTILE_PLACEMENTS.reduceGlobal(w, 'posix', 'system'))), /it calls os\.system \(pickled as posix\.system\), which can run code/);
  assert.equal((posix as CheckpointRefusedError).dangerous, true);
  const ns = await rejectsNaming(writePth('namespace.pth', statePickle(tensors, [storage], false, (w) => HOSTILE_PLACEMENTS.reduceGlobal(w, 'argparse', 'Namespace'))), /argparse\.Namespace, which is not one of the globals a PyTorch state dict/);
  assert.equal((ns as CheckpointRefusedError).dangerous, false);
});

test('importing a mobile_sam.pt that calls os.system says so and leaves the library empty', async () => {
  const dir = join(tmp.dir, 'downloads');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'mobile_sam.pt');
  writeFileSync(file, zipBytes(torchZipFiles('mobile_sam', statePickle(tensors, [storage], false, (w) => HOSTILE_PLACEMENTS.reduceGlobal(w, 'posix', 'system')), [storage])));
  await assert.rejects(importCheckpoint(file, { config: loadFixture().config }), (err: Error) => {
    assert.ok(err instanceof CheckpointRefusedError);
    assert.ok(err.message.startsWith(`refusing ${file}: it calls os.system`), err.message);
    return true;
  });
  assert.equal(existsSync(modelsRoot()) ? readdirSync(modelsRoot()).length : 0, 0);
  // The CLI, which used to exit 0 on such a file, fails and says why.
  const cli = await runCliInProcess(['model', 'import', file, '--config', join(loadFixture().dir, 'manifest.json')]);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /refusing .*mobile_sam\.pt: it calls os\.system/);
  assert.equal(existsSync(modelsRoot()) ? readdirSync(modelsRoot()).length : 0, 0);
});

test('the allow-listed globals real checkpoints use still load: sam-tiny, mobile_sam.pt, _rebuild_parameter, torch.Size', async () => {
  const fx = loadFixture();
  const tiny = await readWhole(join(fx.dir, fx.manifest.checkpoints.pth));
  assert.equal(tiny.size, (await openCheckpoint(join(fx.dir, fx.manifest.checkpoints.safetensors_official_names)).then(async (r) => (await r.close(), r.tensors.length))));
  const mobilePath = join(fx.dir, '..', 'mobile-sam', 'mobile_sam.pt');
  const mobile = await openCheckpoint(mobilePath);
  try {
    const dtypes = new Set(mobile.tensors.map((t) => t.dtype));
    assert.deepEqual([...dtypes].sort(), ['float32', 'int64'], 'FloatStorage and LongStorage');
    const first = mobile.tensors.find((t) => t.dtype === 'float32')!;
    assert.equal((await mobile.read(first.name)).length, first.shape.reduce((a, b) => a * b, 1));
  } finally {
    await mobile.close();
  }
  // nn.Parameter as torch.save writes it: _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict()).
  const w = new PickleWriter().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52, 0x28).str('p');
  w.global('torch._utils', '_rebuild_parameter').op(0x28).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
  w.op(0x28).str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(24).op(0x74, 0x51);
  w.int(6).global('torch', 'Size').op(0x28).int(2).int(3).op(0x74, 0x85, 0x52).tuple([3, 1]).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52, 0x74, 0x52);
  w.op(0x88).global('collections', 'OrderedDict').op(0x29, 0x52, 0x74, 0x52, 0x75, 0x2e);
  const param = await readWhole(writePth('parameter.pth', w.bytes()));
  assert.deepEqual(Array.from(param.get('p')!), [6, 7, 8, 9, 10, 11]);
});

test('a repeated zip entry refuses the archive (Python would read the last copy, torch maybe another)', async () => {
  const files = torchZipFiles('archive', statePickle(tensors, [storage]), [storage]);
  const variants: [string, ZipFileSpec[]][] = [
    ['data.pkl', [...files, { name: 'archive/data.pkl', data: statePickle([{ ...tensors[0], offset: 1, shape: [2] }], [storage]) }]],
    ['storage', [...files, { name: 'archive/data/0', data: new Uint8Array(96) }]],
    ['byteorder', [{ name: 'archive/byteorder', data: Buffer.from('big') }, ...files]],
  ];
  for (const [what, entries] of variants) {
    const file = join(tmp.dir, `dup-${what}.pth`);
    writeFileSync(file, zipBytes(entries));
    await rejectsNaming(file, /zip entry 'archive\/[^']+' appears twice: ambiguous/);
  }
  const twoFolders = join(tmp.dir, 'two-folders.pth');
  writeFileSync(twoFolders, zipBytes([...files, ...torchZipFiles('other', statePickle(tensors, [storage]), [storage])]));
  await rejectsNaming(twoFolders, /2 data\.pkl entries/);
});

test('a 65535-byte zip extra field is read past; a field overrunning its area is a clean error', async () => {
  const extra = Buffer.alloc(65535);
  extra.writeUInt16LE(0xcafe, 0);
  extra.writeUInt16LE(65531, 2);
  const files = torchZipFiles('archive', statePickle(tensors, [storage]), [storage]).map((f) => ({ ...f, extra }));
  const ok = join(tmp.dir, 'extra-65535.pth');
  writeFileSync(ok, zipBytes(files));
  assert.deepEqual(Array.from((await readWhole(ok)).get('w')!), Array.from({ length: 24 }, (_, i) => i));
  const bad = Buffer.from(extra);
  bad.writeUInt16LE(0x0001, 0);
  bad.writeUInt16LE(65535, 2);
  const overrun = join(tmp.dir, 'extra-overrun.pth');
  writeFileSync(overrun, zipBytes([{ ...files[0], extra: bad }, ...files.slice(1)]));
  await rejectsNaming(overrun, /extra field of 65535 bytes running past its 65535-byte extra area/);
});

test('storage offsets, sizes and strides are checked against the storage bytes', async () => {
  const base: FakeTensor = { name: 'v', storageKey: '0', offset: 0, shape: [4, 6], stride: [6, 1] };
  const cases: [string, Partial<FakeTensor>, RegExp][] = [
    ['negative offset', { offset: -6 }, /storage offset -6 is not a non-negative integer/],
    ['fractional offset', { offset: 1.5 }, /storage offset 1\.5 is not a non-negative integer/],
    ['zero stride', { stride: [0, 1] }, /stride 0 of dimension 0 \(size 4\) is zero or negative/],
    ['negative stride', { stride: [6, -1] }, /stride -1 of dimension 1 \(size 6\) is zero or negative/],
    ['view past the end', { offset: 1 }, /reaches storage element 24, beyond the storage's 24 elements/],
    ['rank mismatch', { stride: [6, 1, 1] }, /2 sizes but 3 strides/],
    ['more elements than the storage', { shape: [5, 6], stride: [1, 1] }, /exceed the 24 its storage holds/],
    ['negative size', { shape: [-4, 6] }, /size -4 of dimension 0 is not a non-negative integer/],
  ];
  for (const [what, change, problem] of cases) {
    const file = writePth(`view-${what.replace(/ /g, '-')}.pth`, statePickle([{ ...base, ...change }], [storage]));
    await rejectsNaming(file, new RegExp(`tensor 'v' \\(storage data/0\\): .*${problem.source}`));
  }
  const short = writePth('storage-short.pth', statePickle([base], [{ ...storage, numel: 100 }]), [storage]);
  await rejectsNaming(short, /its storage declares 100 float32 elements but holds 96 bytes/);
  // Size-1 dimensions may carry any stride (torch leaves them arbitrary), and empty views read empty.
  const loose = writePth('size1-stride.pth', statePickle([{ ...base, shape: [1, 6], stride: [0, 1], offset: 18 }, { ...base, name: 'e', shape: [0, 6] }], [storage]));
  const read = await readWhole(loose);
  assert.deepEqual(Array.from(read.get('v')!), [18, 19, 20, 21, 22, 23]);
  assert.equal(read.get('e')!.length, 0);
});

test('safetensors headers that lie are clean errors naming the file', async () => {
  const fx = loadFixture();
  const src = readFileSync(join(fx.dir, fx.manifest.checkpoints.safetensors_official_names));
  const n = Number(src.readBigUInt64LE(0));
  const header = JSON.parse(src.toString('utf8', 8, 8 + n));
  const data = src.subarray(8 + n);
  const first = Object.keys(header).find((k) => k !== '__metadata__')!;
  const build = (h: unknown, declared?: bigint, raw?: string) => {
    const text = Buffer.from(raw ?? JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(declared ?? BigInt(text.length));
    return Buffer.concat([len, text, data]);
  };
  const withEntry = (change: Record<string, unknown>) => build({ ...header, [first]: { ...header[first], ...change } });
  const cases: [string, Buffer, RegExp][] = [
    ['null-header', build(null), /safetensors header is null, not a JSON object/],
    ['array-header', build([1, 2]), /safetensors header is an array, not a JSON object/],
    ['length-past-end', build(header, BigInt(src.length)), /header of \d+ bytes extends beyond the end of the file \(\d+ bytes\): truncated/],
    ['length-short', build(header, BigInt(n - 10)), /not valid JSON/],
    ['length-2^63', build(header, 2n ** 63n), /header length 9223372036854775808 exceeds the 16777216-byte limit/],
    ['offsets-past-end', withEntry({ data_offsets: [0, data.length + 4] }), new RegExp(`tensor '${first}' .*extends beyond the end of the file`)],
    ['offsets-reversed', withEntry({ data_offsets: [8, 4] }), /malformed data_offsets/],
    ['offsets-negative', withEntry({ data_offsets: [-4, 4] }), /malformed data_offsets/],
    ['offsets-fractional', withEntry({ data_offsets: [0.5, 4] }), /malformed data_offsets/],
    ['dtype-unknown', withEntry({ dtype: 'Q7' }), new RegExp(`tensor '${first}' has the unknown dtype "Q7"`)],
    ['dtype-null', withEntry({ dtype: null }), /has the unknown dtype null/],
    ['entry-null', build({ ...header, [first]: null }), new RegExp(`entry '${first}' is null, not an object`)],
    ['shape-mismatch', withEntry({ shape: [1, 2, 3] }), /byte range holds \d+ bytes, but its shape \[1, 2, 3\] of F32 needs 24/],
    ['shape-negative', withEntry({ shape: [-1] }), /malformed shape/],
    // Written as text: JSON.stringify itself recurses and would overflow on it.
    ['nested-deep', build(null, undefined, JSON.stringify({ ...header, [first]: { ...header[first], shape: 'DEEP' } }).replace('"DEEP"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)), /header nests 100002 levels deep/],
  ];
  for (const [what, bytes, problem] of cases) {
    const file = join(tmp.dir, `${what}.safetensors`);
    writeFileSync(file, bytes);
    await rejectsNaming(file, problem);
  }
});

test('only regular files are opened: a folder or a FIFO is refused without blocking', async () => {
  await rejectsNaming(tmp.dir, /is not a regular file/, openCheckpoint);
  const fifo = join(tmp.dir, 'weights.pth');
  execFileSync('mkfifo', [fifo]);
  await rejectsNaming(fifo, /is not a regular file/, openCheckpoint);
});
