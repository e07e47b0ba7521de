// Little-endian float storages (float32/float16/bfloat16/float64) → float32, as both checkpoint
// formats store them.

/** Bytes per element of the dtypes the readers can turn into float32. */
export const FLOAT_ITEM_SIZE: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Decodes `count` little-endian elements of `dtype` (a FLOAT_ITEM_SIZE key) from `buf` to float32. */
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
      throw new RangeError(`dtype ${dtype} cannot be read as float32`);
  }
  return out;
}
