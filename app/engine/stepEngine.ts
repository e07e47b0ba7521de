// The compute half of a training step, behind one interface so that the trainer (AdamW,
// accumulation, schedule, checkpoints) is the same whichever engine computes forward + loss +
// backward: tfjs here (the reference), ONNX Runtime from above (app/finetune wires it in, since
// app/engine may not import app/onnx). Contract with branch `ortgrad`: /work/notes/ORT_CONTRACT.md.
import { tf } from '../tensor/tf.js';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import { segmentationLoss } from './loss.js';
import { resizeBilinear } from '../tensor/gradOps.js';

/** One micro-batch through forward + loss + backward, whichever engine computes it. */
export interface StepEngine {
  readonly name: 'tfjs' | 'ort';
  /** 'tfjs-wasm', 'cpu', 'cuda', 'dml', ... */
  readonly executionProvider: string;
  /**
   * images: (B,S,S,3) float32 NHWC, normalised exactly as the tfjs trainer feeds the model;
   * labels: (B,g,g) int32 at the loss grid (S/4, or S with lossOnUpsampledLogits).
   * params: current values of every trainable tensor, keyed by the model's stable names
   * (TrainableSegmenter.trainableVariables() keys), shapes as in tfjs.
   * grads: one per trainable tensor, same names and element order as params.
   */
  step(params: Map<string, Float32Array>, images: Float32Array, labels: Int32Array): Promise<StepResult>;
  /** Forward only (evaluation / predict): class logits (B, S/4, S/4, K+1) NHWC. */
  forward(params: Map<string, Float32Array>, images: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void> | void;
}

export interface StepResult {
  loss: number;
  ce: number;
  dice: number;
  /** The logits the loss saw: (B, g, g, K+1) NHWC. */
  logits: Float32Array;
  grads: Map<string, Float32Array>;
}

/** The loss half of a run's config, as the step engines need it. */
export interface StepLossOptions {
  ceWeight: number;
  diceWeight: number;
  classWeights?: number[];
  /** Focal CE exponent γ: tfjs engine only (the ORT loss graph has plain CE); Dice over present classes: both engines. */
  focalGamma?: number;
  dicePresentOnly?: boolean;
  lossOnUpsampledLogits: boolean;
}

/**
 * The reference engine: tf.variableGrads over the model's own variables. The model's variables
 * are the parameters (the trainer's optimiser assigns them), so `params` is not re-uploaded here;
 * it is checked to name exactly the trainable tensors.
 */
export function createTfjsStepEngine(model: TrainableSegmenter, loss: StepLossOptions, executionProvider = `tfjs-${tf.getBackend()}`): StepEngine {
  const vars = model.trainableVariables();
  const varList = [...vars.values()];
  // variableGrads keys gradients by tfjs's variable names; callers use the model's stable names.
  const stableName = new Map([...vars].map(([name, v]) => [v.name, name]));
  const desc = model.describe();
  const S = desc.inputSize;
  const batchOf = (images: Float32Array): number => {
    const B = images.length / (S * S * 3);
    if (!Number.isInteger(B) || B < 1) throw new Error(`step engine: ${images.length} image values are not a whole batch of ${S}×${S}×3`);
    return B;
  };
  const checkParams = (params: Map<string, Float32Array>): void => {
    if (params.size !== vars.size) throw new Error(`step engine: ${params.size} parameters given, the model trains ${vars.size}`);
    for (const [name, v] of vars) {
      const p = params.get(name);
      if (!p) throw new Error(`step engine: no value for trainable tensor '${name}'`);
      if (p.length !== v.size) throw new Error(`step engine: '${name}' has ${p.length} values, the model's tensor ${v.size}`);
    }
  };
  return {
    name: 'tfjs',
    executionProvider,
    async step(params, images, labels) {
      checkParams(params);
      const B = batchOf(images);
      const g = Math.round(Math.sqrt(labels.length / B));
      if (g * g * B !== labels.length) throw new Error(`step engine: ${labels.length} labels are not a (${B}, g, g) grid`);
      const x = tf.tensor4d(images, [B, S, S, 3]);
      const y = tf.tensor3d(labels, [B, g, g], 'int32');
      const kept: tf.Tensor[] = [];
      let value: tf.Scalar;
      let grads: tf.NamedTensorMap;
      try {
        ({ value, grads } = tf.variableGrads(() => {
          let logits = model.forward(x, { training: true });
          // Exact half-pixel gradient (tfjs's own resizeBilinear gradient is not, with halfPixelCenters).
          if (loss.lossOnUpsampledLogits) logits = resizeBilinear(logits, [S, S]);
          const terms = segmentationLoss(logits as tf.Tensor4D, y, { ceWeight: loss.ceWeight, diceWeight: loss.diceWeight, classWeights: loss.classWeights, focalGamma: loss.focalGamma, dicePresentOnly: loss.dicePresentOnly });
          kept.push(tf.keep(logits), tf.keep(terms.ce), tf.keep(terms.dice));
          return terms.loss;
        }, varList));
      } finally {
        x.dispose();
        y.dispose();
      }
      try {
        const [logits, ce, dice] = kept as [tf.Tensor, tf.Tensor, tf.Tensor];
        const out = new Map<string, Float32Array>();
        for (const [tfName, t] of Object.entries(grads)) out.set(stableName.get(tfName)!, t.dataSync() as Float32Array);
        return { loss: (await value.data())[0]!, ce: ce.dataSync()[0]!, dice: dice.dataSync()[0]!, logits: logits.dataSync() as Float32Array, grads: out };
      } finally {
        value.dispose();
        tf.dispose(kept);
        tf.dispose(Object.values(grads));
      }
    },
    async forward(params, images) {
      checkParams(params);
      const B = batchOf(images);
      const x = tf.tensor4d(images, [B, S, S, 3]);
      try {
        const logits = tf.tidy(() => model.forward(x, { training: false }));
        try {
          return (await logits.data()) as Float32Array;
        } finally {
          logits.dispose();
        }
      } finally {
        x.dispose();
      }
    },
    dispose() {
      // The model belongs to the caller.
    },
  };
}

/** Current values of the trainable tensors, by stable name (what StepEngine.step reads). */
export function readParams(model: TrainableSegmenter): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.trainableVariables()) out.set(name, v.dataSync() as Float32Array);
  return out;
}
