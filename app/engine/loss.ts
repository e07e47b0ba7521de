// PA-SAM.md §2 default loss: ceWeight·CE + diceWeight·Dice on the decoder's low-resolution class
// logits (SAMed: 0.2·CE + 0.8·Dice). One-hot products instead of gather (whose gradient is
// missing on wasm); only kernels with fast gradients on every backend.
import { tf } from '../tensor/tf.js';

export interface SegmentationLossOptions {
  /** Weight of the cross-entropy term (default 0.2). */
  ceWeight?: number;
  /** Weight of the Dice term (default 0.8). */
  diceWeight?: number;
  /**
   * Per-class weights (K+1 values, background first). CE as torch CrossEntropyLoss(weight):
   * Σ w_y·nll / Σ w_y; Dice as SAMed DiceLoss(weight): Σ_c w_c·(1 − dice_c) / (K+1).
   */
  classWeights?: readonly number[];
  /**
   * Focal loss exponent γ (Lin et al.): each pixel's CE term is scaled by (1 − p_y)^γ, so easy
   * background pixels stop drowning the rare defects. 0 (default) = plain CE.
   */
  focalGamma?: number;
  /** Average the Dice term over the classes present in the labels only (default: all K+1). */
  dicePresentOnly?: boolean;
  /** Check labels ∈ [0, K] (one small sync per call; default true). */
  validateLabels?: boolean;
}

export interface SegmentationLoss {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  ce: tf.Scalar;
  dice: tf.Scalar;
}

const SMOOTH = 1e-5;

/**
 * logits: (B, h, w, K+1) raw class scores, class 0 = background; labels: int32 (B, h, w).
 * CE = mean over pixels of −log softmax(logits)[label]; Dice per class c over the whole batch:
 * (2Σp·g + 1e-5)/(Σp² + Σg² + 1e-5), loss = mean over the K+1 classes of (1 − dice_c).
 */
export function segmentationLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, opts: SegmentationLossOptions = {}): SegmentationLoss {
  const [B, h, w, C] = logits.shape;
  if (labels.rank !== 3 || labels.shape[0] !== B || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw new Error(`segmentationLoss: labels (${labels.shape}) do not match logits (${logits.shape}) without the class axis`);
  }
  if (labels.dtype !== 'int32') throw new Error(`segmentationLoss: labels must be int32, got ${labels.dtype}`);
  const weights = opts.classWeights;
  if (weights && weights.length !== C) throw new Error(`segmentationLoss: ${weights.length} class weights for ${C} classes`);
  if (opts.validateLabels ?? true) {
    const [lo, hi] = tf.tidy(() => tf.stack([tf.min(labels), tf.max(labels)]).dataSync());
    if (lo < 0 || hi >= C) throw new Error(`segmentationLoss: labels span ${lo}..${hi} but the logits have ${C} classes (0..${C - 1})`);
  }
  const ceWeight = opts.ceWeight ?? 0.2;
  const diceWeight = opts.diceWeight ?? 0.8;
  return tf.tidy(() => {
    const flat = tf.reshape(logits, [-1, C]) as tf.Tensor2D;
    const onehot = tf.oneHot(tf.reshape(labels, [-1]) as tf.Tensor1D, C).toFloat();
    const logp = tf.logSoftmax(flat);
    const logpy = tf.sum(tf.mul(onehot, logp), 1);
    let nllPerPixel = tf.neg(logpy);
    const gamma = opts.focalGamma ?? 0;
    if (gamma > 0) nllPerPixel = tf.mul(tf.pow(tf.sub(1, tf.exp(logpy)), gamma), nllPerPixel);
    let ce: tf.Scalar;
    if (weights) {
      const wPix = tf.sum(tf.mul(onehot, tf.tensor1d(weights as number[])), 1);
      ce = tf.div(tf.sum(tf.mul(wPix, nllPerPixel)), tf.sum(wPix));
    } else ce = tf.mean(nllPerPixel);
    const p = tf.exp(logp);
    const inter = tf.sum(tf.mul(p, onehot), 0);
    const zSum = tf.sum(tf.square(p), 0);
    const ySum = tf.sum(onehot, 0);
    const dicePerClass = tf.div(tf.add(tf.mul(inter, 2), SMOOTH), tf.add(tf.add(zSum, ySum), SMOOTH));
    let lossPerClass = tf.sub(1, dicePerClass);
    if (weights) lossPerClass = tf.mul(lossPerClass, tf.tensor1d(weights as number[]));
    let dice: tf.Scalar;
    if (opts.dicePresentOnly) {
      const present = tf.cast(tf.greater(ySum, 0), 'float32');
      dice = tf.div(tf.sum(tf.mul(lossPerClass, present)), tf.maximum(tf.sum(present), 1)) as tf.Scalar;
    } else dice = tf.div(tf.sum(lossPerClass), C) as tf.Scalar;
    const loss = tf.add(tf.mul(ce, ceWeight), tf.mul(dice, diceWeight)) as tf.Scalar;
    return { loss, ce, dice };
  });
}

/**
 * Nearest-neighbour resize of an H×W class mask to the logits grid (PA-SAM.md §2: labels are
 * resized nearest to 4× the embedding size). Uses PyTorch 'nearest' indexing: src = floor(dst·in/out).
 */
export function resizeLabelsNearest(mask: ArrayLike<number>, height: number, width: number, outH: number, outW: number): Int32Array {
  if (mask.length !== height * width) throw new Error(`resizeLabelsNearest: ${mask.length} values is not ${height}×${width}`);
  const out = new Int32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(height - 1, Math.floor((y * height) / outH));
    for (let x = 0; x < outW; x++) out[y * outW + x] = mask[sy * width + Math.min(width - 1, Math.floor((x * width) / outW))];
  }
  return out;
}
