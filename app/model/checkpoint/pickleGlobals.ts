// The state-dict allow-list and what its globals mean. torch.save's pickles name only torch storage
// classes and dtypes, tensor/parameter rebuild functions, torch.Size and OrderedDict (the family
// torch's own weights_only unpickler allows); any other global refuses the file, naming it, and
// nothing is ever executed: the allowed callables are interpreted here, rebuild chains in a loop.

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
export class PyDict extends Map<unknown, unknown> {}

export interface StorageRef {
  kind: 'storage';
  key: string;
  /** torch dtype name from the storage class: FloatStorage → 'float32'. */
  dtype: string;
  numel: number;
}
/** A tensor view as pickled: its numbers are checked against the storage bytes by the reader. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}
/** A GLOBAL outside the allow-list; `dangerous` when it is a known code-execution primitive. */
export class PickleRefusedGlobal extends PickleError {
  constructor(
    readonly global: string,
    readonly dangerous: boolean,
  ) {
    super(`refused global ${global}`);
    this.name = 'PickleRefusedGlobal';
  }
}

/** Storage class → dtype; every class torch.save may name in a persistent id. */
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
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UntypedStorage: 'uint8',
};
/** torch dtype globals (the dtype argument of _rebuild_tensor_v3) are data. */
const TORCH_DTYPES = new Set(['float32', 'float', 'float16', 'half', 'bfloat16', 'float64', 'double', 'int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool', 'complex64', 'complex128']);
/** Bytes per element, for checking views against storage sizes (quantized 4/2-bit types are packed bytes). */
export const DTYPE_ITEM_SIZE: Record<string, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
  complex128: 16,
  qint8: 1,
  quint8: 1,
  qint32: 4,
  quint4x2: 1,
  quint2x4: 1,
};

const REBUILD_TENSOR = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3']);
const REBUILD_PARAMETER = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);
const REBUILD_FROM_TYPE = 'torch._tensor._rebuild_from_type_v2';
/** Globals a state dict uses that are only ever data (types passed as arguments), never called here. */
const DATA_GLOBALS = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter', 'torch.nn.Parameter']);
const CALLABLE_GLOBALS = new Set(['collections.OrderedDict', 'torch.Size', 'torch.device', REBUILD_FROM_TYPE, ...REBUILD_TENSOR, ...REBUILD_PARAMETER]);

export function isAllowedGlobal(module: string, name: string): boolean {
  const q = `${module}.${name}`;
  if (CALLABLE_GLOBALS.has(q) || DATA_GLOBALS.has(q)) return true;
  return module === 'torch' && (Object.hasOwn(STORAGE_DTYPES, name) || TORCH_DTYPES.has(name));
}

/** Modules and names whose only use in a pickle is running code or touching the system. */
const DANGEROUS_MODULES = /^(os|posix|nt|subprocess|builtins|__builtin__|sys|shutil|socket|pty|importlib|runpy|code|codeop|ctypes|pickle|_pickle|marshal|webbrowser|asyncio|multiprocessing|commands|pdb|bdb|timeit|platform|operator|functools|types|inspect|tempfile|pathlib|io|_io|urllib|http|requests|shelve|dill|cloudpickle|numpy\.testing)(\.|$)/;
const DANGEROUS_NAMES = new Set(['eval', 'exec', 'execfile', 'compile', 'system', 'popen', 'Popen', 'spawn', 'call', 'check_call', 'check_output', 'run', 'getattr', 'setattr', '__import__', 'open', 'apply', 'load', 'loads']);

export function refuseUnlessAllowed(module: string, name: string): PyGlobal {
  if (!isAllowedGlobal(module, name)) throw new PickleRefusedGlobal(`${module}.${name}`, DANGEROUS_MODULES.test(module) || DANGEROUS_NAMES.has(name));
  return new PyGlobal(module, name);
}

/** torch nests _rebuild_from_type_v2 once (tensor subclasses); more is a crafted file. */
export const MAX_REBUILD_DEPTH = 16;

/** A short description of a value for messages: never stringifies containers (they may be cyclic or deep). */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a tuple/list';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Set) return 'a set';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'object') return (v as { kind?: string }).kind ?? 'an object';
  return `${typeof v} ${String(v)}`;
}

export function toTuple(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new PickleError(`${what}: expected a tuple, found ${describe(v)}`);
  return v;
}

function numbers(v: unknown, what: string): number[] {
  const t = toTuple(v, what);
  for (const x of t) if (typeof x !== 'number') throw new PickleError(`${what}: expected numbers, found ${describe(x)}`);
  return t as number[];
}

function tensorRef(fn: string, args: unknown[]): TensorRef {
  const [storage, offset, shape, stride] = args;
  if (!storage || (storage as StorageRef).kind !== 'storage') throw new PickleError(`${fn} without a storage`);
  if (typeof offset !== 'number') throw new PickleError(`${fn}: storage offset is ${describe(offset)}, not a number`);
  return { kind: 'tensor', storage: storage as StorageRef, offset, shape: [...numbers(shape, 'tensor size')], stride: [...numbers(stride, 'tensor stride')] };
}

/** Applies an allow-listed callable; _rebuild_from_type_v2 chains unwind in a loop, depth-capped. */
export function callAllowed(fn: unknown, args: unknown[]): unknown {
  for (let depth = 0; ; depth++) {
    if (!(fn instanceof PyGlobal)) throw new PickleError(`REDUCE on ${describe(fn)}, which is not a global`);
    const q = fn.qualified;
    if (q === REBUILD_FROM_TYPE) {
      // (func, subclass, args, state): the plain tensor is func(*args).
      if (depth >= MAX_REBUILD_DEPTH) throw new PickleError(`_rebuild_from_type_v2 nested more than ${MAX_REBUILD_DEPTH} deep`);
      fn = args[0];
      args = toTuple(args[2], '_rebuild_from_type_v2 arguments');
      continue;
    }
    if (REBUILD_TENSOR.has(q)) return tensorRef(fn.name, args);
    if (REBUILD_PARAMETER.has(q)) {
      const t = args[0] as TensorRef | undefined;
      if (t?.kind !== 'tensor') throw new PickleError(`${fn.name} of ${describe(t)}, not a tensor`);
      return t;
    }
    switch (q) {
      case 'collections.OrderedDict': {
        // torch writes OrderedDict() and fills it with SETITEMS; accept an initial list of pairs too.
        const d = new PyDict();
        if (args.length > 0 && args[0] !== null) for (const kv of toTuple(args[0], 'OrderedDict items')) {
            const pair = toTuple(kv, 'OrderedDict item');
            d.set(pair[0], pair[1]);
          }
        return d;
      }
      case 'torch.Size':
        return [...numbers(args[0], 'torch.Size')];
      case 'torch.device':
        if (typeof args[0] !== 'string') throw new PickleError(`torch.device of ${describe(args[0])}`);
        return args[0];
      default:
        throw new PickleError(`${q} is not called in a state dict`);
    }
  }
}


/** torch's persistent id ('storage', StorageClass, key, location, numel) → StorageRef. */
export function torchStorageRef(pid: unknown): StorageRef {
  const t = toTuple(pid, 'persistent id');
  if (t[0] !== 'storage') throw new PickleError(`persistent id of type ${describe(t[0])}, not 'storage'`);
  const [, cls, key, , numel] = t;
  if (!(cls instanceof PyGlobal) || cls.module !== 'torch' || !Object.hasOwn(STORAGE_DTYPES, cls.name)) throw new PickleError(`storage class ${describe(cls)} is not a torch storage`);
  if (typeof key !== 'string') throw new PickleError(`storage key is ${describe(key)}, not a string`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new PickleError(`storage ${key} declares ${describe(numel)} elements`);
  return { kind: 'storage', key, dtype: STORAGE_DTYPES[cls.name], numel };
}
