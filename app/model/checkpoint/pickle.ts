// A pickle virtual machine for the subset that torch.save writes for state dicts (protocols 2–5).
// Classes are not executed: known globals (OrderedDict, torch tensor rebuilders, storage types)
// get their meaning here; any other global becomes an inert PyObject.

export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** An instance of a class we do not model (kept so that surrounding containers still parse). */
export class PyObject {
  state: unknown;
  constructor(readonly cls: PyGlobal, readonly args: unknown[]) {}
}
export class PyDict extends Map<unknown, unknown> {}

export interface StorageRef {
  kind: 'storage';
  key: string;
  /** torch dtype name from the storage class: FloatStorage → 'float32'. */
  dtype: string;
  numel: number;
}
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const DTYPE_NAMES: Record<string, string> = { float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16', float64: 'float64', double: 'float64' };

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

const MARK = Symbol('mark');

function toTuple(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new PickleError(`${what}: expected a tuple`);
  return v;
}

function reduce(fn: unknown, args: unknown[]): unknown {
  if (!(fn instanceof PyGlobal)) throw new PickleError(`REDUCE on a non-callable ${String(fn)}`);
  switch (fn.qualified) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
      return new PyDict();
    case 'torch._tensor._rebuild_from_type_v2':
      // (func, subclass, args, state): rebuild the plain tensor.
      return reduce(args[0], toTuple(args[2], '_rebuild_from_type_v2 arguments'));
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor_v3':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
      if (!storage || (storage as StorageRef).kind !== 'storage') throw new PickleError('_rebuild_tensor_v2 without a storage');
      return { kind: 'tensor', storage, offset: Number(offset), shape: toTuple(shape, 'tensor size').map(Number), stride: toTuple(stride, 'tensor stride').map(Number) } satisfies TensorRef;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0];
    default:
      return new PyObject(fn, args);
  }
}

/** Unpickles `data`; `persistentLoad` resolves BINPERSID ids (torch storages). */
export function unpickle(data: Uint8Array, persistentLoad: (pid: unknown) => unknown): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number) => {
    if (p + n > buf.length) throw new PickleError(`pickle data ends unexpectedly at byte ${p}`);
  };
  const u8 = () => (need(1), buf[p++]);
  const u16 = () => (need(2), (p += 2), buf.readUInt16LE(p - 2));
  const u32 = () => (need(4), (p += 4), buf.readUInt32LE(p - 4));
  const i32 = () => (need(4), (p += 4), buf.readInt32LE(p - 4));
  const u64 = () => (need(8), (p += 8), Number(buf.readBigUInt64LE(p - 8)));
  const bytes = (n: number) => (need(n), (p += n), buf.subarray(p - n, p));
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) throw new PickleError('pickle text line is not terminated');
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleError('pickle stack underflow');
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError('pickle MARK not found');
    const items = stack.slice(i + 1);
    stack.length = i;
    return items;
  };
  const top = () => stack[stack.length - 1];
  const setItems = (d: unknown, kv: unknown[]) => {
    if (d instanceof PyDict) for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
    else if (d instanceof PyObject) {
      // dict subclasses we do not model: keep items on the object.
      const items = (d.state as PyDict | undefined) ?? new PyDict();
      for (let i = 0; i < kv.length; i += 2) items.set(kv[i], kv[i + 1]);
      d.state = items;
    } else throw new PickleError('SETITEM(S) on a non-dict');
  };
  const decodeLong = (b: Buffer): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        const v = pop();
        (top() as unknown[]).push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        (top() as unknown[]).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const kv = popMark();
        const d = new PyDict();
        setItems(d, kv);
        stack.push(d);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        const items = popMark();
        const s = top() as Set<unknown>;
        items.forEach((i) => s.add(i));
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(bytes(u32())));
        break;
      case 0x49: {
        // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseInt(s, 10));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(parseInt(line().replace(/L$/, ''), 10));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(bytes(u64()).toString('utf8'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case 0x54: // BINSTRING
        stack.push(bytes(u32()).toString('latin1'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(bytes(u32())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Uint8Array.from(bytes(u64())));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(new PyGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push(new PyGlobal(String(module), String(name)));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new PickleError(`pickle memo ${k} is missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x52: {
        // REDUCE
        const args = toTuple(pop(), 'REDUCE arguments');
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = toTuple(pop(), 'NEWOBJ arguments');
        const cls = pop();
        stack.push(reduce(cls, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        // dicts (OrderedDict _metadata) and tensors: state is irrelevant for weights.
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

/** torch's persistent id ('storage', StorageClass, key, location, numel) → StorageRef. */
export function torchStorageRef(pid: unknown): StorageRef {
  const t = toTuple(pid, 'persistent id');
  if (t[0] !== 'storage') throw new PickleError(`unknown persistent id type ${String(t[0])}`);
  const cls = t[1];
  let dtype = 'unknown';
  if (cls instanceof PyGlobal) dtype = STORAGE_DTYPES[cls.name] ?? (cls.module === 'torch' ? DTYPE_NAMES[cls.name] ?? cls.name : cls.name);
  return { kind: 'storage', key: String(t[2]), dtype, numel: Number(t[4]) };
}
