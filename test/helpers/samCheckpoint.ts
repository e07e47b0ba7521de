// Writes a SAM checkpoint of an official shape (vit_b / vit_l / vit_h) with random weights and the
// official segment-anything state_dict names, in PyTorch's zip format — what a user imports,
// without downloading anything. Norm gains are 1 and the rest small uniform noise, so activations
// stay finite through 12+ blocks.
import { presetConfig, type SamPresetName, type SamConfig } from '../../app/model/sam/config.js';
import { samTensorSpecs } from '../../app/model/sam/weights.js';
import { statePickle, writeTorchZip, type FakeStorage, type FakeTensor } from '../sam/torchZipWriter.js';

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) stride[i] = stride[i + 1]! * shape[i + 1]!;
  return stride;
}

export function writeRandomSamCheckpoint(file: string, preset: SamPresetName | SamConfig = 'vit_b', seed = 1): { tensors: number; values: number } {
  const cfg = typeof preset === 'string' ? presetConfig(preset) : preset;
  let state = seed >>> 0 || 1;
  const tensors: FakeTensor[] = [];
  const storages: FakeStorage[] = [];
  let values = 0;
  for (const [i, spec] of samTensorSpecs(cfg).entries()) {
    const numel = spec.torchShape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(numel);
    const gain = /norm.*\.weight$|^image_encoder\.neck\.[13]\.weight$/.test(spec.name) && spec.torchShape.length === 1;
    if (gain) data.fill(1);
    else
      for (let j = 0; j < numel; j++) {
        // xorshift32: fast enough for 90 M values.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        data[j] = ((state >>> 0) / 4294967296 - 0.5) * 0.04;
      }
    const key = String(i);
    storages.push({ key, cls: 'FloatStorage', numel, bytes: new Uint8Array(data.buffer) });
    tensors.push({ name: spec.name, storageKey: key, offset: 0, shape: spec.torchShape, stride: contiguousStride(spec.torchShape) });
    values += numel;
  }
  writeTorchZip(file, 'archive', statePickle(tensors, storages), storages);
  return { tensors: tensors.length, values };
}
