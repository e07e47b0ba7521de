// The segmentation loss of app/engine/loss.ts as ONNX nodes, on class logits in NCHW:
// ceWeight·CE + diceWeight·Dice, CE = (class-weighted) mean of −log softmax at the label,
// Dice per class over the whole batch, (2Σp·g + 1e-5)/(Σp² + Σg² + 1e-5), averaged over the K+1
// classes (class-weighted) or over the classes present in the batch's labels. Same op order as the
// tfjs code so float32 results agree closely.
import { bilinearMatrix } from '../../tensor/gradOps.js';
import type { OnnxLayers } from '../onnxLayers.js';

const SMOOTH = 1e-5;

export interface LossOptions {
  ceWeight: number;
  diceWeight: number;
  classWeights?: number[];
  /** Average the Dice term over the classes present in the batch's labels (tiled runs' default). */
  dicePresentOnly?: boolean;
  lossOnUpsampledLogits: boolean;
}

/**
 * Bilinear half-pixel resize (B, C, h, w) → (B, C, size, size) as two products with constant
 * interpolation matrices — the same matrices gradOps.resizeBilinear's exact gradient uses.
 */
export function upsampleLogits(layers: OnnxLayers, logits: string, h: number, w: number, size: number): string {
  const rwT = transposed(bilinearMatrix(w, size), size, w); // (w, S)
  const rh = bilinearMatrix(h, size); // (S, h)
  const cols = layers.matMul(logits, layers.b.weight('resize_w', rwT, [w, size]));
  return layers.matMul(layers.b.weight('resize_h', rh, [size, h]), cols);
}

function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/** loss, ce, dice (scalars) of logits (B, C, H, W) against labels (B, H, W) int32. */
export function segmentationLossGraph(layers: OnnxLayers, logits: string, labels: string, numClasses: number, opts: LossOptions): { loss: string; ce: string; dice: string } {
  const b = layers.b;
  const c = numClasses;
  const weights = opts.classWeights;
  if (weights && weights.length !== c) throw new Error(`training graph: ${weights.length} class weights for ${c} classes`);
  const classes = b.int64('classes', Array.from({ length: c }, (_, i) => i), [1, c, 1, 1]);
  const lab = b.op('Unsqueeze', [b.op('Cast', [labels], { to: 7 }), layers.ints([1])]);
  const onehot = b.op('Cast', [b.op('Equal', [lab, classes])], { to: 1 }); // (B, C, H, W)
  const logp = b.op('LogSoftmax', [logits], { axis: 1 });
  const nll = b.op('Neg', [b.op('ReduceSum', [layers.mul(onehot, logp), layers.ints([1])], { keepdims: 0 })]); // (B, H, W)
  const all = [0, 1, 2];
  let ce: string;
  if (weights) {
    const w = b.weight('class_weights', new Float32Array(weights), [1, c, 1, 1]);
    const wPix = b.op('ReduceSum', [layers.mul(onehot, w), layers.ints([1])], { keepdims: 0 });
    ce = b.op('Div', [b.op('ReduceSum', [layers.mul(wPix, nll), layers.ints(all)], { keepdims: 0 }), b.op('ReduceSum', [wPix, layers.ints(all)], { keepdims: 0 })]);
  } else {
    ce = b.op('ReduceMean', [nll], { axes: all, keepdims: 0 });
  }
  const p = b.op('Exp', [logp]);
  const perClass = layers.ints([0, 2, 3]);
  const inter = b.op('ReduceSum', [layers.mul(p, onehot), perClass], { keepdims: 0 });
  const zSum = b.op('ReduceSum', [layers.mul(p, p), perClass], { keepdims: 0 });
  const ySum = b.op('ReduceSum', [onehot, perClass], { keepdims: 0 });
  const dicePerClass = b.op('Div', [layers.add(layers.mul(inter, layers.scalar(2)), layers.scalar(SMOOTH)), layers.add(layers.add(zSum, ySum), layers.scalar(SMOOTH))]);
  let lossPerClass = layers.sub(layers.scalar(1), dicePerClass);
  if (weights) lossPerClass = layers.mul(lossPerClass, b.weight('dice_class_weights', new Float32Array(weights), [c]));
  let dice: string;
  if (opts.dicePresentOnly) {
    // The mask of present classes depends on the labels only: no gradient flows through it.
    const present = b.op('Cast', [b.op('Greater', [ySum, layers.scalar(0)])], { to: 1 });
    const count = b.op('Max', [b.op('ReduceSum', [present, layers.ints([0])], { keepdims: 0 }), layers.scalar(1)]);
    dice = b.op('Div', [b.op('ReduceSum', [layers.mul(lossPerClass, present), layers.ints([0])], { keepdims: 0 }), count]);
  } else dice = b.op('Div', [b.op('ReduceSum', [lossPerClass, layers.ints([0])], { keepdims: 0 }), layers.scalar(c)]);
  const loss = layers.add(layers.mul(ce, layers.scalar(opts.ceWeight)), layers.mul(dice, layers.scalar(opts.diceWeight)));
  return { loss, ce, dice };
}
