// The SAM weights as ONE typed structure, plus the list of official checkpoint tensors that fill
// it. Layouts are TF.js-native (converted once at import, see `toTfjsLayout`):
//   linear weight [in, out]; conv weight [kh, kw, in, out]; transposed-conv weight [kh, kw, out, in];
//   everything else (norms, biases, embeddings, pos_embed NHWC, rel_pos) as in the checkpoint.
import { tf } from '../nn.js';
import { gridSize, type SamConfig } from './config.js';
import type { TinyVitWeights } from './tinyVitSam.js';
import { buildTinyVitWeights, tinyVitTensorSpecs } from './tinyVitWeights.js';

export interface Linear {
  /** [in, out] */
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}
export interface Norm {
  weight: tf.Tensor1D;
  bias: tf.Tensor1D;
}
export interface Conv {
  /** [kh, kw, in, out] */
  weight: tf.Tensor4D;
  bias?: tf.Tensor1D;
}
export interface ConvTranspose {
  /** [kh, kw, out, in] (the tf.conv2dTranspose layout) */
  weight: tf.Tensor4D;
  bias: tf.Tensor1D;
}

export interface EncoderBlockWeights {
  norm1: Norm;
  attn: { qkv: Linear; proj: Linear; relPosH: tf.Tensor2D; relPosW: tf.Tensor2D };
  norm2: Norm;
  mlp: { lin1: Linear; lin2: Linear };
}
export interface ImageEncoderWeights {
  patchEmbed: Conv;
  /** [1, g, g, D] for the input size the weights are adapted to. */
  posEmbed: tf.Tensor4D;
  blocks: EncoderBlockWeights[];
  neck: { conv1: Conv; ln1: Norm; conv2: Conv; ln2: Norm };
}
export interface PromptEncoderWeights {
  /** [2, C/2] random-Fourier matrix. */
  peGaussian: tf.Tensor2D;
  /** 4 × [1, C]: negative/positive point, box top-left, box bottom-right. */
  pointEmbeddings: tf.Tensor2D[];
  notAPointEmbed: tf.Tensor2D;
  noMaskEmbed: tf.Tensor2D;
  maskDownscaling: { conv1: Conv; ln1: Norm; conv2: Conv; ln2: Norm; conv3: Conv };
}
export interface AttentionWeights {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  outProj: Linear;
}
export interface TwoWayLayerWeights {
  selfAttn: AttentionWeights;
  norm1: Norm;
  crossAttnTokenToImage: AttentionWeights;
  norm2: Norm;
  mlp: { lin1: Linear; lin2: Linear };
  norm3: Norm;
  norm4: Norm;
  crossAttnImageToToken: AttentionWeights;
}
export interface MaskDecoderWeights {
  iouToken: tf.Tensor2D;
  maskTokens: tf.Tensor2D;
  transformer: { layers: TwoWayLayerWeights[]; finalAttnTokenToImage: AttentionWeights; normFinalAttn: Norm };
  outputUpscaling: { conv1: ConvTranspose; ln: Norm; conv2: ConvTranspose };
  outputHypernetworksMlps: Linear[][];
  iouPredictionHead: Linear[];
}
export interface SamWeights {
  /** SAM's ViT, or MobileSAM's TinyViT (kind 'tiny_vit'). */
  imageEncoder: ImageEncoderWeights | TinyVitWeights;
  promptEncoder: PromptEncoderWeights;
  maskDecoder: MaskDecoderWeights;
}

export function isTinyVit(w: ImageEncoderWeights | TinyVitWeights): w is TinyVitWeights {
  return 'kind' in w && w.kind === 'tiny_vit';
}

/** The ViT encoder weights, or a clear error where a feature needs SAM's ViT. */
export function vitEncoder(w: SamWeights, what: string): ImageEncoderWeights {
  if (isTinyVit(w.imageEncoder)) throw new Error(`${what} needs a SAM ViT image encoder; this model's encoder is MobileSAM's TinyViT`);
  return w.imageEncoder;
}

/** How a checkpoint tensor is laid out in PyTorch, which decides its conversion to TF.js. */
export type TensorKind = 'linear' | 'conv' | 'convTranspose' | 'plain';
export interface TensorSpec {
  /** Official segment-anything state_dict name. */
  name: string;
  /** PyTorch shape for the config's native imgSize. */
  torchShape: number[];
  kind: TensorKind;
}

/** Every tensor an official checkpoint for `cfg` holds (pixel_mean/std buffers excluded). */
export function samTensorSpecs(cfg: SamConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const add = (name: string, torchShape: number[], kind: TensorKind = 'plain') => specs.push({ name, torchShape, kind });
  const lin = (p: string, inDim: number, outDim: number, bias = true) => {
    add(`${p}.weight`, [outDim, inDim], 'linear');
    if (bias) add(`${p}.bias`, [outDim]);
  };
  const norm = (p: string, d: number) => {
    add(`${p}.weight`, [d]);
    add(`${p}.bias`, [d]);
  };
  const D = cfg.encoderEmbedDim;
  const C = cfg.promptEmbedDim;
  const P = cfg.patchSize;
  const g = gridSize(cfg);
  const hd = D / cfg.encoderNumHeads;
  const hidden = Math.floor(D * cfg.mlpRatio);

  if (cfg.tinyVit) specs.push(...tinyVitTensorSpecs(cfg.tinyVit));
  else {
  add('image_encoder.patch_embed.proj.weight', [D, 3, P, P], 'conv');
  add('image_encoder.patch_embed.proj.bias', [D]);
  add('image_encoder.pos_embed', [1, g, g, D]);
  for (let i = 0; i < cfg.encoderDepth; i++) {
    const b = `image_encoder.blocks.${i}`;
    const L = cfg.encoderGlobalAttnIndexes.includes(i) ? g : cfg.windowSize;
    norm(`${b}.norm1`, D);
    lin(`${b}.attn.qkv`, D, 3 * D);
    lin(`${b}.attn.proj`, D, D);
    add(`${b}.attn.rel_pos_h`, [2 * L - 1, hd]);
    add(`${b}.attn.rel_pos_w`, [2 * L - 1, hd]);
    norm(`${b}.norm2`, D);
    lin(`${b}.mlp.lin1`, D, hidden);
    lin(`${b}.mlp.lin2`, hidden, D);
  }
  add('image_encoder.neck.0.weight', [C, D, 1, 1], 'conv');
  norm('image_encoder.neck.1', C);
  add('image_encoder.neck.2.weight', [C, C, 3, 3], 'conv');
  norm('image_encoder.neck.3', C);
  }

  const pe = 'prompt_encoder';
  add(`${pe}.pe_layer.positional_encoding_gaussian_matrix`, [2, C / 2]);
  for (let i = 0; i < 4; i++) add(`${pe}.point_embeddings.${i}.weight`, [1, C]);
  add(`${pe}.not_a_point_embed.weight`, [1, C]);
  const m = cfg.maskInChans;
  add(`${pe}.mask_downscaling.0.weight`, [m / 4, 1, 2, 2], 'conv');
  add(`${pe}.mask_downscaling.0.bias`, [m / 4]);
  norm(`${pe}.mask_downscaling.1`, m / 4);
  add(`${pe}.mask_downscaling.3.weight`, [m, m / 4, 2, 2], 'conv');
  add(`${pe}.mask_downscaling.3.bias`, [m]);
  norm(`${pe}.mask_downscaling.4`, m);
  add(`${pe}.mask_downscaling.6.weight`, [C, m, 1, 1], 'conv');
  add(`${pe}.mask_downscaling.6.bias`, [C]);
  add(`${pe}.no_mask_embed.weight`, [1, C]);

  const md = 'mask_decoder';
  const M = cfg.numMultimaskOutputs + 1;
  const inner = C / cfg.attentionDownsampleRate;
  const attn = (p: string, internal: number) => {
    lin(`${p}.q_proj`, C, internal);
    lin(`${p}.k_proj`, C, internal);
    lin(`${p}.v_proj`, C, internal);
    lin(`${p}.out_proj`, internal, C);
  };
  for (let l = 0; l < cfg.decoderDepth; l++) {
    const p = `${md}.transformer.layers.${l}`;
    attn(`${p}.self_attn`, C);
    norm(`${p}.norm1`, C);
    attn(`${p}.cross_attn_token_to_image`, inner);
    norm(`${p}.norm2`, C);
    lin(`${p}.mlp.lin1`, C, cfg.decoderMlpDim);
    lin(`${p}.mlp.lin2`, cfg.decoderMlpDim, C);
    norm(`${p}.norm3`, C);
    norm(`${p}.norm4`, C);
    attn(`${p}.cross_attn_image_to_token`, inner);
  }
  attn(`${md}.transformer.final_attn_token_to_image`, inner);
  norm(`${md}.transformer.norm_final_attn`, C);
  add(`${md}.iou_token.weight`, [1, C]);
  add(`${md}.mask_tokens.weight`, [M, C]);
  add(`${md}.output_upscaling.0.weight`, [C, C / 4, 2, 2], 'convTranspose');
  add(`${md}.output_upscaling.0.bias`, [C / 4]);
  norm(`${md}.output_upscaling.1`, C / 4);
  add(`${md}.output_upscaling.3.weight`, [C / 4, C / 8, 2, 2], 'convTranspose');
  add(`${md}.output_upscaling.3.bias`, [C / 8]);
  for (let t = 0; t < M; t++) mlpSpecs(`${md}.output_hypernetworks_mlps.${t}`, C, C, C / 8, 3, lin);
  mlpSpecs(`${md}.iou_prediction_head`, C, cfg.iouHeadHiddenDim, M, cfg.iouHeadDepth, lin);
  return specs;
}

function mlpSpecs(p: string, inDim: number, hidden: number, outDim: number, depth: number, lin: (p: string, i: number, o: number) => void): void {
  for (let i = 0; i < depth; i++) lin(`${p}.layers.${i}`, i === 0 ? inDim : hidden, i === depth - 1 ? outDim : hidden);
}

/** Shape of a tensor after conversion to the TF.js layout. */
export function tfjsShape(spec: Pick<TensorSpec, 'torchShape' | 'kind'>): number[] {
  const s = spec.torchShape;
  switch (spec.kind) {
    case 'linear':
      return [s[1], s[0]];
    case 'conv':
      return [s[2], s[3], s[1], s[0]];
    case 'convTranspose':
      return [s[2], s[3], s[1], s[0]];
    case 'plain':
      return [...s];
  }
}

/**
 * Converts a row-major PyTorch tensor to the TF.js layout. conv (out,in,kh,kw) → (kh,kw,in,out);
 * convTranspose (in,out,kh,kw) → (kh,kw,out,in); linear (out,in) → (in,out).
 */
export function toTfjsLayout(data: Float32Array, spec: Pick<TensorSpec, 'torchShape' | 'kind'>): Float32Array {
  const s = spec.torchShape;
  if (spec.kind === 'plain') return data;
  if (spec.kind === 'linear') return permute(data, s, [1, 0]);
  return permute(data, s, [2, 3, 1, 0]);
}

/** Row-major permutation of an N-D array: out.shape[i] = shape[perm[i]]. */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const n = shape.length;
  const inStrides = new Array<number>(n);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const strideForOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(n).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    for (let d = n - 1; d >= 0; d--) {
      idx[d]++;
      src += strideForOut[d];
      if (idx[d] < outShape[d]) break;
      src -= strideForOut[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Looks up a converted tensor (TF.js layout) by official name. */
export type TensorSource = (name: string) => tf.Tensor;

/** Assembles the typed structure from tensors named by official checkpoint names. */
export function buildSamWeights(cfg: SamConfig, get: TensorSource): SamWeights {
  const t2 = (n: string) => get(n) as tf.Tensor2D;
  const t1 = (n: string) => get(n) as tf.Tensor1D;
  const t4 = (n: string) => get(n) as tf.Tensor4D;
  const lin = (p: string, bias = true): Linear => (bias ? { weight: t2(`${p}.weight`), bias: t1(`${p}.bias`) } : { weight: t2(`${p}.weight`) });
  const norm = (p: string): Norm => ({ weight: t1(`${p}.weight`), bias: t1(`${p}.bias`) });
  const attn = (p: string): AttentionWeights => ({ qProj: lin(`${p}.q_proj`), kProj: lin(`${p}.k_proj`), vProj: lin(`${p}.v_proj`), outProj: lin(`${p}.out_proj`) });
  const mlp = (p: string, depth: number): Linear[] => Array.from({ length: depth }, (_, i) => lin(`${p}.layers.${i}`));
  const M = cfg.numMultimaskOutputs + 1;
  const ie = 'image_encoder';
  const pe = 'prompt_encoder';
  const md = 'mask_decoder';
  return {
    imageEncoder: cfg.tinyVit ? buildTinyVitWeights(cfg.tinyVit, get) : {
      patchEmbed: { weight: t4(`${ie}.patch_embed.proj.weight`), bias: t1(`${ie}.patch_embed.proj.bias`) },
      posEmbed: t4(`${ie}.pos_embed`),
      blocks: Array.from({ length: cfg.encoderDepth }, (_, i) => {
        const b = `${ie}.blocks.${i}`;
        return {
          norm1: norm(`${b}.norm1`),
          attn: { qkv: lin(`${b}.attn.qkv`), proj: lin(`${b}.attn.proj`), relPosH: t2(`${b}.attn.rel_pos_h`), relPosW: t2(`${b}.attn.rel_pos_w`) },
          norm2: norm(`${b}.norm2`),
          mlp: { lin1: lin(`${b}.mlp.lin1`), lin2: lin(`${b}.mlp.lin2`) },
        };
      }),
      neck: { conv1: { weight: t4(`${ie}.neck.0.weight`) }, ln1: norm(`${ie}.neck.1`), conv2: { weight: t4(`${ie}.neck.2.weight`) }, ln2: norm(`${ie}.neck.3`) },
    },
    promptEncoder: {
      peGaussian: t2(`${pe}.pe_layer.positional_encoding_gaussian_matrix`),
      pointEmbeddings: [0, 1, 2, 3].map((i) => t2(`${pe}.point_embeddings.${i}.weight`)),
      notAPointEmbed: t2(`${pe}.not_a_point_embed.weight`),
      noMaskEmbed: t2(`${pe}.no_mask_embed.weight`),
      maskDownscaling: {
        conv1: { weight: t4(`${pe}.mask_downscaling.0.weight`), bias: t1(`${pe}.mask_downscaling.0.bias`) },
        ln1: norm(`${pe}.mask_downscaling.1`),
        conv2: { weight: t4(`${pe}.mask_downscaling.3.weight`), bias: t1(`${pe}.mask_downscaling.3.bias`) },
        ln2: norm(`${pe}.mask_downscaling.4`),
        conv3: { weight: t4(`${pe}.mask_downscaling.6.weight`), bias: t1(`${pe}.mask_downscaling.6.bias`) },
      },
    },
    maskDecoder: {
      iouToken: t2(`${md}.iou_token.weight`),
      maskTokens: t2(`${md}.mask_tokens.weight`),
      transformer: {
        layers: Array.from({ length: cfg.decoderDepth }, (_, l) => {
          const p = `${md}.transformer.layers.${l}`;
          return {
            selfAttn: attn(`${p}.self_attn`),
            norm1: norm(`${p}.norm1`),
            crossAttnTokenToImage: attn(`${p}.cross_attn_token_to_image`),
            norm2: norm(`${p}.norm2`),
            mlp: { lin1: lin(`${p}.mlp.lin1`), lin2: lin(`${p}.mlp.lin2`) },
            norm3: norm(`${p}.norm3`),
            norm4: norm(`${p}.norm4`),
            crossAttnImageToToken: attn(`${p}.cross_attn_image_to_token`),
          };
        }),
        finalAttnTokenToImage: attn(`${md}.transformer.final_attn_token_to_image`),
        normFinalAttn: norm(`${md}.transformer.norm_final_attn`),
      },
      outputUpscaling: {
        conv1: { weight: t4(`${md}.output_upscaling.0.weight`), bias: t1(`${md}.output_upscaling.0.bias`) },
        ln: norm(`${md}.output_upscaling.1`),
        conv2: { weight: t4(`${md}.output_upscaling.3.weight`), bias: t1(`${md}.output_upscaling.3.bias`) },
      },
      outputHypernetworksMlps: Array.from({ length: M }, (_, t) => mlp(`${md}.output_hypernetworks_mlps.${t}`, 3)),
      iouPredictionHead: mlp(`${md}.iou_prediction_head`, cfg.iouHeadDepth),
    },
  };
}

/** Every tensor in the structure (for disposal and counting). */
export function samWeightTensors(w: SamWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(w);
  return out;
}

export function disposeSamWeights(w: SamWeights): void {
  tf.dispose(samWeightTensors(w));
}

/**
 * Random weights with the official shapes (for benchmarks and shape tests): linear/conv weights
 * ~ U(±1/√fan_in), norms weight 1 bias 0, embeddings N(0,1), rel-pos N(0, 0.02).
 */
export function randomSamWeights(cfg: SamConfig, seed = 1): SamWeights {
  const specs = new Map(samTensorSpecs(cfg).map((s) => [s.name, s]));
  let k = seed;
  return buildSamWeights(cfg, (name) => {
    const s = specs.get(name)!;
    const shape = tfjsShape(s);
    k++;
    if (/norm|neck\.[13]|mask_downscaling\.[14]|output_upscaling\.1|layer_norm|\.bn\./.test(name) && s.torchShape.length === 1) {
      // Batch norms (MobileSAM's Conv2d_BN): γ = 1, β = 0, running mean 0, running variance 1.
      return name.endsWith('.weight') || name.endsWith('.running_var') ? tf.ones(shape) : tf.zeros(shape);
    }
    if (s.kind !== 'plain' || name.endsWith('.bias')) {
      const fanIn = s.kind === 'linear' ? s.torchShape[1] : s.kind === 'plain' ? 16 : s.torchShape.slice(1).reduce((a, b) => a * b, 1);
      const lim = 1 / Math.sqrt(fanIn);
      return tf.randomUniform(shape, -lim, lim, 'float32', k);
    }
    return tf.randomNormal(shape, 0, name.includes('rel_pos') ? 0.02 : 1, 'float32', k);
  });
}
