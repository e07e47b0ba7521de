// Helpers of the ONNX training-graph tests: a small fixed NEU-Seg batch prepared exactly as the
// tfjs trainer prepares one (dataPipeline: resize longest side → S, normalise + pad, labels on the
// loss grid), the tfjs oracle (the trainer's loss and tf.variableGrads) and ORT step runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { tf } from '../../app/tensor/tf.js';
import { decodeImageRgb, decodeMaskPng } from '../../app/images/imageIO.js';
import { inputBatch, labelBatch, resizeForInput, resizeLabelNearest, type TrainView } from '../../app/engine/dataPipeline.js';
import { segmentationLoss } from '../../app/engine/loss.js';
import { resizeBilinear } from '../../app/tensor/gradOps.js';
import type { PasamModel } from '../../app/model/pasam/pasamModel.js';
import { buildTrainingGraph, GRAD_PREFIX, type TrainingGraph } from '../../app/onnx/training/trainingGraph.js';
import type { LossOptions } from '../../app/onnx/training/lossGraph.js';
import { NEU_DIR } from '../helpers/neuProject.js';

/** A fixed subset covering the three defect classes. */
export const NEU_IDS = ['train_000201', 'train_001300', 'train_002500', 'train_003400'];

export interface HostBatch {
  images: Float32Array;
  labels: Int32Array;
  b: number;
}

/** NEU-Seg images + masks → (B,S,S,3) normalised input and (B,G,G) labels, as the trainer builds them. */
export async function neuBatch(model: PasamModel, ids: string[], grid: number): Promise<HostBatch> {
  const desc = model.describe();
  const s = desc.inputSize;
  const views: TrainView[] = [];
  for (const id of ids) {
    const imgPath = join(NEU_DIR, 'images', `${id}.jpg`);
    const maskPath = join(NEU_DIR, 'masks', `${id}.png`);
    const img = await decodeImageRgb(readFileSync(imgPath), imgPath);
    const mask = await decodeMaskPng(readFileSync(maskPath), maskPath);
    const resized = resizeForInput(img, s);
    views.push({ resized, resizedLabel: resizeLabelNearest(mask.data, mask.width, mask.height, resized.width, resized.height) });
  }
  const x = inputBatch(views, s, desc.pixelMean, desc.pixelStd);
  const y = labelBatch(views, s, grid);
  const out = { images: Float32Array.from(x.dataSync() as Float32Array), labels: Int32Array.from(y.dataSync() as Int32Array), b: ids.length };
  x.dispose();
  y.dispose();
  return out;
}

export interface StepResult {
  loss: number;
  ce: number;
  dice: number;
  grads: Map<string, Float32Array>;
}

/** The tfjs trainer's step: forward, (upsample), segmentationLoss, variableGrads. */
export function tfjsStep(model: PasamModel, batch: HostBatch, loss: LossOptions): StepResult {
  const s = model.samConfig.imgSize;
  const vars = model.trainableVariables();
  const stable = new Map([...vars].map(([name, v]) => [v.name, name]));
  const x = tf.tensor4d(batch.images, [batch.b, s, s, 3]);
  const grid = Math.round(Math.sqrt(batch.labels.length / batch.b));
  const y = tf.tensor3d(batch.labels, [batch.b, grid, grid], 'int32');
  let terms: number[] = [];
  const { value, grads } = tf.variableGrads(() => {
    let logits = model.forward(x, { training: true });
    if (loss.lossOnUpsampledLogits) logits = resizeBilinear(logits, [s, s]);
    const l = segmentationLoss(logits, y, { ceWeight: loss.ceWeight, diceWeight: loss.diceWeight, classWeights: loss.classWeights, dicePresentOnly: loss.dicePresentOnly });
    terms = [l.ce.dataSync()[0]!, l.dice.dataSync()[0]!];
    return l.loss;
  }, [...vars.values()]);
  const out: StepResult = { loss: value.dataSync()[0]!, ce: terms[0]!, dice: terms[1]!, grads: new Map() };
  for (const [k, g] of Object.entries(grads)) out.grads.set(stable.get(k)!, Float32Array.from(g.dataSync() as Float32Array));
  tf.dispose([x, y, value, ...Object.values(grads)]);
  return out;
}

/** Current values of the model's trainable tensors. */
export function paramValues(model: PasamModel): Map<string, Float32Array> {
  return new Map([...model.trainableVariables()].map(([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
}

export async function ortSession(graph: TrainingGraph): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(graph.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 2 });
}

/** One ORT training step on explicit parameter values. */
export async function ortStep(session: ort.InferenceSession, graph: TrainingGraph, params: Map<string, Float32Array>, batch: HostBatch, s: number): Promise<StepResult> {
  const feeds: Record<string, ort.Tensor> = {
    images: new ort.Tensor('float32', batch.images, [batch.b, s, s, 3]),
    labels: new ort.Tensor('int32', batch.labels, [batch.b, Math.round(Math.sqrt(batch.labels.length / batch.b)), Math.round(Math.sqrt(batch.labels.length / batch.b))]),
  };
  const shapes = new Map(graph.trainable.map((t) => [t.name, t.shape]));
  for (const name of graph.inputs) feeds[name] = new ort.Tensor('float32', params.get(name)!, shapes.get(name)!);
  const out = await session.run(feeds);
  const grads = new Map<string, Float32Array>();
  for (const t of graph.trainable) grads.set(t.name, out[`${GRAD_PREFIX}${t.name}`]!.data as Float32Array);
  return { loss: (out.loss!.data as Float32Array)[0]!, ce: (out.ce!.data as Float32Array)[0]!, dice: (out.dice!.data as Float32Array)[0]!, grads };
}

/** ‖a − b‖ / ‖b‖ (absolute when b is zero). */
export function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

/** Worst relative L2 error over every gradient, with its tensor's name. */
export function worstGradError(ortGrads: Map<string, Float32Array>, tfGrads: Map<string, Float32Array>, names: string[]): { name: string; err: number; missing: string[] } {
  let worst = { name: '', err: 0 };
  const missing: string[] = [];
  for (const name of names) {
    const a = ortGrads.get(name);
    const b = tfGrads.get(name);
    if (!a || !b) {
      missing.push(name);
      continue;
    }
    const e = relL2(a, b);
    if (e > worst.err || !Number.isFinite(e)) worst = { name, err: e };
  }
  return { ...worst, missing };
}

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

/**
 * Every trainable tensor's ORT gradient within `tol` relative L2 of tfjs's. A tensor whose gradient
 * is below 1e-4 of the largest one (the attention key biases, exactly zero since softmax is
 * shift-invariant; some decoder q/k projections at ~1e-8) holds float32 rounding noise — tfjs's
 * own cpu and wasm backends differ there by ~1e-3 relative — so its error is measured against that
 * floor, 1e-4 × the largest gradient norm, instead of its own norm.
 * Returns the worst relative error among the tensors above the floor, for the report.
 */
export function assertGradParity(ortRes: StepResult, tfRes: StepResult, names: string[], tol = 1e-4): { worst: number; worstName: string; belowFloor: number } {
  const maxNorm = Math.max(...names.map((n) => norm(tfRes.grads.get(n) ?? new Float32Array())));
  const floor = 1e-4 * maxNorm;
  let worst = 0;
  let worstName = '';
  let belowFloor = 0;
  const problems: string[] = [];
  for (const name of names) {
    const a = ortRes.grads.get(name);
    const b = tfRes.grads.get(name);
    if (!a || !b) {
      problems.push(`${name}: missing (${a ? 'tfjs' : 'ORT'})`);
      continue;
    }
    const nb = norm(b);
    if (nb < 1e-7 * maxNorm) {
      // Exactly zero (key biases): both must be negligible.
      belowFloor++;
      if (!(norm(a) < 1e-6 * maxNorm)) problems.push(`${name}: tfjs gradient ≈ 0 but ORT's norm is ${norm(a)} (largest ${maxNorm})`);
      continue;
    }
    const e = (relL2(a, b) * Math.max(nb, Number.MIN_VALUE)) / Math.max(nb, floor);
    if (!(e <= tol)) problems.push(`${name}: relative L2 error ${e} (gradient norm ${nb}, largest ${maxNorm})`);
    if (nb < floor) belowFloor++;
    else if (!(e <= worst)) {
      worst = e;
      worstName = name;
    }
  }
  if (problems.length) throw new Error(`gradient parity failed for ${problems.length} of ${names.length} tensors: ${problems.slice(0, 8).join('; ')}`);
  return { worst, worstName, belowFloor };
}

/**
 * One step of both engines on the same batch (B = 2): ORT's training graph on the model's current
 * values and the tfjs oracle; their losses must agree within 1e-5 relative.
 */
export async function bothSteps(model: PasamModel, batch: HostBatch, loss: LossOptions): Promise<{ graph: TrainingGraph; o: StepResult; r: StepResult }> {
  const s = model.samConfig.imgSize;
  const graph = buildTrainingGraph(model, { batch: batch.b, loss, mode: 'train' });
  const session = await ortSession(graph);
  let o: StepResult;
  try {
    o = await ortStep(session, graph, paramValues(model), batch, s);
  } finally {
    await session.release();
  }
  const r = tfjsStep(model, batch, loss);
  if (!(Math.abs(o.loss - r.loss) <= 1e-5 * Math.abs(r.loss))) throw new Error(`loss ${o.loss} vs tfjs ${r.loss}`);
  return { graph, o, r };
}
