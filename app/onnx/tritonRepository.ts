// A Triton Inference Server model repository for exported ONNX models:
//   <repo>/<model>/config.pbtxt
//   <repo>/<model>/1/model.onnx (+ model.onnx.data when the weights are external)
// The config's inputs and outputs are read from the ONNX graph itself. A model whose first
// dimension is symbolic on every input and output gets max_batch_size and dynamic batching (Triton
// then lists dims without the batch axis); others are served unbatched with full dims.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readOnnxSignature, type TensorSignature } from './onnxSignature.js';

/** What Triton accepts as a model (directory) name. */
export const TRITON_NAME = /^[A-Za-z0-9_.-]+$/;

export interface TritonModelSpec {
  /** Triton model name (directory name): letters, digits, '_', '-', '.'. */
  name: string;
  onnxPath: string;
  /** Largest batch Triton may form (only for batchable models). Default 8. */
  maxBatchSize?: number;
  /** Batch sizes the scheduler prefers. Default [2, 4, 8] clipped to maxBatchSize. */
  preferredBatchSizes?: number[];
  /** How long a request may wait for others to batch with. Default 2000 µs. */
  maxQueueDelayMicroseconds?: number;
  /** Where instances run. Default KIND_GPU (a plant's GPU servers); KIND_CPU for CPU-only hosts. */
  instanceKind?: 'KIND_GPU' | 'KIND_CPU';
  instanceCount?: number;
}

const TRITON_TYPES: Record<string, string> = {
  float32: 'TYPE_FP32',
  float16: 'TYPE_FP16',
  int64: 'TYPE_INT64',
  int32: 'TYPE_INT32',
  uint8: 'TYPE_UINT8',
  bool: 'TYPE_BOOL',
};

function tritonType(t: TensorSignature, model: string): string {
  const type = TRITON_TYPES[t.dtype];
  if (!type) throw new Error(`${model}: tensor '${t.name}' has type ${t.dtype}, which Triton's ONNX backend config cannot state`);
  return type;
}

/** Triton dims: fixed sizes stay, symbolic ones become -1. */
function dims(shape: (number | string)[]): number[] {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
}

function tensorBlock(t: TensorSignature, batched: boolean, model: string): string {
  const shape = batched ? t.shape.slice(1) : t.shape;
  return `  {\n    name: "${t.name}"\n    data_type: ${tritonType(t, model)}\n    dims: [ ${dims(shape).join(', ')} ]\n  }`;
}

/** The config.pbtxt text for one ONNX model. */
export function tritonConfig(spec: TritonModelSpec): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(spec.name)) throw new Error(`Triton model name '${spec.name}' may only use letters, digits, '_', '-' and '.'`);
  const sig = readOnnxSignature(spec.onnxPath);
  const all = [...sig.inputs, ...sig.outputs];
  const batched = all.every((t) => t.shape.length > 0 && typeof t.shape[0] === 'string');
  const maxBatch = spec.maxBatchSize ?? 8;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`max batch size must be a positive integer, got ${maxBatch}`);
  const lines = [`name: "${spec.name}"`, 'platform: "onnxruntime_onnx"', `max_batch_size: ${batched ? maxBatch : 0}`];
  lines.push(`input [\n${sig.inputs.map((t) => tensorBlock(t, batched, spec.name)).join(',\n')}\n]`);
  lines.push(`output [\n${sig.outputs.map((t) => tensorBlock(t, batched, spec.name)).join(',\n')}\n]`);
  if (batched) {
    const preferred = (spec.preferredBatchSizes ?? [2, 4, 8]).filter((b) => b <= maxBatch);
    lines.push(
      `dynamic_batching {\n${preferred.length ? `  preferred_batch_size: [ ${preferred.join(', ')} ]\n` : ''}  max_queue_delay_microseconds: ${spec.maxQueueDelayMicroseconds ?? 2000}\n}`,
    );
  }
  lines.push(`instance_group [\n  {\n    count: ${spec.instanceCount ?? 1}\n    kind: ${spec.instanceKind ?? 'KIND_GPU'}\n  }\n]`);
  return `${lines.join('\n')}\n`;
}

export interface TritonRepositoryResult {
  repository: string;
  models: { name: string; dir: string; config: string; batched: boolean }[];
}

/** Writes (or refreshes) one model directory per spec under `repository`. */
export function writeTritonRepository(repository: string, specs: TritonModelSpec[]): TritonRepositoryResult {
  const models = specs.map((spec) => {
    const config = tritonConfig(spec);
    const dir = join(repository, spec.name);
    mkdirSync(join(dir, '1'), { recursive: true });
    copyFileSync(spec.onnxPath, join(dir, '1', 'model.onnx'));
    // External weights (> 2 GB) keep the file name the graph refers to.
    if (existsSync(`${spec.onnxPath}.data`)) copyFileSync(`${spec.onnxPath}.data`, join(dir, '1', `${basename(spec.onnxPath)}.data`));
    writeFileSync(join(dir, 'config.pbtxt'), config);
    return { name: spec.name, dir, config, batched: /max_batch_size: [1-9]/.test(config) };
  });
  return { repository, models };
}
