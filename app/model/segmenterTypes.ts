// The contract between a trainable semantic segmenter (PA-SAM, or a baseline) and the training /
// evaluation engine. The engine knows nothing else about the model.
import type { tf } from './nn.js';

export interface SegmenterDescription {
  /** e.g. 'pasam' */
  kind: string;
  /** Input side S (multiple of 16); images are resized (longest side → S), normalised, padded. */
  inputSize: number;
  /** K+1: background (0) plus the defect classes. */
  numClasses: number;
  /** Per-channel mean/std on the 0–255 scale, applied before padding (SAM convention). */
  pixelMean: [number, number, number];
  pixelStd: [number, number, number];
  /** Side of the logits grid the model outputs (S/4 for SAM-style decoders). */
  logitsSize: number;
  trainableParams: number;
  totalParams: number;
}

export interface TrainableSegmenter {
  describe(): SegmenterDescription;
  /** Variables the optimiser updates, by stable name (these are what a run's checkpoint holds). */
  trainableVariables(): Map<string, tf.Variable>;
  /**
   * images: (B, S, S, 3) float32, already normalised and zero-padded bottom/right.
   * Returns class logits (B, S/4, S/4, K+1), NHWC. Must be differentiable w.r.t. trainableVariables().
   */
  forward(images: tf.Tensor4D, opts: { training: boolean }): tf.Tensor4D;
  /** Copies of the trained tensors (for checkpoints); the caller disposes them. */
  exportTrained(): Map<string, tf.Tensor>;
  /** Loads tensors saved by exportTrained (shapes must match; errors name the tensor). */
  importTrained(tensors: Map<string, tf.Tensor>): void;
  dispose(): void;
}
