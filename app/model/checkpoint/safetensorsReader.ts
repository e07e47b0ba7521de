// Reads a .safetensors file: an 8-byte header length, a JSON header of name → {dtype, shape,
// data_offsets}, then the raw data. The header is checked whole at open (shape × dtype size equal
// to the byte range, every range inside the file), so a read never touches bytes it should not.
import { CheckpointFileReader, clip } from './checkpointError.js';
import { decodeFloats, FLOAT_ITEM_SIZE } from './floatDecode.js';
import { readExactly } from './zipReader.js';
import type { CheckpointReader, CheckpointTensorInfo } from './checkpointReader.js';

/**
 * Header limit: the format allows 100 MB, but a SAM header is under 100 KB (vit_h: ~600 tensors), and
 * a 100 MB crafted header would take a minute to parse on a loaded machine.
 */
export const MAX_SAFETENSORS_HEADER_BYTES = 16 * 1024 * 1024;
/** root → entry → shape/data_offsets is 3 levels; deeper nesting is only there to slow the parser. */
const MAX_HEADER_DEPTH = 4;

/** Every dtype of the safetensors format → [our dtype name, bytes per element]. */
const SAFETENSORS_DTYPES: Record<string, [string, number]> = {
  F64: ['float64', 8],
  F32: ['float32', 4],
  F16: ['float16', 2],
  BF16: ['bfloat16', 2],
  F8_E4M3: ['float8_e4m3fn', 1],
  F8_E5M2: ['float8_e5m2', 1],
  F8_E8M0: ['float8_e8m0fnu', 1],
  I64: ['int64', 8],
  I32: ['int32', 4],
  I16: ['int16', 2],
  I8: ['int8', 1],
  U64: ['uint64', 8],
  U32: ['uint32', 4],
  U16: ['uint16', 2],
  U8: ['uint8', 1],
  BOOL: ['bool', 1],
  C64: ['complex64', 8],
};

interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Deepest bracket nesting of a JSON text (outside strings), in one linear pass. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeJson(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export class SafetensorsReader extends CheckpointFileReader implements CheckpointReader {
  readonly format = 'safetensors' as const;
  readonly tensors: CheckpointTensorInfo[] = [];
  private readonly entries = new Map<string, Entry>();
  private dataStart = 0;

  async init(fileSize: number): Promise<void> {
    const lenBuf = await readExactly(this.fh, this.file, 0, 8, 'the safetensors header length');
    const declared = lenBuf.readBigUInt64LE(0);
    if (declared > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) this.fail(`not a safetensors file, or not a SAM one (header length ${declared} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit)`);
    const headerLen = Number(declared);
    if (8 + headerLen > fileSize) this.fail(`safetensors header of ${headerLen} bytes extends beyond the end of the file (${fileSize} bytes): truncated`);
    const headerText = (await readExactly(this.fh, this.file, 8, headerLen, 'the safetensors header')).toString('utf8');
    const depth = jsonDepth(headerText);
    if (depth > MAX_HEADER_DEPTH) this.fail(`safetensors header nests ${depth} levels deep (the format uses 3): corrupt or crafted`);
    let header: unknown;
    try {
      header = JSON.parse(headerText);
    } catch {
      this.fail('safetensors header is not valid JSON (its declared length may be wrong): not a safetensors file or corrupt');
    }
    if (!isObject(header)) this.fail(`safetensors header is ${describeJson(header)}, not a JSON object: corrupt`);
    this.dataStart = 8 + headerLen;
    const dataBytes = fileSize - this.dataStart;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = this.checkEntry(name, info, dataBytes);
      this.entries.set(name, entry);
      this.tensors.push({ name, shape: entry.shape, dtype: entry.dtype });
    }
  }

  private checkEntry(name: string, info: unknown, dataBytes: number): Entry {
    if (!isObject(info)) this.fail(`safetensors entry '${clip(name)}' is ${describeJson(info)}, not an object: corrupt`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPES, dtype)) this.fail(`tensor '${clip(name)}' has the unknown dtype ${JSON.stringify(dtype) ?? String(dtype)}`);
    const [ourDtype, itemSize] = SAFETENSORS_DTYPES[dtype];
    if (!Array.isArray(shape) || shape.length > 64 || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) this.fail(`tensor '${clip(name)}' has a malformed shape (expected a list of non-negative integers)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      this.fail(`tensor '${clip(name)}' has malformed data_offsets (expected [begin, end] with 0 ≤ begin ≤ end)`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataBytes) this.fail(`tensor '${clip(name)}' (bytes ${begin}–${end} of the data) extends beyond the end of the file: truncated`);
    let bytes = itemSize;
    for (const s of shape as number[]) bytes *= s;
    if (bytes !== end - begin) this.fail(`tensor '${clip(name)}' byte range holds ${end - begin} bytes, but its shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`);
    return { dtype: ourDtype, shape: shape as number[], begin, end };
  }

  async read(name: string): Promise<Float32Array> {
    const e = this.entries.get(name);
    if (!e) this.fail(`no tensor named '${clip(name)}'`);
    const itemSize = FLOAT_ITEM_SIZE[e.dtype];
    if (itemSize === undefined) this.fail(`tensor '${clip(name)}' has dtype ${e.dtype}; only F32/F16/BF16/F64 are supported`);
    const n = (e.end - e.begin) / itemSize;
    const raw = await readExactly(this.fh, this.file, this.dataStart + e.begin, e.end - e.begin, `tensor '${clip(name)}'`);
    return decodeFloats(raw, e.dtype, n);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
