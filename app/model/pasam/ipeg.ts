// IPEG, the Image-to-Prompt Embedding Generator (PA-SAM.md §1.4, §9): maps the image embedding
// F (B, g, g, C) to the prompt embeddings the mask decoder expects, so no hand-made prompt is
// needed in training or inference.
//   dense:  conv3×3 → LayerNorm2d → GELU → conv1×1 (zero weight; bias = SAM's no_mask_embed),
//           so a fresh IPEG gives exactly SAM's "no prompt" dense embedding;
//   sparse: Ns learnable queries → S = LN(Q + CrossAttn(Q, F + PE, F)) → S = LN(S + MLP(S)),
//           or S = MLP(GAP(F)) reshaped to (Ns, C), or no sparse tokens.
import { conv2d, gelu, layerNorm, linear, tf } from '../nn.js';
import { decoderAttention } from '../sam/twoWayTransformer.js';
import type { AttentionWeights, Linear, Norm } from '../sam/weights.js';
import type { IpegConfig } from './pasamConfig.js';
import { kaimingUniform, type ParamFactory } from './params.js';

/** LayerNorm eps of IPEG's norms (SAM's LayerNorm2d and decoder use 1e-6 / 1e-5). */
const LN_EPS = 1e-6;

export interface IpegParams {
  dense:
    | { kind: 'conv'; conv1: { weight: tf.Tensor4D; bias: tf.Tensor1D }; norm: Norm; conv2: Linear & { bias: tf.Tensor1D } }
    | { kind: 'none'; embed: tf.Tensor2D };
  sparse:
    | { kind: 'queries'; queries: tf.Tensor2D; attn: AttentionWeights; norm1: Norm; mlp: { lin1: Linear; lin2: Linear }; norm2: Norm }
    | { kind: 'gap-mlp'; lin1: Linear; lin2: Linear }
    | { kind: 'none' };
}

function createLinear(make: ParamFactory, name: string, inDim: number, outDim: number): Linear & { bias: tf.Tensor1D } {
  return {
    weight: make(`${name}.weight`, [inDim, outDim], kaimingUniform(inDim)) as tf.Tensor2D,
    bias: make(`${name}.bias`, [outDim], kaimingUniform(inDim)) as tf.Tensor1D,
  };
}

function createNorm(make: ParamFactory, name: string, dim: number): Norm {
  return { weight: make(`${name}.weight`, [dim], { kind: 'ones' }) as tf.Tensor1D, bias: make(`${name}.bias`, [dim], { kind: 'zeros' }) as tf.Tensor1D };
}

/**
 * Creates IPEG's parameters under 'ipeg.'. `noMaskEmbed` (1, C), SAM's learned "no mask" dense
 * embedding, starts the dense output; without a checkpoint it starts at zero.
 */
export function createIpeg(make: ParamFactory, dim: number, cfg: IpegConfig, noMaskEmbed?: tf.Tensor2D): IpegParams {
  const start = noMaskEmbed ? ({ kind: 'copy', from: noMaskEmbed.reshape([dim]) } as const) : ({ kind: 'zeros' } as const);
  let dense: IpegParams['dense'];
  if (cfg.dense === 'conv') {
    dense = {
      kind: 'conv',
      conv1: {
        weight: make('ipeg.dense.conv1.weight', [3, 3, dim, dim], kaimingUniform(9 * dim)) as tf.Tensor4D,
        bias: make('ipeg.dense.conv1.bias', [dim], kaimingUniform(9 * dim)) as tf.Tensor1D,
      },
      norm: createNorm(make, 'ipeg.dense.norm', dim),
      conv2: {
        weight: make('ipeg.dense.conv2.weight', [dim, dim], { kind: 'zeros' }) as tf.Tensor2D,
        bias: make('ipeg.dense.conv2.bias', [dim], start) as tf.Tensor1D,
      },
    };
  } else {
    dense = { kind: 'none', embed: make('ipeg.dense.embed', [1, dim], noMaskEmbed ? { kind: 'copy', from: noMaskEmbed } : { kind: 'zeros' }) as tf.Tensor2D };
  }
  if (start.kind === 'copy') start.from.dispose();

  const hidden = Math.max(1, Math.round(cfg.mlpRatio * dim));
  let sparse: IpegParams['sparse'];
  if (cfg.sparse === 'queries') {
    sparse = {
      kind: 'queries',
      // As SAM's point embeddings (nn.Embedding): N(0, 1).
      queries: make('ipeg.sparse.queries', [cfg.numQueries, dim], { kind: 'normal', std: 1 }) as tf.Tensor2D,
      attn: {
        qProj: createLinear(make, 'ipeg.sparse.attn.q_proj', dim, dim),
        kProj: createLinear(make, 'ipeg.sparse.attn.k_proj', dim, dim),
        vProj: createLinear(make, 'ipeg.sparse.attn.v_proj', dim, dim),
        outProj: createLinear(make, 'ipeg.sparse.attn.out_proj', dim, dim),
      },
      norm1: createNorm(make, 'ipeg.sparse.norm1', dim),
      mlp: { lin1: createLinear(make, 'ipeg.sparse.mlp.lin1', dim, hidden), lin2: createLinear(make, 'ipeg.sparse.mlp.lin2', hidden, dim) },
      norm2: createNorm(make, 'ipeg.sparse.norm2', dim),
    };
  } else if (cfg.sparse === 'gap-mlp') {
    sparse = { kind: 'gap-mlp', lin1: createLinear(make, 'ipeg.sparse.lin1', dim, hidden), lin2: createLinear(make, 'ipeg.sparse.lin2', hidden, cfg.numQueries * dim) };
  } else {
    sparse = { kind: 'none' };
  }
  return { dense, sparse };
}

/** Dense prompt embedding (B, g, g, C) from the image embedding. */
export function ipegDense(f: tf.Tensor4D, p: IpegParams['dense']): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = f.shape;
    if (p.kind === 'none') return tf.tile(p.embed.reshape([1, 1, 1, c]), [b, h, w, 1]) as tf.Tensor4D;
    const x = tf.add(conv2d(f, p.conv1.weight), p.conv1.bias) as tf.Tensor4D;
    return linear(gelu(layerNorm(x, p.norm, LN_EPS)), p.conv2);
  });
}

/** Sparse prompt embeddings (B, Ns, C) (Ns = 0 for 'none'); `pe` is the dense PE (1, g, g, C). */
export function ipegSparse(f: tf.Tensor4D, pe: tf.Tensor4D, p: IpegParams['sparse'], cfg: IpegConfig): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = f.shape;
    if (p.kind === 'none') return tf.zeros([b, 0, c]) as tf.Tensor3D;
    if (p.kind === 'gap-mlp') {
      const pooled = tf.mean(f, [1, 2]) as tf.Tensor2D;
      return linear(gelu(linear(pooled, p.lin1)), p.lin2).reshape([b, cfg.numQueries, c]) as tf.Tensor3D;
    }
    const keys = f.reshape([b, h * w, c]) as tf.Tensor3D;
    const keysPe = tf.add(keys, tf.tile(pe.reshape([1, h * w, c]), [b, 1, 1])) as tf.Tensor3D;
    const q = tf.tile(p.queries.expandDims(0), [b, 1, 1]) as tf.Tensor3D;
    let s = layerNorm(tf.add(q, decoderAttention(q, keysPe, keys, p.attn, cfg.numHeads)) as tf.Tensor3D, p.norm1, LN_EPS);
    const m = linear(gelu(linear(s, p.mlp.lin1)), p.mlp.lin2);
    s = layerNorm(tf.add(s, m) as tf.Tensor3D, p.norm2, LN_EPS);
    return s;
  });
}

export interface PromptEmbeddingsOut {
  sparse: tf.Tensor3D;
  dense: tf.Tensor4D;
}

export function ipegForward(f: tf.Tensor4D, pe: tf.Tensor4D, p: IpegParams, cfg: IpegConfig): PromptEmbeddingsOut {
  return { sparse: ipegSparse(f, pe, p.sparse, cfg), dense: ipegDense(f, p.dense) };
}
