// Replaces tfjs-backend-wasm 4.22's Slice, SplitV and Unpack kernels. The stock ones read the
// WHOLE source tensor through `readSync` (a copy of the wasm heap) for every slice, so cutting a
// tensor into n pieces costs O(n · size): splitting (300,196,64) into 300 matrices took 3.2 s.
// These versions copy only the sliced elements, straight from a view of the heap.
import { tf } from './tf.js';

interface WasmTensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): WasmTensorInfo;
  typedArrayFromHeap(t: WasmTensorInfo): Float32Array | Int32Array | Uint8Array;
}

let installed = false;

/** Copies x[begin : begin+size] into out (both dense, row-major). */
function copySlice(
  xVals: Float32Array | Int32Array | Uint8Array,
  xShape: number[],
  begin: number[],
  size: number[],
  outVals: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = xShape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= xShape[d];
  }
  // Trailing axes taken whole merge into one contiguous run starting at axis `inner`.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === xShape[inner] && begin[inner] === 0) inner--;
  let run = 1;
  for (let d = inner; d < rank; d++) run *= size[d];
  const idx = new Array<number>(inner).fill(0);
  const total = size.reduce((a, b) => a * b, 1);
  let o = 0;
  while (o < total) {
    let off = begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) off += (begin[d] + idx[d]) * strides[d];
    outVals.set(xVals.subarray(off, off + run), o);
    o += run;
    for (let d = inner - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
}

function sliceInfo(backend: WasmBackendLike, x: WasmTensorInfo, begin: number[], size: number[]): WasmTensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((n) => n === 0)) return out;
  // Views are taken after makeOutput: allocating may grow (and detach) the heap buffer.
  copySlice(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

/** Installs the fixed kernels on the wasm backend (idempotent; no-op when wasm is not registered). */
export function installWasmKernelFixes(): void {
  if (installed) return;
  installed = true;
  const names = ['Slice', 'SplitV', 'Unpack'];
  const original = new Map(names.map((n) => [n, tf.getKernel(n, 'wasm')]));
  if ([...original.values()].some((k) => k === undefined)) return;

  const slice: tf.KernelFunc = (args) => {
    const x = args.inputs.x as WasmTensorInfo;
    if (x.dtype === 'string') return original.get('Slice')!.kernelFunc(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin, attrs.size);
    return sliceInfo(args.backend as WasmBackendLike, x, begin, size) as unknown as tf.TensorInfo;
  };
  const splitV: tf.KernelFunc = (args) => {
    const x = args.inputs.x as WasmTensorInfo;
    if (x.dtype === 'string') return original.get('SplitV')!.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[ax] = n;
      const out = sliceInfo(args.backend as WasmBackendLike, x, begin.slice(), size);
      begin[ax] += n;
      return out as unknown as tf.TensorInfo;
    });
  };
  const unpack: tf.KernelFunc = (args) => {
    const x = args.inputs.value as WasmTensorInfo;
    if (x.dtype === 'string') return original.get('Unpack')!.kernelFunc(args);
    let { axis } = args.attrs as unknown as { axis: number };
    if (axis < 0) axis += x.shape.length;
    const outShape = x.shape.filter((_, d) => d !== axis);
    const size = x.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < x.shape[axis]; i++) {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[axis] = i;
      const out = sliceInfo(args.backend as WasmBackendLike, x, begin, size);
      outs.push({ dataId: out.dataId, dtype: out.dtype, shape: outShape } as unknown as tf.TensorInfo);
    }
    return outs;
  };
  const impl: Record<string, tf.KernelFunc> = { Slice: slice, SplitV: splitV, Unpack: unpack };
  for (const name of names) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: impl[name] });
  }
}
