// A pickled tensor is a view (offset, sizes, strides) over a storage. These checks make sure a view
// only touches its own storage's bytes and never asks for more elements than the storage holds, so
// a crafted file can neither read outside a tensor nor make the reader allocate unbounded memory.
import { DTYPE_ITEM_SIZE, type TensorRef } from './pickleGlobals.js';

/** torch's own limit on tensor dimensions. */
const MAX_DIMS = 64;

export interface CheckedView {
  /** Elements in the view (product of sizes). */
  numel: number;
  /** Storage elements from the view's offset to the last one it touches (0 for an empty view). */
  span: number;
}

/** Checks a view against its storage, which holds `storageBytes` bytes; returns the problem, or the view's extent. */
export function checkView(ref: TensorRef, storageBytes: number): CheckedView | string {
  const { offset, shape, stride, storage } = ref;
  const itemSize = DTYPE_ITEM_SIZE[storage.dtype];
  if (itemSize === undefined) return `its storage has the unknown dtype ${storage.dtype}`;
  if (storage.numel * itemSize > storageBytes) return `its storage declares ${storage.numel} ${storage.dtype} elements but holds ${storageBytes} bytes`;
  if (!Number.isSafeInteger(offset) || offset < 0) return `storage offset ${offset} is not a non-negative integer`;
  if (shape.length !== stride.length) return `it has ${shape.length} sizes but ${stride.length} strides`;
  if (shape.length > MAX_DIMS) return `it has ${shape.length} dimensions (torch allows ${MAX_DIMS})`;
  let numel = 1;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (!Number.isSafeInteger(size) || size < 0) return `size ${size} of dimension ${d} is not a non-negative integer`;
    if (!Number.isSafeInteger(stride[d])) return `stride ${stride[d]} of dimension ${d} is not an integer`;
    // Zero strides (expanded views) and negative ones never occur in saved parameters.
    if (size > 1 && stride[d] <= 0) return `stride ${stride[d]} of dimension ${d} (size ${size}) is zero or negative`;
    numel *= size;
  }
  if (numel === 0) return { numel: 0, span: 0 };
  if (numel > storage.numel) return `its ${shape.join('×')} elements exceed the ${storage.numel} its storage holds`;
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (!Number.isSafeInteger(last) || last >= storage.numel) return `it reaches storage element ${last}, beyond the storage's ${storage.numel} elements`;
  return { numel, span: last - offset + 1 };
}

export function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view (relative to its first element in `src`) into a contiguous array. */
export function gatherStrided(src: Float32Array, shape: number[], stride: number[], numel: number): Float32Array {
  const out = new Float32Array(numel);
  const idx = new Array<number>(shape.length).fill(0);
  let s = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[s];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      s += stride[d];
      if (idx[d] < shape[d]) break;
      s -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
