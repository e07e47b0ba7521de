// A SAM model at one input size S: weights (pos_embed / global rel_pos adapted to S) plus the
// encoder, prompt encoder and mask decoder forwards, NHWC throughout.
import { tf } from '../nn.js';
import { gridSize, type SamConfig } from './config.js';
import { imageEncoderForward, type ImageEncoderOptions } from './imageEncoder.js';
import { tinyVitForward } from './tinyVitSam.js';
import { maskDecoderForward, type MaskDecoderOutput } from './maskDecoder.js';
import { densePE, promptEncoderForward, type PromptEmbeddings, type PromptInput } from './promptEncoder.js';
import { adaptSamWeights } from './resize.js';
import { disposeSamWeights, isTinyVit, type SamWeights } from './weights.js';

export class SamModel {
  /** Config with imgSize = the input side S this model runs at. */
  readonly config: SamConfig;
  /** Weights adapted to S (shares tensors with the native weights). */
  readonly weights: SamWeights;
  readonly inputSize: number;
  readonly grid: number;
  private readonly native: SamWeights;
  private readonly created: tf.Tensor[];
  private pe?: tf.Tensor4D;
  private readonly ownsWeights: boolean;

  /**
   * `nativeConfig`/`nativeWeights` as imported (imgSize = the checkpoint's). By default the model
   * takes ownership of the weights and disposes them in dispose(); with ownsWeights false it only
   * disposes what it created (e.g. several models at different S sharing one set of weights).
   */
  constructor(nativeConfig: SamConfig, nativeWeights: SamWeights, inputSize = nativeConfig.imgSize, opts: { ownsWeights?: boolean } = {}) {
    this.ownsWeights = opts.ownsWeights ?? true;
    const { weights, created } = adaptSamWeights(nativeWeights, nativeConfig, inputSize);
    this.native = nativeWeights;
    this.created = created;
    this.weights = weights;
    this.inputSize = inputSize;
    this.config = { ...nativeConfig, imgSize: inputSize };
    this.grid = gridSize(nativeConfig, inputSize);
  }

  /** (B, S, S, 3) normalised, padded → image embedding (B, g, g, C). */
  encodeImage(x: tf.Tensor4D, opts?: ImageEncoderOptions): tf.Tensor4D {
    const enc = this.weights.imageEncoder;
    if (isTinyVit(enc)) return tinyVitForward(x, enc, this.config.tinyVit!, { onTap: opts?.onTap });
    return imageEncoderForward(x, enc, this.config, opts);
  }

  /** Dense positional encoding (1, g, g, C); owned by the model, do not dispose. */
  densePe(): tf.Tensor4D {
    this.pe ??= tf.keep(densePE(this.weights.promptEncoder.peGaussian, this.grid));
    return this.pe;
  }

  /** Points/boxes in the S×S input frame; masks (B, 4g, 4g, 1) low-res logits. */
  encodePrompts(input: PromptInput): PromptEmbeddings {
    return promptEncoderForward(input, this.weights.promptEncoder, this.inputSize, this.grid);
  }

  decodeMasks(imageEmbeddings: tf.Tensor4D, prompts: PromptEmbeddings, multimask: boolean): MaskDecoderOutput {
    return maskDecoderForward({ imageEmbeddings, imagePe: this.densePe(), sparse: prompts.sparse, dense: prompts.dense, multimask }, this.weights.maskDecoder, this.config.decoderNumHeads);
  }

  dispose(): void {
    tf.dispose(this.created);
    this.pe?.dispose();
    this.pe = undefined;
    if (this.ownsWeights) disposeSamWeights(this.native);
  }
}
