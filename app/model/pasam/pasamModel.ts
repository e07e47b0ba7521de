// PA-SAM as a TrainableSegmenter: SAM's ViT encoder (frozen) with MSPCA-LoRA branches on its
// attention linears, IPEG producing the prompt embeddings from the image embedding, and the
// multi-class mask decoder. Built from SAM weights (`fromSam`) or from scratch (`fromScratch`,
// e.g. the `tiny` preset for CPU experiments, where everything trains).
// On MobileSAM weights the encoder is TinyViT: the branches sit on the qkv of every attention
// block (layers 1..n−1; layer 0 is convolutional), window-local like TinyViT's attention.
import { tf } from '../nn.js';
import { imageEncoderForward } from '../sam/imageEncoder.js';
import { densePE } from '../sam/promptEncoder.js';
import { adaptSamWeights } from '../sam/resize.js';
import { gridSize, withInputSize, type SamConfig } from '../sam/config.js';
import { randomSamWeights, disposeSamWeights, isTinyVit, vitEncoder, type ImageEncoderWeights, type SamWeights } from '../sam/weights.js';
import { mergingStride, tinyVitForward, type TinyVitConfig, type TinyVitWeights } from '../sam/tinyVitSam.js';
import type { SegmenterDescription, TrainableSegmenter } from '../segmenterTypes.js';
import { backboneConfig, type BackboneName } from './backbones.js';
import { ipegForward, createIpeg, type IpegParams } from './ipeg.js';
import { adaptsQkv, createLoraBlock, loraBranchParamCount, loraProjDelta, loraQkvDelta, type BlockLayout, type LoraBlockParams } from './mspcaLora.js';
import { createMultiClassDecoder, multiClassDecoderForward, type MultiClassDecoderParams } from './multiClassDecoder.js';
import { parsePasamConfig, validateAgainstBackbone, type PasamConfig } from './pasamConfig.js';
import { mapTensorTree, ParamStore } from './params.js';
import { normal, Rng } from '../../tensor/random.js';

/** Seed of the fixed random-Fourier PE matrix of models built from scratch. */
const SCRATCH_PE_SEED = 0x5a3;

export interface PasamBuildOptions {
  /** K+1: background plus the defect classes (≥ 2). */
  numClasses: number;
  /** Seeds every newly initialised parameter (default 1). */
  seed?: number;
}

export interface ParameterReport {
  trainable: number;
  total: number;
  /** Per group: 'encoder', 'encoder.neck', 'encoder.lora', 'ipeg', 'decoder', 'prompt'. */
  groups: { group: string; trainable: number; total: number }[];
}

/** The tensors of a PasamModel (the ONNX exporter reads them through pasamExport's partsOf). */
export interface PasamParts {
  encoder: ImageEncoderWeights | TinyVitWeights;
  /** ViT: the branches of each encoder block (empty on TinyViT). */
  lora: LoraBlockParams[];
  /** TinyViT: the branches of block j of layer i at [i][j] (layer 0, convolutional, has none). */
  tinyVitLora: LoraBlockParams[][];
  ipeg: IpegParams;
  decoder: MultiClassDecoderParams;
  /** Dense positional encoding of the embedding grid, (1, g, g, C) (a fixed buffer). */
  densePe: tf.Tensor4D;
}

export class PasamModel implements TrainableSegmenter {
  /** The resolved configuration (inputSize filled in). */
  readonly config: PasamConfig;
  /** The backbone's SAM configuration at this model's input size. */
  readonly samConfig: SamConfig;
  readonly numClasses: number;
  private readonly store: ParamStore;
  private readonly parts: PasamParts;
  private disposed = false;

  private constructor(samConfig: SamConfig, config: PasamConfig, numClasses: number, store: ParamStore, parts: PasamParts) {
    this.samConfig = samConfig;
    this.config = config;
    this.numClasses = numClasses;
    this.store = store;
    this.parts = parts;
  }

  /**
   * PA-SAM on a SAM checkpoint. `sam` stays the caller's (this model copies what it needs; dispose
   * `sam` whenever convenient). pos_embed and the global blocks' rel_pos are resized when the
   * configured inputSize differs from `samConfig.imgSize`. The encoder is frozen unless
   * `trainable.encoder` / `trainable.neck` say otherwise.
   */
  static fromSam(sam: SamWeights, samConfig: SamConfig, config: unknown, opts: PasamBuildOptions): PasamModel {
    return PasamModel.build(sam, samConfig, parsePasamConfig(config), opts, false, true);
  }

  /**
   * PA-SAM with freshly initialised weights (no checkpoint), e.g. preset 'tiny' at S = 224:
   * every parameter trains except the random-Fourier PE matrix, which is drawn from a constant
   * seed, so exportTrained() alone restores the model. Linear/conv weights U(±1/√fan_in),
   * pos_embed N(0, 0.02²).
   */
  static fromScratch(preset: BackboneName, config: unknown, opts: PasamBuildOptions): PasamModel {
    const native = backboneConfig(preset);
    const seed = opts.seed ?? 1;
    const sam = randomSamWeights(native, seed);
    try {
      // Transformer practice (ViT/timm): small positional embeddings.
      const vit = vitEncoder(sam, 'a PA-SAM preset from scratch');
      vit.posEmbed.dispose();
      vit.posEmbed = tf.randomNormal(vit.posEmbed.shape, 0, 0.02, 'float32', seed) as tf.Tensor4D;
      // The positional-encoding matrix is the one frozen tensor; drawing it from a constant seed
      // keeps exportTrained() complete for a scratch model whatever seed built it.
      sam.promptEncoder.peGaussian.dispose();
      sam.promptEncoder.peGaussian = normal(new Rng(SCRATCH_PE_SEED), sam.promptEncoder.peGaussian.shape) as tf.Tensor2D;
      return PasamModel.build(sam, native, parsePasamConfig(config), opts, true, false);
    } finally {
      disposeSamWeights(sam);
    }
  }

  private static build(sam: SamWeights, native: SamConfig, cfg: PasamConfig, opts: PasamBuildOptions, trainAll: boolean, pretrained: boolean): PasamModel {
    if (!Number.isInteger(opts.numClasses) || opts.numClasses < 2) throw new Error(`PA-SAM: numClasses (background + defect classes) must be an integer ≥ 2, got ${opts.numClasses}`);
    validateAgainstBackbone(cfg, native.promptEmbedDim);
    const s = cfg.inputSize ?? native.imgSize;
    const samCfg = withInputSize(native, s);
    const resolved: PasamConfig = { ...cfg, inputSize: s };
    const store = new ParamStore(opts.seed ?? 1);
    try {
      const { weights: adapted, created } = adaptSamWeights(sam, native, s);
      let encoder: ImageEncoderWeights | TinyVitWeights;
      try {
        const encTrainable = trainAll || cfg.trainable.encoder;
        encoder = mapTensorTree(adapted.imageEncoder, 'encoder', (t, name) =>
          store.create(name, t.shape, { kind: 'copy', from: t }, encTrainable || (cfg.trainable.neck && name.startsWith('encoder.neck.'))),
        );
      } finally {
        tf.dispose(created);
      }
      const make = store.factory(true);
      const d = samCfg.encoderEmbedDim;
      const lora = isTinyVit(encoder) ? [] : encoder.blocks.map((_, i) => createLoraBlock(make, `encoder.blocks.${i}`, d, cfg.lora));
      const tinyVitLora = isTinyVit(encoder)
        ? encoder.layers.map((layer, i) => layer.blocks.map((_, j) => createLoraBlock(make, `encoder.layers.${i}.blocks.${j}`, samCfg.tinyVit!.embedDims[i], cfg.lora)))
        : [];
      const peGaussian = store.create('prompt.peGaussian', sam.promptEncoder.peGaussian.shape, { kind: 'copy', from: sam.promptEncoder.peGaussian }, false) as tf.Tensor2D;
      const densePe = densePE(peGaussian, gridSize(samCfg, s));
      const ipeg = createIpeg(make, samCfg.promptEmbedDim, cfg.ipeg, pretrained ? sam.promptEncoder.noMaskEmbed : undefined);
      const decoder = createMultiClassDecoder(make, sam.maskDecoder, opts.numClasses, cfg.decoder);
      return new PasamModel(samCfg, resolved, opts.numClasses, store, { encoder, lora, tinyVitLora, ipeg, decoder, densePe });
    } catch (err) {
      store.dispose();
      throw err;
    }
  }

  private layout(blockIndex: number): BlockLayout {
    const global = this.samConfig.encoderGlobalAttnIndexes.includes(blockIndex);
    return { windowSize: global ? 0 : this.samConfig.windowSize, grid: gridSize(this.samConfig) };
  }

  private checkImages(images: tf.Tensor4D): void {
    if (this.disposed) throw new Error('PA-SAM: the model has been disposed');
    const s = this.samConfig.imgSize;
    const [, h, w, c] = images.shape;
    if (images.rank !== 4 || h !== s || w !== s || c !== 3) throw new Error(`PA-SAM: images must be (B, ${s}, ${s}, 3), got (${images.shape.join(', ')})`);
  }

  /** Image embeddings (B, g, g, C) of the adapted encoder. */
  imageEmbeddings(images: tf.Tensor4D): tf.Tensor4D {
    this.checkImages(images);
    const { encoder, lora, tinyVitLora } = this.parts;
    const targets = this.config.lora.targets;
    if (isTinyVit(encoder)) {
      const tv = this.samConfig.tinyVit!;
      const grids = tinyVitGrids(tv, this.samConfig.imgSize);
      return tinyVitForward(images, encoder, tv, {
        qkvAdapter: (x, i, j, { ws }) => {
          const block = tinyVitLora[i]![j]!;
          const [rows, n, c] = x.shape;
          const delta = loraQkvDelta(x.reshape([rows, ws, ws, c]), block, this.config.lora, { windowSize: ws, grid: grids[i]! }).reshape([rows, n, 3 * c]) as tf.Tensor3D;
          // A fused qkv branch's B already has the linear's own column order; separate q / v
          // branches come as [q | 0 | v] (ViT's order) and are regrouped per head.
          return block.qkv ? delta : qkvPerHead(delta, tv.numHeads[i]!);
        },
        // proj's input (the heads' merged output) and output are plain (B', N, C): no regrouping.
        projAdapter: targets.includes('proj')
          ? (x, i, j, { ws }) => {
              const [rows, n, c] = x.shape;
              return loraProjDelta(x.reshape([rows, ws, ws, c]), tinyVitLora[i]![j]!, this.config.lora, { windowSize: ws, grid: grids[i]! }).reshape([rows, n, c]) as tf.Tensor3D;
            }
          : undefined,
      });
    }
    return imageEncoderForward(images, encoder, this.samConfig, {
      qkvAdapter: lora.some(adaptsQkv) ? (x, i) => loraQkvDelta(x, lora[i], this.config.lora, this.layout(i)) : undefined,
      projAdapter: targets.includes('proj') ? (x, i) => loraProjDelta(x, lora[i], this.config.lora, this.layout(i)) : undefined,
    });
  }

  /** Class logits (B, S/4, S/4, K+1) NHWC; differentiable w.r.t. trainableVariables(). */
  forward(images: tf.Tensor4D, _opts: { training: boolean } = { training: false }): tf.Tensor4D {
    // No dropout or batch statistics anywhere, so training and inference compute the same thing.
    return tf.tidy(() => {
      const emb = this.imageEmbeddings(images);
      const { sparse, dense } = ipegForward(emb, this.parts.densePe, this.parts.ipeg, this.config.ipeg);
      return multiClassDecoderForward(emb, this.parts.densePe, sparse, dense, this.parts.decoder, this.samConfig.decoderNumHeads);
    });
  }

  /** Inference: class logits (B, S/4, S/4, K+1), no gradient bookkeeping. */
  predictClassLogits(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.forward(images, { training: false }));
  }

  /** Inference: the semantic mask (B, S/4, S/4) int32 = argmax over the K+1 classes. */
  predictLabels(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => tf.argMax(this.forward(images, { training: false }), 3) as tf.Tensor3D);
  }

  describe(): SegmenterDescription {
    const { trainable, total } = this.store.counts();
    return {
      kind: 'pasam',
      inputSize: this.samConfig.imgSize,
      numClasses: this.numClasses,
      pixelMean: [...this.samConfig.pixelMean],
      pixelStd: [...this.samConfig.pixelStd],
      logitsSize: 4 * gridSize(this.samConfig),
      trainableParams: trainable,
      totalParams: total,
    };
  }

  parameterReport(): ParameterReport {
    const { trainable, total, byGroup } = this.store.counts();
    const groups = [...byGroup.entries()].map(([group, c]) => ({ group, ...c })).sort((a, b) => a.group.localeCompare(b.group));
    return { trainable, total, groups };
  }

  trainableVariables(): Map<string, tf.Variable> {
    return this.store.trainableVariables();
  }

  exportTrained(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, v] of this.store.trainableVariables()) out.set(name, v.clone());
    return out;
  }

  importTrained(tensors: Map<string, tf.Tensor>): void {
    const vars = this.store.trainableVariables();
    // Check everything before assigning anything, so a bad file changes nothing.
    const problems: string[] = [];
    for (const [name, t] of tensors) {
      const v = vars.get(name);
      if (!v) problems.push(`'${name}' is not a trainable tensor of this model`);
      else if (t.shape.length !== v.shape.length || t.shape.some((n, i) => n !== v.shape[i])) problems.push(`'${name}' has shape [${t.shape}], the model needs [${v.shape}]`);
      else if (t.dtype !== 'float32') problems.push(`'${name}' is ${t.dtype}, the model needs float32`);
    }
    for (const name of vars.keys()) if (!tensors.has(name)) problems.push(`'${name}' is missing`);
    if (problems.length) {
      const shown = problems.slice(0, 10).join('; ');
      throw new Error(`PA-SAM: cannot import trained tensors: ${shown}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`);
    }
    for (const [name, t] of tensors) vars.get(name)!.assign(t);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.parts.densePe.dispose();
    this.store.dispose();
  }
}

/**
 * MSPCA-LoRA parameters a configuration adds to a backbone (the sum over blocks and targets),
 * without building a model: e.g. vit_b with the defaults → 310,848.
 */
export function loraParamCount(backbone: SamConfig, config: unknown): number {
  const cfg = parsePasamConfig(config);
  const perBlock = (d: number) => cfg.lora.targets.reduce((acc, t) => acc + loraBranchParamCount(d, t === 'qkv' ? 3 * d : d, cfg.lora), 0);
  const tv = backbone.tinyVit;
  if (tv) return tv.depths.reduce((acc, depth, i) => (i === 0 ? acc : acc + depth * perBlock(tv.embedDims[i]!)), 0);
  return perBlock(backbone.encoderEmbedDim) * backbone.encoderDepth;
}

/** Side of the token grid each TinyViT layer's blocks run on at input side s (3×3 pad-1 mergings). */
export function tinyVitGrids(cfg: TinyVitConfig, s: number): number[] {
  const grids: number[] = [];
  let g = s / 4;
  for (let i = 0; i < cfg.depths.length; i++) {
    grids.push(g);
    if (i < cfg.depths.length - 1) g = Math.floor((g - 1) / mergingStride(i, cfg)) + 1;
  }
  return grids;
}

/**
 * (B', N, 3C) in ViT's column order [q | k | v] (each head-major) → TinyViT's per-head order
 * [q₀ k₀ v₀ | q₁ k₁ v₁ | …] (the reference's view(B, N, heads, −1).split([kd, kd, d])).
 */
export function qkvPerHead(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [b, n, c3] = x.shape;
  const kd = c3 / 3 / heads;
  return tf.tidy(() => x.reshape([b * n, 3, heads, kd]).transpose([0, 2, 1, 3]).reshape([b, n, c3]) as tf.Tensor3D);
}
