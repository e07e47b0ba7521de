// Frames API params/results that contain Uint8Array payloads (masks) for the HTTP transport:
// "PSM1" | u32le JSON length | JSON (byte arrays replaced by {"$bin":[offset,length]}) | bytes.
// Pure and dependency-free: used by the browser client and the server alike.
const MAGIC = [0x50, 0x53, 0x4d, 0x31];

export class WireFormatError extends Error {
  constructor(message: string) {
    super(`malformed API message: ${message}`);
    this.name = 'WireFormatError';
  }
}

export function encodeMessage(value: unknown): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) {
      chunks.push(v);
      const ref = { $bin: [offset, v.byteLength] };
      offset += v.byteLength;
      return ref;
    }
    return v;
  });
  const jsonBytes = new TextEncoder().encode(json ?? 'null');
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, jsonBytes.byteLength, true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WireFormatError('missing PSM1 header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > bytes.byteLength) throw new WireFormatError('JSON part runs past the end');
  const binStart = 8 + jsonLength;
  const binLength = bytes.byteLength - binStart;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(8, binStart)));
  } catch (err) {
    throw new WireFormatError(err instanceof Error ? err.message : String(err));
  }
  return revive(parsed, bytes, binStart, binLength);
}

function revive(v: unknown, bytes: Uint8Array, binStart: number, binLength: number): unknown {
  if (Array.isArray(v)) return v.map((x) => revive(x, bytes, binStart, binLength));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const ref = o.$bin;
  if (Array.isArray(ref) && Object.keys(o).length === 1) {
    const [off, len] = ref as unknown[];
    if (!Number.isInteger(off) || !Number.isInteger(len) || (off as number) < 0 || (len as number) < 0 || (off as number) + (len as number) > binLength) {
      throw new WireFormatError('byte reference out of range');
    }
    // Copy so the payload owns an aligned, independent buffer.
    return bytes.slice(binStart + (off as number), binStart + (off as number) + (len as number));
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = revive(x, bytes, binStart, binLength);
  return out;
}
