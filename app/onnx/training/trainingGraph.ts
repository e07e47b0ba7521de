// PA-SAM's training graph for ONNX Runtime: forward (the exporters' layers, trainable tensors as
// graph inputs, MSPCA-LoRA unmerged), the loss of app/engine/loss.ts, and the reverse-mode
// gradient of the loss w.r.t. every trainable tensor — all standard ONNX ops, opset 17, so ONNX
// Runtime's inference build runs a training step. Inputs: images (B,S,S,3) NHWC float32,
// normalised as the tfjs trainer feeds the model, labels (B,G,G) int32 at the loss grid (S/4, or S
// with lossOnUpsampledLogits), and one input per trainable tensor (stable name, tfjs shape).
// Outputs: loss, ce, dice (scalars), logits (B,G,G,K+1) NHWC (the ones the loss saw), and
// `grad:<name>` per tensor. The forward graph: logits (B,S/4,S/4,K+1) only.
import { gridSize } from '../../model/sam/config.js';
import type { PasamModel } from '../../model/pasam/pasamModel.js';
import type { tf } from '../../tensor/tf.js';
import { differentiate } from '../autodiff/backward.js';
import { TrackedGraphBuilder } from '../autodiff/trackedGraph.js';
import { recomputeHooks } from '../autodiff/recompute.js';
import { buildPasamLogits } from '../pasamExport.js';
import { trainingLoraAdapter, trainingTinyVitLoraAdapter } from './loraTrainingAdapter.js';
import { segmentationLossGraph, upsampleLogits, type LossOptions } from './lossGraph.js';
import { TrainingLayers } from './trainingLayers.js';

export interface TrainingGraphOptions {
  batch: number;
  loss: LossOptions;
  /** 'forward': logits only (evaluation). */
  mode: 'train' | 'forward';
  /** Recompute each encoder block's internals in the backward pass from its input (less memory, ~1/3 more compute). */
  recompute?: boolean;
}

export interface TrainingGraph {
  /** The ONNX ModelProto. */
  bytes: Uint8Array;
  /** Every trainable tensor of the model, stable names, tfjs shapes. */
  trainable: { name: string; shape: number[] }[];
  /** Trainable tensors the graph reads (its float inputs besides `images`). */
  inputs: string[];
  /** sha256 over the graph's content (structure, options and weights). */
  hash: string;
}

export const GRAD_PREFIX = 'grad:';

/** The graph builder, before serialisation (tests and the cache use it). */
export function buildTrainingGraphBuilder(model: PasamModel, opts: TrainingGraphOptions): { builder: TrackedGraphBuilder; layers: TrainingLayers } {
  if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new Error(`training graph: batch must be a positive integer, got ${opts.batch}`);
  const vars = model.trainableVariables();
  const byTensor = new Map<tf.Tensor, string>([...vars].map(([name, v]) => [v as tf.Tensor, name]));
  const b = new TrackedGraphBuilder(opts.mode === 'train' ? 'pasam_train' : 'pasam_forward');
  const layers = new TrainingLayers(b, byTensor);
  const s = model.samConfig.imgSize;
  const h = 4 * gridSize(model.samConfig);
  const k1 = model.numClasses;
  const images = b.input('images', [opts.batch, s, s, 3]);
  const tinyVit = model.samConfig.tinyVit ? trainingTinyVitLoraAdapter(model) : undefined;
  const lowRes = buildPasamLogits(layers, model, layers.transpose(images, [0, 3, 1, 2]), trainingLoraAdapter(model), tinyVit); // (B, K+1, h, h)
  if (opts.mode === 'forward') {
    b.op('Transpose', [lowRes], { perm: [0, 2, 3, 1] }, 'logits');
    b.output('logits', [opts.batch, h, h, k1]);
    return { builder: b, layers };
  }
  const grid = opts.loss.lossOnUpsampledLogits ? s : h;
  const labels = b.input('labels', [opts.batch, grid, grid], 'int32');
  const scored = opts.loss.lossOnUpsampledLogits ? upsampleLogits(layers, lowRes, h, h, s) : lowRes;
  // The logits the loss saw, for training metrics.
  b.op('Transpose', [scored], { perm: [0, 2, 3, 1] }, 'logits');
  b.output('logits', [opts.batch, grid, grid, k1]);
  const { loss, ce, dice } = segmentationLossGraph(layers, scored, labels, k1, opts.loss);
  const sources = layers.usedInputs;
  const grads = differentiate(b, layers, { loss, sources, ...(opts.recompute ? recomputeHooks(b, layers, layers.blocks) : {}) });
  for (const [name, out] of [['loss', loss], ['ce', ce], ['dice', dice]] as const) {
    b.op('Identity', [out], {}, name);
    b.output(name, []);
  }
  for (const [name, v] of vars) {
    const g = grads.get(name);
    const out = `${GRAD_PREFIX}${name}`;
    if (g) b.op('Identity', [g], {}, out);
    else b.op('ConstantOfShape', [layers.ints(v.shape)], { value: { tensor: new Float32Array([0]), dims: [1] } }, out);
    b.output(out, v.shape);
  }
  return { builder: b, layers };
}

/** Builds and serialises the training (or forward) graph of a model. */
export function buildTrainingGraph(model: PasamModel, opts: TrainingGraphOptions): TrainingGraph {
  const built = prepareTrainingGraph(model, opts);
  return { bytes: built.serialize(), trainable: built.trainable, inputs: built.inputs, hash: built.hash };
}

/** A built graph with its content hash, serialised only on demand (a cache hit skips it). */
export interface PreparedTrainingGraph extends Omit<TrainingGraph, 'bytes'> {
  /** In memory, or to `path` with weights in `<path>.data` when they pass ONNX's 2 GB limit. */
  serialize(path?: string): Uint8Array;
}

export function prepareTrainingGraph(model: PasamModel, opts: TrainingGraphOptions): PreparedTrainingGraph {
  const { builder, layers } = buildTrainingGraphBuilder(model, opts);
  const metadata = { 'pasam.training': JSON.stringify({ ...opts, config: model.config, numClasses: model.numClasses }) };
  const hash = builder.contentHash(metadata['pasam.training']);
  const trainable = [...model.trainableVariables()].map(([name, v]) => ({ name, shape: [...v.shape] }));
  return { trainable, inputs: layers.usedInputs, hash, serialize: (path) => builder.serialize({ path, metadata }) };
}
