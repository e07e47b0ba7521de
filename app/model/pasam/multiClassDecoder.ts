// The multi-class mask decoder (PA-SAM.md §1.5 A, SAMed style): SAM's mask decoder with K+1 mask
// tokens (0 = background), one hypernetwork MLP each, giving class logits at 4× the embedding
// grid. The IoU token stays in the token sequence (as in SAMed); the IoU head is dropped. The
// two-way transformer, upscaling and hypernetwork product are SAM's own code (predictMasks).
import { tf } from '../nn.js';
import { predictMasks } from '../sam/maskDecoder.js';
import type { Linear, MaskDecoderWeights } from '../sam/weights.js';
import type { DecoderConfig } from './pasamConfig.js';
import { mapTensorTree, type ParamFactory } from './params.js';

export interface MultiClassDecoderParams {
  iouToken: tf.Tensor2D;
  /** (K+1, C); row 0 = background. */
  maskTokens: tf.Tensor2D;
  transformer: MaskDecoderWeights['transformer'];
  outputUpscaling: MaskDecoderWeights['outputUpscaling'];
  /** K+1 MLPs (C → C → C → C/8). */
  hypernetworks: Linear[][];
}

/** Which of SAM's mask tokens / MLPs class `c` starts from. */
export function sourceToken(c: number, available: number, cfg: DecoderConfig): number {
  return cfg.tokenInit === 'pretrained' && c < available ? c : 0;
}

/**
 * Creates the decoder's parameters under 'decoder.' from SAM's mask decoder `sam`: transformer,
 * upscaling and IoU token copied; `numClasses` (= K+1) tokens and MLPs per `cfg.tokenInit`.
 */
export function createMultiClassDecoder(make: ParamFactory, sam: MaskDecoderWeights, numClasses: number, cfg: DecoderConfig): MultiClassDecoderParams {
  const copy = (t: tf.Tensor, name: string) => make(name, t.shape, { kind: 'copy', from: t });
  const available = sam.maskTokens.shape[0];
  const rows = Array.from({ length: numClasses }, (_, c) => sourceToken(c, available, cfg));
  const tokens = tf.tidy(() => tf.gather(sam.maskTokens, tf.tensor1d(rows, 'int32')));
  const maskTokens = make('decoder.maskTokens', tokens.shape, { kind: 'copy', from: tokens }) as tf.Tensor2D;
  tokens.dispose();
  return {
    iouToken: copy(sam.iouToken, 'decoder.iouToken') as tf.Tensor2D,
    maskTokens,
    transformer: mapTensorTree(sam.transformer, 'decoder.transformer', copy),
    outputUpscaling: mapTensorTree(sam.outputUpscaling, 'decoder.outputUpscaling', copy),
    hypernetworks: rows.map((src, c) => mapTensorTree(sam.outputHypernetworksMlps[src], `decoder.hypernetworks.${c}`, copy)),
  };
}

/**
 * Class logits (B, 4g, 4g, K+1), NHWC. image/dense (B, g, g, C), imagePe (1, g, g, C),
 * sparse (B, Ns, C).
 */
export function multiClassDecoderForward(
  image: tf.Tensor4D,
  imagePe: tf.Tensor4D,
  sparse: tf.Tensor3D,
  dense: tf.Tensor4D,
  p: MultiClassDecoderParams,
  numHeads: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const weights: MaskDecoderWeights = {
      iouToken: p.iouToken,
      maskTokens: p.maskTokens,
      transformer: p.transformer,
      outputUpscaling: p.outputUpscaling,
      outputHypernetworksMlps: p.hypernetworks,
      iouPredictionHead: [],
    };
    const { masks } = predictMasks({ imageEmbeddings: image, imagePe, sparse, dense }, weights, numHeads);
    return tf.transpose(masks, [0, 2, 3, 1]) as tf.Tensor4D;
  });
}
