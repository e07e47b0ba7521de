// A pickle virtual machine for the subset torch.save writes for state dicts (protocols 2–5).
// Globals go through the allow-list in pickleGlobals.ts and are never executed. Every opcode costs
// time linear in its operand (LONG4 included), nothing recurses (MARK frames and containers live on
// explicit stacks), and the values it builds are bounded by the pickle's own length.
import { callAllowed, describe, PickleError, PyDict, refuseUnlessAllowed, toTuple, type TensorRef } from './pickleGlobals.js';

/** Longest LONG1/LONG4 operand accepted: state dicts hold offsets and sizes, never huge integers. */
export const MAX_LONG_BYTES = 4096;

/** Little-endian two's-complement integer of any length, in time linear in its bytes. */
export function decodeLong(b: Uint8Array): number {
  const n = b.length;
  if (n === 0) return 0;
  const negative = (b[n - 1] & 0x80) !== 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i];
    return negative ? v - 2 ** (8 * n) : v;
  }
  // BigInt from one hex string is linear; shifting a BigInt byte by byte is quadratic.
  const v = BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
  return Number(negative ? v - (1n << BigInt(8 * n)) : v);
}

/** Unpickles `data`; `persistentLoad` resolves BINPERSID ids (torch storages). Throws PickleError. */
export function unpickle(data: Uint8Array, persistentLoad: (pid: unknown) => unknown): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  let stack: unknown[] = [];
  // MARK starts a fresh stack, as in Python's pickle (its "metastack").
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number, what: string) => {
    if (n > buf.length - p) throw new PickleError(`${what} of ${n} bytes at byte ${p} runs past the end of the pickle (${buf.length - p} bytes left)`);
  };
  const u8 = () => (need(1, 'an opcode argument'), buf[p++]);
  const u16 = () => (need(2, 'an opcode argument'), (p += 2), buf.readUInt16LE(p - 2));
  const u32 = () => (need(4, 'an opcode argument'), (p += 4), buf.readUInt32LE(p - 4));
  const i32 = () => (need(4, 'an opcode argument'), (p += 4), buf.readInt32LE(p - 4));
  const u64 = () => {
    need(8, 'an opcode argument');
    p += 8;
    const v = buf.readBigUInt64LE(p - 8);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const bytes = (n: number, what: string) => (need(n, what), (p += n), buf.subarray(p - n, p));
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) throw new PickleError(`pickle text line at byte ${p} is not terminated`);
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  // A function, not stack.push(...): `stack` is rebound by popMark() while the argument is evaluated.
  const push = (v: unknown) => {
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleError(`pickle stack underflow at byte ${p - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError(`pickle stack is empty at byte ${p - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const outer = metastack.pop();
    if (!outer) throw new PickleError(`pickle MARK not found at byte ${p - 1}`);
    stack = outer;
    return items;
  };
  const list = (): unknown[] => {
    const l = top();
    if (!Array.isArray(l)) throw new PickleError(`APPEND(S) on ${describe(l)} at byte ${p - 1}`);
    return l;
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof PyDict)) throw new PickleError(`SETITEM(S) on ${describe(d)} at byte ${p - 1}`);
    if (kv.length % 2 !== 0) throw new PickleError(`SETITEMS with an odd number of items at byte ${p - 1}`);
    for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const longOperand = (n: number) => {
    if (n > MAX_LONG_BYTES) throw new PickleError(`integer operand of ${n} bytes at byte ${p} (limit ${MAX_LONG_BYTES}): no state dict holds such integers`);
    return decodeLong(bytes(n, 'an integer'));
  };
  const memoKey = (k: number) => {
    if (!memo.has(k)) throw new PickleError(`pickle memo ${k} is missing`);
    return memo.get(k);
  };

  for (;;) {
    if (p >= buf.length) throw new PickleError('pickle ends without a STOP opcode: truncated');
    const op = u8();
    switch (op) {
      case 0x80: {
        // PROTO
        const v = u8();
        if (v > 5) throw new PickleError(`pickle protocol ${v} is unknown`);
        break;
      }
      case 0x95: // FRAME (a length hint only)
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
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
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        list().push(v);
        break;
      }
      case 0x65: {
        // APPENDS: a loop, not push(...items), which overflows the call stack for 500k items.
        const items = popMark();
        const l = list();
        for (const item of items) l.push(item);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw new PickleError(`ADDITEMS on ${describe(s)}`);
        for (const item of items) s.add(item);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(longOperand(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(longOperand(u32()));
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
        need(8, 'a float');
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32(), 'a string').toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8(), 'a string').toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(bytes(u64(), 'a string').toString('utf8'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8(), 'a string').toString('latin1'));
        break;
      case 0x54: // BINSTRING
        stack.push(bytes(u32(), 'a string').toString('latin1'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(bytes(u8(), 'bytes')));
        break;
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(bytes(u32(), 'bytes')));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(Uint8Array.from(bytes(u64(), 'bytes')));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push(refuseUnlessAllowed(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL of ${describe(module)} and ${describe(name)}, not strings`);
        stack.push(refuseUnlessAllowed(module, name));
        break;
      }
      case 0x69: {
        // INST: instantiates a class named inline; refuse by name, and no state dict uses it.
        const module = line();
        const name = line();
        refuseUnlessAllowed(module, name);
        throw new PickleError(`INST ${module}.${name} is not used by torch.save`);
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
      case 0x70: // PUT (text)
        memo.set(parseInt(line(), 10), top());
        break;
      case 0x68: // BINGET
        stack.push(memoKey(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoKey(u32()));
        break;
      case 0x67: // GET (text)
        stack.push(memoKey(parseInt(line(), 10)));
        break;
      case 0x30: // POP: Python pops the mark itself when the current stack is empty.
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x52: // REDUCE
      case 0x81: {
        // NEWOBJ (cls, args) is the same call for the classes we allow.
        const args = toTuple(pop(), op === 0x52 ? 'REDUCE arguments' : 'NEWOBJ arguments');
        const fn = pop();
        stack.push(callAllowed(fn, args));
        break;
      }
      case 0x62: {
        // BUILD: OrderedDict _metadata and tensor state carry nothing the weights need.
        pop();
        const obj = top();
        if (!(obj instanceof PyDict) && (obj as TensorRef | null)?.kind !== 'tensor') throw new PickleError(`BUILD on ${describe(obj)}`);
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

