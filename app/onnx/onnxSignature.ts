// The inputs and outputs an ONNX file declares (names, element types, shapes), read with the ONNX
// protobuf schema. Triton configs and model cards are written from this, so they cannot disagree
// with the graph.
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';

const { onnx } = onnxProto;

export interface TensorSignature {
  name: string;
  /** 'float32' | 'int64' | … */
  dtype: string;
  /** Fixed sizes as numbers; symbolic (dynamic) dimensions as their names. */
  shape: (number | string)[];
}

export interface OnnxSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  opset: number;
  irVersion: number;
  metadata: Record<string, string>;
}

const DTYPES: Record<number, string> = {
  [onnx.TensorProto.DataType.FLOAT]: 'float32',
  [onnx.TensorProto.DataType.INT64]: 'int64',
  [onnx.TensorProto.DataType.INT32]: 'int32',
  [onnx.TensorProto.DataType.UINT8]: 'uint8',
  [onnx.TensorProto.DataType.BOOL]: 'bool',
  [onnx.TensorProto.DataType.FLOAT16]: 'float16',
};

function toSignature(v: onnxProto.onnx.IValueInfoProto): TensorSignature {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dtype: DTYPES[t?.elemType ?? 0] ?? `onnx-type-${t?.elemType}`,
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0))),
  };
}

/** Reads an ONNX file's graph signature; errors name the file. */
export function readOnnxSignature(path: string): OnnxSignature {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read ONNX model (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${path}: not a valid ONNX model (truncated or malformed?): ${(err as Error).message}`);
  }
  if (!model.graph) throw new Error(`${path}: ONNX model has no graph`);
  const initializers = new Set((model.graph.initializer ?? []).map((i) => i.name));
  return {
    inputs: (model.graph.input ?? []).filter((i) => !initializers.has(i.name)).map(toSignature),
    outputs: (model.graph.output ?? []).map(toSignature),
    opset: Number(model.opsetImport.find((o) => !o.domain)?.version ?? 0),
    irVersion: Number(model.irVersion),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
  };
}
