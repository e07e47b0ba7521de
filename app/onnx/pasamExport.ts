// PA-SAM as ONE ONNX graph with a fixed input size:
//   image (B,3,S,S) NCHW, normalised and zero-padded (model.json states how)
//   → logits (B,K+1,S/4,S/4) class logits, and labels (B,S,S) int64 = argmax of the logits
//     resized bilinearly to S×S (crop the padding, then resize to the original image).
// MSPCA-LoRA: the purely linear part of each branch, (α/r)·A·B, is merged into the frozen qkv
// weight; the multi-scale partial convolutions (as the one fused kernel the tfjs model convolves
// with), their GELU and the 1×1 mixes stay in the graph on the window-local (or un-windowed) maps.
// On a MobileSAM backbone the encoder is TinyViT, with the same branches on its attention qkv
// (whose columns are per head: q, k, v of head 0, then head 1 …).
import { tf } from '../tensor/tf.js';
import { gridSize, type SamConfig } from '../model/sam/config.js';
import { isTinyVit, type ImageEncoderWeights } from '../model/sam/weights.js';
import type { TinyVitWeights } from '../model/sam/tinyVitSam.js';
import type { IpegParams } from '../model/pasam/ipeg.js';
import { fusedKernel, fusedKernelSize, type LoraBranchParams } from '../model/pasam/mspcaLora.js';
import { partialChannels, type MspcaLoraConfig } from '../model/pasam/pasamConfig.js';
import { tinyVitGrids, type PasamModel, type PasamParts } from '../model/pasam/pasamModel.js';
import { OnnxGraphBuilder } from './onnxGraphBuilder.js';
import { OnnxLayers, permuteArray, values } from './onnxLayers.js';
import { buildImageEncoder, buildMaskDecoderCore, decoderAttention, expandTokens, joinLowRank, padToLayout, type AdaptedLinear, type EncoderBlockLayout, type LowRankDelta, type OnnxQkvAdapter } from './samExport.js';
import { buildTinyVitEncoder, type TinyVitOnnxAdapter } from './tinyVitExport.js';

const IPEG_LN_EPS = 1e-6;

export type { PasamParts };

/**
 * PasamModel keeps its parts private; the exporter reads them (read-only) through this one
 * accessor so that a rename there fails loudly here.
 */
export function partsOf(model: PasamModel): PasamParts {
  const parts = (model as unknown as { parts?: PasamParts }).parts;
  if (!parts?.encoder || !parts.lora || !parts.tinyVitLora || !parts.ipeg || !parts.decoder) throw new Error('PA-SAM export: the model does not expose its parts as expected (PasamModel changed?)');
  return parts;
}

export type Target = 'qkv' | 'q' | 'v' | 'proj';

/** Column offset of a LoRA target inside ViT's fused qkv output [q | k | v] (q and v share it). */
export function targetColumn(target: Target, d: number): number {
  return target === 'v' ? 2 * d : 0;
}

/** Maps a branch's output column j to its column in the adapted linear's output. */
export type Placement = (j: number) => number;

/** SAM's ViT: q and v are the first and last D columns of the fused qkv ([q | k | v]). */
function vitPlacement(target: Target, d: number): Placement {
  const col = targetColumn(target, d);
  return (j) => col + j;
}

/** TinyViT: per-head qkv [q₀ k₀ v₀ | q₁ k₁ v₁ …]; a fused qkv branch already has that order. */
export function tinyVitPlacement(target: Target, c: number, heads: number): Placement {
  if (target === 'qkv') return (j) => j;
  const kd = c / heads;
  const off = target === 'v' ? 2 * kd : 0;
  return (j) => Math.floor(j / kd) * 3 * kd + off + (j % kd);
}

/** w[r, place(j)] += (α/r)·(A·B)[r, j] for a [rows, cols] weight. */
function mergeBranch(w: Float32Array, cols: number, p: LoraBranchParams, scale: number, place: Placement): void {
  const product = tf.tidy(() => tf.mul(tf.matMul(p.a, p.b), scale));
  const merged = product.dataSync() as Float32Array;
  product.dispose();
  const [rows, out] = [p.a.shape[0], p.b.shape[1]];
  for (let r = 0; r < rows; r++) for (let j = 0; j < out; j++) w[r * cols + place(j)] += merged[r * out + j]!;
}

/** The MSPCA-LoRA branches of every block as an ONNX adapter on qkv and proj. */
function loraAdapter(model: PasamModel, parts: PasamParts): OnnxQkvAdapter {
  const cfg = model.config.lora;
  const sam = model.samConfig;
  const d = sam.encoderEmbedDim;
  const scale = cfg.alpha / cfg.rank;
  const branches = (i: number, linear: AdaptedLinear) =>
    (linear === 'proj' ? (['proj'] as const) : (['qkv', 'q', 'v'] as const)).flatMap((t) => (parts.lora[i]![t] ? [{ target: t as Target, p: parts.lora[i]![t]! }] : []));
  const width = (linear: AdaptedLinear) => (linear === 'proj' ? d : 3 * d);
  const encoder = parts.encoder as ImageEncoderWeights;
  return {
    mergedWeight(i, linear) {
      const list = branches(i, linear);
      if (list.length === 0) return undefined;
      const attn = encoder.blocks[i]!.attn;
      const w = values(linear === 'proj' ? attn.proj.weight : attn.qkv.weight);
      for (const { target, p } of list) mergeBranch(w, width(linear), p, scale, vitPlacement(target, d));
      return w;
    },
    delta(layers, x, i, layout, linear) {
      if (cfg.bottleneck !== 'mspca') return undefined;
      const c = (target: Target) => ({ place: vitPlacement(target, d), cols: width(linear), scale, layout, onImageGrid: linear === 'qkv', prefix: `blk${i}_${target}` });
      return joinLowRank(layers, branches(i, linear).map(({ target, p }) => mspcaFactors(layers, x, p, cfg, c(target))));
    },
  };
}

/** The MSPCA-LoRA branches of every TinyViT attention block as an ONNX adapter on qkv. */
function tinyVitLoraAdapter(model: PasamModel, parts: PasamParts): TinyVitOnnxAdapter {
  const cfg = model.config.lora;
  const tv = model.samConfig.tinyVit!;
  const enc = parts.encoder as TinyVitWeights;
  const scale = cfg.alpha / cfg.rank;
  const grids = tinyVitGrids(tv, model.samConfig.imgSize);
  const branches = (i: number, j: number) => (['qkv', 'q', 'v'] as const).flatMap((t) => (parts.tinyVitLora[i]?.[j]?.[t] ? [{ target: t as Target, p: parts.tinyVitLora[i]![j]![t]! }] : []));
  const place = (target: Target, i: number) => tinyVitPlacement(target, tv.embedDims[i]!, tv.numHeads[i]!);
  const projOf = (i: number, j: number) => parts.tinyVitLora[i]?.[j]?.proj;
  return {
    mergedQkv(i, j) {
      const list = branches(i, j);
      if (list.length === 0) return undefined;
      const w = values(enc.layers[i]!.blocks[j]!.attn.qkv.weight);
      for (const { target, p } of list) mergeBranch(w, 3 * tv.embedDims[i]!, p, scale, place(target, i));
      return w;
    },
    qkvDelta(layers, x, i, j, ws) {
      if (cfg.bottleneck !== 'mspca') return undefined;
      const layout = tinyVitWindowLayout(grids[i]!, ws);
      const terms = branches(i, j).map(({ target, p }) => {
        const f = mspcaFactors(layers, x, p, cfg, { place: place(target, i), cols: 3 * tv.embedDims[i]!, scale, layout, windowMap: true, prefix: `l${i}b${j}_${target}` });
        return layers.matMul(f.left, f.right);
      });
      return terms.length ? terms.reduce((a, b) => layers.add(a, b)) : undefined;
    },
    mergedProj(i, j) {
      const p = projOf(i, j);
      if (!p) return undefined;
      const c = tv.embedDims[i]!;
      const w = values(enc.layers[i]!.blocks[j]!.attn.proj.weight);
      mergeBranch(w, c, p, scale, (k) => k);
      return w;
    },
    projDelta(layers, x, i, j, ws) {
      const p = projOf(i, j);
      if (!p || cfg.bottleneck !== 'mspca') return undefined;
      const f = mspcaFactors(layers, x, p, cfg, { place: (k) => k, cols: tv.embedDims[i]!, scale, layout: tinyVitWindowLayout(grids[i]!, ws), windowMap: true, prefix: `l${i}b${j}_proj` });
      return layers.matMul(f.left, f.right);
    },
  };
}

/** A TinyViT block's windows: every block is windowed; a grid no larger than ws is one zero-padded window. */
export function tinyVitWindowLayout(grid: number, ws: number): EncoderBlockLayout {
  return { grid, windowSize: ws, padded: Math.ceil(grid / ws) * ws, windowed: true };
}

interface DeltaContext {
  /** Where the branch's output columns go in the adapted linear's output. */
  place: Placement;
  /** Output width of the adapted linear (3D for qkv, D for proj). */
  cols: number;
  scale: number;
  layout: EncoderBlockLayout;
  /** x is already one window per batch item (B', ws, ws, D) (TinyViT), not the padded grid. */
  windowMap?: boolean;
  /** x is on the image grid (B, g, g, D) with zero padding tokens implied, not the padded grid. */
  onImageGrid?: boolean;
  prefix: string;
}

/**
 * (α/r)·MSPCA(Z)·B on x as factors: left = MSPCA(Z) on the padded grid (B, padded, padded, r) (or
 * on window maps with `windowMap`), right = (α/r)·B placed in the target's columns of its linear (r, cols).
 */
function mspcaFactors(layers: OnnxLayers, x: string, p: LoraBranchParams, cfg: MspcaLoraConfig, c: DeltaContext): LowRankDelta {
  const r = cfg.rank;
  const cp = partialChannels(cfg);
  const z = layers.matMul(x, layers.tensor(`${c.prefix}_A`, p.a));
  const term = (map: string) => mspcaBranch(layers, map, p, cfg, cp, r, c.prefix);
  const left = c.windowMap ? onWindowMaps(layers, z, r, cfg, c.layout, term) : spatialTermOnPadded(layers, z, r, cfg, c.layout, Boolean(c.onImageGrid), term);
  // B scaled and placed in its qkv columns.
  const out = p.b.shape[1]!;
  const bData = values(p.b);
  const full = new Float32Array(r * c.cols);
  for (let k = 0; k < r; k++) for (let j = 0; j < out; j++) full[k * c.cols + c.place(j)] = bData[k * out + j]! * c.scale;
  return { left, right: layers.b.weight(`${c.prefix}_B`, full, [r, c.cols]) };
}

/**
 * `f` (map → map, r channels) of z on the padded grid, as onSpatialMap; z given on the image grid
 * (`onImageGrid`, zero padding tokens implied) is padded first, or, where f sees the image grid
 * anyway (global blocks, 'unwindowed'), only f's result is.
 */
export function spatialTermOnPadded(layers: OnnxLayers, z: string, r: number, cfg: MspcaLoraConfig, layout: EncoderBlockLayout, onImageGrid: boolean, f: (m: string) => string): string {
  if (onImageGrid && (!layout.windowed || cfg.spatial === 'unwindowed')) return padToLayout(layers, f(z), layout);
  return onSpatialMap(layers, onImageGrid ? padToLayout(layers, z, layout) : z, r, cfg, layout, f);
}

/**
 * Applies `f` (a map → map function, r channels) to z on the padded token grid (B, gp, gp, r) as
 * the tfjs model does: per attention window in windowed blocks (partitioned and un-partitioned
 * here, on the r channels only), or, for 'unwindowed', on the image's grid with the window padding
 * cropped and re-added as zeros; a global block's grid as it is.
 */
export function onSpatialMap(layers: OnnxLayers, z: string, r: number, cfg: MspcaLoraConfig, layout: EncoderBlockLayout, f: (m: string) => string): string {
  const { grid: g, windowSize: ws, padded: gp } = layout;
  if (!layout.windowed) return f(z);
  if (cfg.spatial === 'unwindowed') {
    if (gp === g) return f(z);
    const out = f(layers.slice(z, [0, 0], [g, g], [1, 2]));
    return layers.b.op('Pad', [out, layers.ints([0, 0, 0, 0, 0, gp - g, gp - g, 0])], { mode: 'constant' });
  }
  const n = gp / ws;
  const windows = layers.reshape(layers.transpose(layers.reshape(z, [-1, n, ws, n, ws, r]), [0, 1, 3, 2, 4, 5]), [-1, ws, ws, r]);
  return layers.reshape(layers.transpose(layers.reshape(f(windows), [-1, n, n, ws, ws, r]), [0, 1, 3, 2, 4, 5]), [-1, gp, gp, r]);
}

/** `f` on z given as window maps (B·n², ws, ws, r): as given, or for 'unwindowed' on the un-windowed grid. */
export function onWindowMaps(layers: OnnxLayers, z: string, r: number, cfg: MspcaLoraConfig, layout: EncoderBlockLayout, f: (m: string) => string): string {
  if (cfg.spatial !== 'unwindowed') return f(z);
  const { windowSize: ws, padded: gp } = layout;
  const n = gp / ws;
  const grid = layers.reshape(layers.transpose(layers.reshape(z, [-1, n, n, ws, ws, r]), [0, 1, 3, 2, 4, 5]), [-1, gp, gp, r]);
  const out = onSpatialMap(layers, grid, r, cfg, layout, f);
  return layers.reshape(layers.transpose(layers.reshape(out, [-1, n, ws, n, ws, r]), [0, 1, 3, 2, 4, 5]), [-1, ws, ws, r]);
}

/** MSPCA(Z) (without the residual, which the merged weight carries) on a map (N, h, w, r). */
function mspcaBranch(layers: OnnxLayers, z: string, p: LoraBranchParams, cfg: MspcaLoraConfig, cp: number, r: number, prefix: string): string {
  const mspca = p.mspca!;
  const kernel = fusedKernel(mspca, cfg);
  const e = fusedKernelSize(cfg);
  let w: string;
  try {
    w = layers.b.weight(`${prefix}_mspca`, permuteArray(values(kernel), kernel.shape, [3, 2, 0, 1]), [cp, cp, e, e]);
  } finally {
    kernel.dispose();
  }
  const zp = cp === r ? z : layers.slice(z, [0], [cp], [3]);
  const pad = (e - 1) / 2;
  const conv = layers.transpose(layers.b.op('Conv', [layers.transpose(zp, [0, 3, 1, 2]), w], { kernel_shape: [e, e], pads: [pad, pad, pad, pad] }), [0, 2, 3, 1]);
  let m = layers.gelu(conv);
  if (cp !== r) m = layers.concat([m, layers.slice(z, [cp], [r], [3])], 3);
  if (mspca.mix) m = layers.matMul(m, layers.tensor(`${prefix}_mix`, mspca.mix));
  return m;
}

/** IPEG dense branch on the embedding (B,C,g,g) → (B,C,g,g) or a broadcastable (1,C,1,1). */
function ipegDense(layers: OnnxLayers, emb: string, p: IpegParams['dense'], c: number): string {
  if (p.kind === 'none') return layers.tensorAs('ipeg_dense_embed', p.embed, [1, c, 1, 1]);
  const x = layers.transpose(layers.conv(emb, p.conv1, { pad: 1, prefix: 'ipeg_conv1' }), [0, 2, 3, 1]);
  const y = layers.linear(layers.gelu(layers.layerNorm(x, p.norm, IPEG_LN_EPS, 'ipeg_norm')), p.conv2, 'ipeg_conv2');
  return layers.transpose(y, [0, 3, 1, 2]);
}

/** IPEG sparse branch → (B, Ns, C), or undefined for 'none'. */
function ipegSparse(layers: OnnxLayers, emb: string, keyPe: string, p: IpegParams['sparse'], numQueries: number, numHeads: number, c: number, g: number): string | undefined {
  if (p.kind === 'none') return undefined;
  if (p.kind === 'gap-mlp') {
    const pooled = layers.b.op('ReduceMean', [emb], { axes: [2, 3], keepdims: 0 });
    const h = layers.linear(layers.gelu(layers.linear(pooled, p.lin1, 'ipeg_gap1')), p.lin2, 'ipeg_gap2');
    return layers.reshape(h, [-1, numQueries, c]);
  }
  const keys = layers.transpose(layers.reshape(emb, [0, c, g * g]), [0, 2, 1]);
  const q = expandTokens(layers, layers.tensorAs('ipeg_queries', p.queries, [1, numQueries, c]), emb, numQueries, c);
  const att = decoderAttention(layers, q, layers.add(keys, keyPe), keys, p.attn, numHeads, 'ipeg_attn');
  let s = layers.layerNorm(layers.add(q, att), p.norm1, IPEG_LN_EPS, 'ipeg_n1');
  const m = layers.linear(layers.gelu(layers.linear(s, p.mlp.lin1, 'ipeg_mlp1')), p.mlp.lin2, 'ipeg_mlp2');
  s = layers.layerNorm(layers.add(s, m), p.norm2, IPEG_LN_EPS, 'ipeg_n2');
  return s;
}

/**
 * PA-SAM's class logits (B, K+1, 4g, 4g) NCHW from an image (B, 3, S, S) with the given encoder
 * adapter; the inference export and the training graph share it.
 */
export function buildPasamLogits(layers: OnnxLayers, model: PasamModel, image: string, adapter: OnnxQkvAdapter, tinyVitAdapter?: TinyVitOnnxAdapter): string {
  const parts = partsOf(model);
  const sam: SamConfig = model.samConfig;
  const g = gridSize(sam);
  const c = sam.promptEmbedDim;
  const k1 = model.numClasses;
  const b = layers.b;
  const s = sam.imgSize;
  let emb: string;
  if (isTinyVit(parts.encoder)) {
    if (!tinyVitAdapter) throw new Error('PA-SAM ONNX graph: a MobileSAM (TinyViT) backbone needs its TinyViT LoRA adapter');
    emb = buildTinyVitEncoder(layers, image, parts.encoder, sam.tinyVit!, s, tinyVitAdapter);
  } else emb = buildImageEncoder(layers, image, parts.encoder, sam, s, adapter);
  const keyPe = b.weight('dense_pe', densePeFromModel(parts, g, c), [1, g * g, c]);
  const dense = ipegDense(layers, emb, parts.ipeg.dense, c);
  const sparse = ipegSparse(layers, emb, keyPe, parts.ipeg.sparse, model.config.ipeg.numQueries, model.config.ipeg.numHeads, c, g);
  const dec = parts.decoder;
  const t = 1 + k1;
  const outTokens = layers.concat([layers.tensorAs('iou_token', dec.iouToken, [1, 1, c]), layers.tensorAs('mask_tokens', dec.maskTokens, [1, k1, c])], 1);
  const expanded = expandTokens(layers, outTokens, emb, t, c);
  const tokens = sparse ? layers.concat([expanded, sparse], 1) : expanded;
  const core = buildMaskDecoderCore(
    layers,
    layers.add(emb, dense),
    tokens,
    keyPe,
    { iouToken: dec.iouToken, maskTokens: dec.maskTokens, transformer: dec.transformer, outputUpscaling: dec.outputUpscaling, outputHypernetworksMlps: dec.hypernetworks, iouPredictionHead: [] },
    sam,
    g,
  );
  return core.lowRes;
}

/** The whole PA-SAM forward as an ONNX graph at the model's input size. */
export function buildPasamGraph(model: PasamModel): OnnxGraphBuilder {
  const parts = partsOf(model);
  const sam: SamConfig = model.samConfig;
  const s = sam.imgSize;
  const g = gridSize(sam);
  const k1 = model.numClasses;
  const b = new OnnxGraphBuilder('pasam');
  const layers = new OnnxLayers(b);
  const image = b.input('image', ['batch', 3, s, s]);
  const lowRes = buildPasamLogits(layers, model, image, loraAdapter(model, parts), isTinyVit(parts.encoder) ? tinyVitLoraAdapter(model, parts) : undefined);
  b.op('Identity', [lowRes], {}, 'logits');
  const lead = b.op('Shape', [lowRes], { start: 0, end: 2 });
  const full = b.op('Resize', [lowRes, '', '', layers.concat([lead, layers.ints([s, s])], 0)], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  b.op('ArgMax', [full], { axis: 1, keepdims: 0 }, 'labels');
  b.output('logits', ['batch', k1, 4 * g, 4 * g]);
  b.output('labels', ['batch', s, s], 'int64');
  return b;
}

/** The model's own dense PE buffer (1, g, g, C) as tokens (1, g·g, C). */
function densePeFromModel(parts: PasamParts, g: number, c: number): Float32Array {
  const pe = values(parts.densePe);
  if (pe.length !== g * g * c) throw new Error(`PA-SAM export: dense PE has ${pe.length} values, expected ${g}×${g}×${c}`);
  return pe;
}
