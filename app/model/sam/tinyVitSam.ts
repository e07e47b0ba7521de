// MobileSAM's image encoder, TinyViT, mirroring the reference module
// `mobile_sam/modeling/tiny_vit_sam.py` (ChaoningZhang/MobileSAM): the same classes in the same
// order — Conv2d_BN, PatchEmbed, MBConv, PatchMerging, ConvLayer, Mlp, Attention, TinyViTBlock,
// BasicLayer, LayerNorm2d (nn.layerNorm2d), TinyViT — as functions over NHWC tensors.
//
// Eval mode only: each Conv2d_BN's batch norm uses its running statistics, so it is folded into the
// convolution once when the weights are built (the reference's own `Conv2d_BN.fuse`).
// Generalisation of the reference (the fixture's notes): the token grid is S/16 for any input side
// S (the reference hard-codes 64×64, i.e. S = 1024), and the LAST patch merging has stride 1 while
// the others have stride 2 — the reference's rule "stride 1 when out_dim is 320, 448 or 576" picks
// exactly the last merging in every official TinyViT (5M, 11M, 21M).
import { conv2dStrided, gatherRows, geluErf, layerNorm, layerNorm2d, linear, softmaxLastAxis, tf } from '../nn.js';
import type { Conv, Linear, Norm } from './weights.js';

/** The architecture, derived from a checkpoint's tensor shapes (see tinyVitConfigFromShapes). */
export interface TinyVitConfig {
  embedDims: number[];
  depths: number[];
  numHeads: number[];
  windowSizes: number[];
  mlpRatio: number;
  mbconvExpandRatio: number;
  localConvSize: number;
  /** Channels of the neck output (the image embedding), 256 in SAM. */
  neckDim: number;
}

/** Conv2d_BN with the batch norm folded in: a biased convolution. */
export type ConvBn = Conv & { bias: tf.Tensor1D };

export interface MBConvWeights {
  conv1: ConvBn;
  conv2: ConvBn;
  conv3: ConvBn;
}
export interface PatchMergingWeights {
  conv1: ConvBn;
  conv2: ConvBn;
  conv3: ConvBn;
}
export interface TinyVitAttentionWeights {
  norm: Norm;
  qkv: Linear;
  proj: Linear;
  /** [numHeads, offsets]: one learned bias per head and (|Δy|, |Δx|) offset. */
  attentionBiases: tf.Tensor2D;
}
export interface TinyVitBlockWeights {
  attn: TinyVitAttentionWeights;
  mlp: { norm: Norm; fc1: Linear; fc2: Linear };
  localConv: ConvBn;
}
export interface TinyVitWeights {
  kind: 'tiny_vit';
  patchEmbed: { conv0: ConvBn; conv2: ConvBn };
  /** layers[0] is the ConvLayer (MBConv blocks), the rest BasicLayers (TinyViT blocks). */
  layers: { mbconv: MBConvWeights[]; blocks: TinyVitBlockWeights[]; downsample: PatchMergingWeights | null }[];
  neck: { conv1: Conv; ln1: Norm; conv2: Conv; ln2: Norm };
}

/** Adapter adding a low-rank update to a block's qkv (or proj) output; see PA-SAM's MSPCA-LoRA. */
export type TinyVitAdapter = (x: tf.Tensor3D, layer: number, block: number, window: { ws: number; rows: number }) => tf.Tensor3D;

export interface TinyVitOptions {
  /** Receives each stage's output token sequence (B, N, C) and the patch embedding (NHWC). */
  onTap?: (name: string, t: tf.Tensor) => void;
  qkvAdapter?: TinyVitAdapter;
  /** Adds to each attention block's proj output, given the heads' merged output (B', N, C). */
  projAdapter?: TinyVitAdapter;
}

/** A block's adapters, bound to its place: qkv's sees the normed tokens, proj's the heads' output. */
export interface BlockAdapters {
  qkv?: (normed: tf.Tensor3D) => tf.Tensor3D;
  proj?: (out: tf.Tensor3D) => tf.Tensor3D;
}

const LN_EPS = 1e-5; // nn.LayerNorm default (Mlp.norm, Attention.norm)

// ------------------------------------------------------------------ Conv2d_BN

/** Conv2d_BN(a, b, ks, stride, pad, groups) with the folded batch norm; NHWC. */
function conv2dBN(x: tf.Tensor4D, p: ConvBn, stride: number, pad: number, depthwise = false): tf.Tensor4D {
  return conv2dStrided(x, p, stride, pad, depthwise ? 'depthwise' : 1);
}

// ------------------------------------------------------------------ PatchEmbed

/** (B, S, S, 3) → (B, S/4, S/4, embedDims[0]): two 3×3 stride-2 Conv2d_BN with GELU between. */
export function patchEmbed(x: tf.Tensor4D, p: TinyVitWeights['patchEmbed']): tf.Tensor4D {
  return conv2dBN(geluErf(conv2dBN(x, p.conv0, 2, 1)), p.conv2, 2, 1);
}

// ------------------------------------------------------------------ MBConv

/** Inverted residual: 1×1 expand, 3×3 depth-wise, 1×1 project, + shortcut, GELU. (B, H, W, C). */
export function mbConv(x: tf.Tensor4D, p: MBConvWeights): tf.Tensor4D {
  let y = geluErf(conv2dBN(x, p.conv1, 1, 0));
  y = geluErf(conv2dBN(y, p.conv2, 1, 1, true));
  y = conv2dBN(y, p.conv3, 1, 0);
  return geluErf(tf.add(y, x));
}

// ------------------------------------------------------------------ PatchMerging

/** (B, H, W, C) → (B, H', W', out): 1×1, GELU, 3×3 depth-wise (stride 2 or 1), GELU, 1×1. */
export function patchMerging(x: tf.Tensor4D, p: PatchMergingWeights, stride: number): tf.Tensor4D {
  let y = geluErf(conv2dBN(x, p.conv1, 1, 0));
  y = geluErf(conv2dBN(y, p.conv2, stride, 1, true));
  return conv2dBN(y, p.conv3, 1, 0);
}

// ------------------------------------------------------------------ ConvLayer

export function convLayer(x: tf.Tensor4D, blocks: MBConvWeights[]): tf.Tensor4D {
  for (const b of blocks) x = mbConv(x, b);
  return x;
}

// ------------------------------------------------------------------ Mlp

export function mlp(x: tf.Tensor3D, p: TinyVitBlockWeights['mlp']): tf.Tensor3D {
  return linear(geluErf(linear(layerNorm(x, p.norm, LN_EPS), p.fc1)), p.fc2);
}

// ------------------------------------------------------------------ Attention

/**
 * attention_bias_idxs of the reference for a ws×ws window: for every pair of window points (in
 * row-major order) the index of their (|Δy|, |Δx|) offset, offsets numbered in order of first
 * appearance. (N·N) int32 with N = ws².
 */
export function attentionBiasIdxs(ws: number): Int32Array {
  const n = ws * ws;
  const offsets = new Map<number, number>();
  const idxs = new Int32Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const key = Math.abs(Math.floor(a / ws) - Math.floor(b / ws)) * ws + Math.abs((a % ws) - (b % ws));
      let id = offsets.get(key);
      if (id === undefined) offsets.set(key, (id = offsets.size));
      idxs[a * n + b] = id;
    }
  }
  return idxs;
}

/**
 * Attention over (B', N, C) windows with N = ws². qkv is laid out per head — (q, k, v) of head 0,
 * then of head 1 … — as the reference's view(B, N, heads, -1).split([kd, kd, d]); attn_ratio 1.
 */
export function attention(x: tf.Tensor3D, p: TinyVitAttentionWeights, numHeads: number, ws: number, adapters: BlockAdapters = {}): tf.Tensor3D {
  const [b, n, c] = x.shape;
  const kd = c / numHeads;
  const normed = layerNorm(x, p.norm, LN_EPS);
  let qkv = linear(normed, p.qkv);
  if (adapters.qkv) qkv = tf.add(qkv, adapters.qkv(normed));
  // (B', N, heads, 3·kd) → (B', heads, N, 3·kd) → q, k, v of (B'·heads, N, kd)
  const perHead = qkv.reshape([b, n, numHeads, 3 * kd]).transpose([0, 2, 1, 3]).reshape([b * numHeads, n, 3 * kd]);
  const [q, k, v] = tf.split(perHead, 3, 2) as tf.Tensor3D[];
  // Rows of the (offsets, heads) table, through the tensor layer (gather's gradient is missing on wasm).
  const picked = gatherRows(tf.transpose(p.attentionBiases) as tf.Tensor2D, tf.tensor1d(attentionBiasIdxs(ws), 'int32'));
  const bias = tf.transpose(picked).reshape([1, numHeads, n, n]);
  let scores = tf.mul(tf.matMul(q, k, false, true), kd ** -0.5).reshape([b, numHeads, n, n]);
  scores = tf.add(scores, bias);
  const attn = softmaxLastAxis(scores).reshape([b * numHeads, n, n]) as tf.Tensor3D;
  const out = tf.matMul(attn, v).reshape([b, numHeads, n, kd]).transpose([0, 2, 1, 3]).reshape([b, n, c]) as tf.Tensor3D;
  const y = linear(out, p.proj);
  return adapters.proj ? (tf.add(y, adapters.proj(out)) as tf.Tensor3D) : y;
}

// ------------------------------------------------------------------ TinyViTBlock

/**
 * (B, H, W, C) → (B, H, W, C): window attention (zero-padded to multiples of ws, as the
 * reference pads before its attention), residual, 3×3 depth-wise local conv, MLP residual.
 */
export function tinyVitBlock(x: tf.Tensor4D, p: TinyVitBlockWeights, numHeads: number, ws: number, localConvSize: number, adapters: BlockAdapters = {}): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  let a: tf.Tensor4D;
  if (h === ws && w === ws) {
    a = attention(x.reshape([b, h * w, c]) as tf.Tensor3D, p.attn, numHeads, ws, adapters).reshape([b, h, w, c]);
  } else {
    const padB = (ws - (h % ws)) % ws;
    const padR = (ws - (w % ws)) % ws;
    const padded = padB > 0 || padR > 0 ? tf.pad(x, [[0, 0], [0, padB], [0, padR], [0, 0]]) : x;
    const ph = h + padB;
    const pw = w + padR;
    const nh = ph / ws;
    const nw = pw / ws;
    // (B, nH, ws, nW, ws, C) → (B, nH, nW, ws, ws, C) → (B·nH·nW, ws², C)
    const windows = padded.reshape([b, nh, ws, nw, ws, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b * nh * nw, ws * ws, c]) as tf.Tensor3D;
    const out = attention(windows, p.attn, numHeads, ws, adapters);
    const merged = out.reshape([b, nh, nw, ws, ws, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, ph, pw, c]) as tf.Tensor4D;
    a = padded === x ? merged : tf.slice(merged, [0, 0, 0, 0], [b, h, w, c]);
  }
  let y = tf.add(x, a) as tf.Tensor4D;
  y = conv2dBN(y, p.localConv, 1, Math.floor(localConvSize / 2), true);
  const m = mlp(y.reshape([b, h * w, c]) as tf.Tensor3D, p.mlp).reshape([b, h, w, c]);
  return tf.add(y, m) as tf.Tensor4D;
}

// ------------------------------------------------------------------ TinyViT

/** Stride of layer i's patch merging: 2, but 1 for the last one (token grid S/16; see the top). */
export function mergingStride(layer: number, cfg: TinyVitConfig): number {
  return layer === cfg.depths.length - 2 ? 1 : 2;
}

/**
 * TinyViT.forward_features: (B, S, S, 3) normalised → image embedding (B, S/16, S/16, neckDim).
 * Stage taps: 'patch_embed' (B, S/4, S/4, C0) and 'stage_i' (B, N, C) after layer i.
 */
export function tinyVitForward(x: tf.Tensor4D, w: TinyVitWeights, cfg: TinyVitConfig, opts: TinyVitOptions = {}): tf.Tensor4D {
  const s = x.shape[1];
  if (x.shape[1] !== x.shape[2] || s % 16 !== 0) throw new Error(`TinyViT: input ${x.shape} must be square with a side that is a multiple of 16`);
  return tf.tidy(() => {
    let h = patchEmbed(x, w.patchEmbed);
    opts.onTap?.('patch_embed', h);
    w.layers.forEach((layer, i) => {
      const prev = h;
      h = tf.tidy(() => {
        let y = convLayer(prev, layer.mbconv);
        layer.blocks.forEach((blk, j) => {
          const bind = (a: TinyVitAdapter | undefined) => (a ? (t: tf.Tensor3D) => a(t, i, j, { ws: cfg.windowSizes[i], rows: t.shape[0] }) : undefined);
          y = tinyVitBlock(y, blk, cfg.numHeads[i], cfg.windowSizes[i], cfg.localConvSize, { qkv: bind(opts.qkvAdapter), proj: bind(opts.projAdapter) });
        });
        return layer.downsample ? patchMerging(y, layer.downsample, mergingStride(i, cfg)) : y;
      });
      if (opts.onTap) {
        const [b, gh, gw, c] = h.shape;
        opts.onTap(`stage_${i}`, h.reshape([b, gh * gw, c]));
      }
    });
    if (h.shape[1] !== s / 16) throw new Error(`TinyViT: the stages end on a ${h.shape[1]}×${h.shape[2]} grid, expected ${s / 16}×${s / 16}`);
    return layerNorm2d(conv2dStrided(layerNorm2d(conv2dStrided(h, w.neck.conv1, 1, 0, 1), w.neck.ln1), w.neck.conv2, 1, 1, 1), w.neck.ln2);
  });
}
