// Builds ONNX graphs through the maintained ONNX protobuf schema (onnx-proto), one node at a time.
// Model exporters describe their forward pass with it; weights become initializers, stored inline
// or, past a size threshold, in an external-data file (ONNX protobufs cannot exceed 2 GB).
import onnxProto from 'onnx-proto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

const { onnx } = onnxProto;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export type Dim = number | string;
export type ElemType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';
export type AttrValue = number | number[] | string | { floats: number[] } | { tensor: Float32Array; dims: number[] };

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export const DEFAULT_OPSET = 17;

function valueInfo(name: string, elem: ElemType, dims: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: ELEM[elem],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttrValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? onnx.AttributeProto.create({ name, type: A.INT, i: value }) : onnx.AttributeProto.create({ name, type: A.FLOAT, f: value });
  }
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: value });
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: value.floats });
  return onnx.AttributeProto.create({ name, type: A.TENSOR, t: floatTensor(name, value.tensor, value.dims) });
}

function floatTensor(name: string, data: Float32Array, dims: number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: ELEM.float32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

export interface SaveOptions {
  /** Initializers at least this large (bytes) go to `<file>.data` when the total would exceed it. */
  externalDataAboveBytes?: number;
  /** Smaller tensors stay inline even then. */
  externalTensorMinBytes?: number;
}

export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: { name: string; elem: ElemType; dims: number[]; bytes: Uint8Array }[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string, readonly opset = DEFAULT_OPSET) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  input(name: string, dims: Dim[], elem: ElemType = 'float32'): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  output(name: string, dims: Dim[], elem: ElemType = 'float32'): void {
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A float32 weight or constant; returns its value name. */
  weight(prefix: string, data: Float32Array, dims: number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, elem: 'float32', dims, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** An int64 constant (shapes, axes, indices). */
  int64(prefix: string, values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh(prefix);
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, elem: 'int64', dims, bytes: new Uint8Array(data.buffer) });
    return name;
  }

  /** Adds one node; returns the names of its outputs (fresh unless `outputs` names them). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : outputs;
    for (const n of outNames) this.names.add(n);
    this.nodes.push(
      onnx.NodeProto.create({
        opType: op,
        input: inputs,
        output: outNames,
        name: this.fresh(`node_${op}`),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outNames;
  }

  /** Shorthand for a single-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]!;
  }

  get initializerBytes(): number {
    return this.initializers.reduce((s, i) => s + i.bytes.byteLength, 0);
  }

  /** Serialises the model; weights go to an external-data file when `path` is given and they are large. */
  serialize(options: SaveOptions & { path?: string; docString?: string; metadata?: Record<string, string> } = {}): Uint8Array {
    const threshold = options.externalDataAboveBytes ?? 1.8 * 1024 ** 3;
    const minTensor = options.externalTensorMinBytes ?? 1024;
    const external = options.path !== undefined && this.initializerBytes > threshold;
    let fd: number | undefined;
    let offset = 0;
    const dataFile = options.path ? `${basename(options.path)}.data` : '';
    if (external) fd = openSync(`${options.path}.data`, 'w');
    try {
      const initializer = this.initializers.map((i) => {
        if (fd !== undefined && i.bytes.byteLength >= minTensor) {
          // ONNX Runtime memory-maps external data; keep each tensor aligned.
          const pad = (64 - (offset % 64)) % 64;
          if (pad) writeSync(fd, new Uint8Array(pad), 0, pad, offset);
          offset += pad;
          writeSync(fd, i.bytes, 0, i.bytes.byteLength, offset);
          const entry = onnx.TensorProto.create({
            name: i.name,
            dims: i.dims,
            dataType: ELEM[i.elem],
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              onnx.StringStringEntryProto.create({ key: 'location', value: dataFile }),
              onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
              onnx.StringStringEntryProto.create({ key: 'length', value: String(i.bytes.byteLength) }),
            ],
          });
          offset += i.bytes.byteLength;
          return entry;
        }
        return onnx.TensorProto.create({ name: i.name, dims: i.dims, dataType: ELEM[i.elem], rawData: i.bytes });
      });
      const graph = onnx.GraphProto.create({ name: this.graphName, node: this.nodes, initializer, input: this.inputs, output: this.outputs });
      const model = onnx.ModelProto.create({
        irVersion: 8,
        producerName: 'pasam-workstation',
        producerVersion: '0.1.0',
        docString: options.docString ?? '',
        opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: this.opset })],
        metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
        graph,
      });
      return onnx.ModelProto.encode(model).finish();
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
