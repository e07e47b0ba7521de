// SAM as two ONNX graphs, as SAM's official ONNX export splits it:
//   encoder  image (B,3,S,S) NCHW, normalised and zero-padded as SAM's `preprocess`
//            → image_embeddings (B,C,g,g), g = S/16.
//   decoder  image_embeddings (1,C,g,g), point_coords (P,N,2) in the S-frame, point_labels (P,N)
//            (1 fg, 0 bg, −1 padding, 2/3 box corners), mask_input (P,1,4g,4g), has_mask_input (1),
//            orig_im_size (2) [h, w] → masks (P,M,h,w) logits at the original size,
//            iou_predictions (P,M), low_res_masks (P,M,4g,4g); M = all mask tokens (index 0 = the
//            single-mask output, 1.. = the multimask outputs; the caller picks).
// NCHW at the boundary because that is what SAM's reference, its official ONNX export and Triton
// clients use; inside, the ViT runs NHWC like the reference. Windowing, padding and the decomposed
// rel-pos run as ONNX ops; the rel-pos index tables are gathered once here and stored as constants.
import { tf } from '../tensor/tf.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildTinyVitEncoder } from './tinyVitExport.js';
import { OnnxGraphBuilder } from './onnxGraphBuilder.js';
import { OnnxLayers, values } from './onnxLayers.js';
import { gridSize, type SamConfig } from '../model/sam/config.js';
import { adaptSamWeights } from '../model/sam/resize.js';
import { isTinyVit, type AttentionWeights, type ImageEncoderWeights, type MaskDecoderWeights, type PromptEncoderWeights, type SamWeights } from '../model/sam/weights.js';

const ENCODER_LN_EPS = 1e-6;
const DECODER_LN_EPS = 1e-5;
const LN2D_EPS = 1e-6;

/** The attention linears an adapter may change. */
export type AdaptedLinear = 'qkv' | 'proj';

/**
 * Where an encoder block's attention runs: `grid`×`grid` tokens zero-padded to `padded`×`padded`
 * and cut into (padded/windowSize)² windows; a global block is one window of the whole grid.
 */
export interface EncoderBlockLayout {
  grid: number;
  windowSize: number;
  padded: number;
  /** False for the global-attention blocks. */
  windowed: boolean;
}

/** A low-rank term left·right added to a linear's output: left (B, padded, padded, r) on the padded grid, right (r, out). */
export interface LowRankDelta {
  left: string;
  right: string;
}

/**
 * Trainable branches on a block's attention linears (fused qkv, output proj), in ONNX.
 * `mergedWeight` may return a replacement [in, out] weight (purely linear parts folded in);
 * `delta` adds a low-rank term to the linear's output given the linear's input x — for qkv on the
 * image grid (B, g, g, in), where the window padding is zero tokens, so the adapter pads what it
 * derives from x; for proj on the padded grid (B, padded, padded, in) — returned as factors on the
 * padded grid (the padding tokens attend too), which the block splits per q / k / v.
 */
export interface OnnxQkvAdapter {
  mergedWeight?(blockIndex: number, linear: AdaptedLinear): Float32Array | undefined;
  delta?(layers: OnnxLayers, x: string, blockIndex: number, layout: EncoderBlockLayout, linear: AdaptedLinear): LowRankDelta | undefined;
}

/** Several low-rank terms as one: lefts joined along channels, rights along rows. */
export function joinLowRank(layers: OnnxLayers, terms: LowRankDelta[]): LowRankDelta | undefined {
  if (terms.length <= 1) return terms[0];
  return { left: layers.concat(terms.map((t) => t.left), 3), right: layers.concat(terms.map((t) => t.right), 0) };
}

/** (B, g, g, C) → (B, padded, padded, C) with zero tokens. */
export function padToLayout(layers: OnnxLayers, t: string, layout: EncoderBlockLayout): string {
  const extra = layout.padded - layout.grid;
  return extra ? layers.b.op('Pad', [t, layers.ints([0, 0, 0, 0, 0, extra, extra, 0])], { mode: 'constant' }) : t;
}

function cropToGrid(layers: OnnxLayers, t: string, layout: EncoderBlockLayout): string {
  return layout.padded === layout.grid ? t : layers.slice(t, [0, 0], [layout.grid, layout.grid], [1, 2]);
}

/**
 * Windowed (or global) multi-head attention with decomposed rel-pos on the normalised tokens
 * y (B, g, g, D) → (B, g, g, D), as SAM's windowed block computes it, laid out for speed (the
 * training graph runs it forward and backward every step):
 * - q, k and v are three products with column slices of the qkv weight (no split of a fused
 *   output), on the g×g image tokens only: a padding token's q/k/v is the bias alone (its input is
 *   zero) plus the adapters' delta, which is computed on the padded grid;
 * - window partition (slices joined) and head split (a transpose) per q / k / v; head merge and
 *   window un-partition (transposes) of the output, cropped before proj.
 */
function encoderAttention(layers: OnnxLayers, y: string, p: ImageEncoderWeights['blocks'][number]['attn'], cfg: SamConfig, layout: EncoderBlockLayout, blockIndex: number, adapter?: OnnxQkvAdapter): string {
  const d = cfg.encoderEmbedDim;
  const heads = cfg.encoderNumHeads;
  const hd = d / heads;
  const { windowSize: ws, padded: gp } = layout;
  const nw = gp / ws;
  const n = ws * ws;
  const pre = `blk${blockIndex}`;
  const scale = hd ** -0.5;
  const merged = adapter?.mergedWeight?.(blockIndex, 'qkv');
  const w = merged ? layers.b.weight(`${pre}_qkv_w`, merged, p.qkv.weight.shape) : layers.tensor(`${pre}_qkv_w`, p.qkv.weight);
  const bias = p.qkv.bias ? layers.tensor(`${pre}_qkv_b`, p.qkv.bias) : undefined;
  const delta = adapter?.delta?.(layers, y, blockIndex, layout, 'qkv');
  // Each layout step moves one axis with large contiguous blocks (one transpose of all axes at once
  // runs element-wise in ONNX Runtime and was slower than the steps).
  const part = (j: number) => {
    const cols = (t: string, axis: number) => layers.slice(t, [j * d], [(j + 1) * d], [axis]);
    let t = padToLayout(layers, layers.matMul(y, cols(w, 1)), layout);
    if (bias) t = layers.add(t, cols(bias, 0));
    if (delta) t = layers.add(t, layers.matMul(delta.left, cols(delta.right, 1)));
    // (B·nw, ws, nw, ws·D) → (B·nw, nw, ws, ws·D) = windows (B', N, h, hd) → (B', h, N, hd). The
    // partition as window-column slices joined along the rows: ONNX Runtime's transpose in this
    // direction took 15× its inverse (11 ms against 0.7 ms per q/k/v at S=256, batch 2).
    const rows = nw === 1 ? t : layers.reshape(t, [-1, ws, nw, ws * d]);
    const windows = nw === 1 ? t : layers.concat(Array.from({ length: nw }, (_, c) => layers.slice(rows, [c], [c + 1], [2])), 1);
    return layers.transpose(layers.reshape(windows, [-1, n, heads, hd]), [0, 2, 1, 3]);
  };
  const q = part(0);
  const k = part(1);
  const v = part(2);
  // The scale on q, then the product, as the tfjs model orders them (float32 trajectories stay close).
  let attn = layers.matMul(layers.mul(q, layers.scalar(scale)), layers.transpose(k, [0, 1, 3, 2]));
  // Rel-pos from the unscaled queries: rel_h[b,y,x,ky] = q[b,y,x]·Rh[y,ky], rel_w likewise over x.
  const qs = layers.reshape(q, [-1, ws, ws, hd]);
  const rh = layers.relPosTable(ws, p.relPosH, `${pre}_relh`);
  const rw = layers.relPosTable(ws, p.relPosW, `${pre}_relw`);
  const byH = layers.matMul(layers.reshape(layers.transpose(qs, [1, 0, 2, 3]), [ws, -1, hd]), rh);
  const relH = layers.transpose(layers.reshape(byH, [ws, -1, ws, ws]), [1, 0, 2, 3]);
  const byW = layers.matMul(layers.reshape(layers.transpose(qs, [2, 0, 1, 3]), [ws, -1, hd]), rw);
  const relW = layers.transpose(layers.reshape(byW, [ws, -1, ws, ws]), [1, 2, 0, 3]);
  const relBias = layers.add(layers.reshape(relH, [-1, n, ws, 1]), layers.reshape(relW, [-1, n, 1, ws]));
  attn = layers.add(attn, layers.reshape(relBias, [-1, heads, n, n]));
  const out = layers.matMul(layers.b.op('Softmax', [attn], { axis: -1 }), v);
  // (B', h, N, hd) → (B', N, D) = (B·nw, nw, ws, ws·D) → (B·nw, ws, nw, ws·D) = (B, gp, gp, D)
  const headsMerged = layers.transpose(out, [0, 2, 1, 3]);
  const tokens = layers.reshape(nw === 1 ? headsMerged : layers.transpose(layers.reshape(headsMerged, [-1, nw, ws, ws * d]), [0, 2, 1, 3]), [-1, gp, gp, d]);
  const projDelta = adapter?.delta?.(layers, tokens, blockIndex, layout, 'proj');
  const projected = layers.linear(cropToGrid(layers, tokens, layout), p.proj, `${pre}_proj`, adapter?.mergedWeight?.(blockIndex, 'proj'));
  return projDelta ? layers.add(projected, layers.matMul(cropToGrid(layers, projDelta.left, layout), projDelta.right)) : projected;
}

/** One ViT block on x (B, g, g, D). */
function encoderBlock(layers: OnnxLayers, x: string, p: ImageEncoderWeights['blocks'][number], cfg: SamConfig, g: number, blockIndex: number, adapter?: OnnxQkvAdapter): string {
  const pre = `blk${blockIndex}`;
  const windowed = !cfg.encoderGlobalAttnIndexes.includes(blockIndex);
  const ws = windowed ? cfg.windowSize : g;
  const layout: EncoderBlockLayout = { grid: g, windowSize: ws, padded: Math.ceil(g / ws) * ws, windowed };
  const y = layers.layerNorm(x, p.norm1, ENCODER_LN_EPS, `${pre}_norm1`);
  const x1 = layers.add(x, encoderAttention(layers, y, p.attn, cfg, layout, blockIndex, adapter));
  const h = layers.linear(layers.gelu(layers.linear(layers.layerNorm(x1, p.norm2, ENCODER_LN_EPS, `${pre}_norm2`), p.mlp.lin1, `${pre}_lin1`)), p.mlp.lin2, `${pre}_lin2`);
  return layers.add(x1, h);
}

/**
 * The image encoder on `image` (B,3,S,S) → (B,C,g,g). `w` must be adapted to S (pos_embed g×g).
 */
export function buildImageEncoder(layers: OnnxLayers, image: string, w: ImageEncoderWeights, cfg: SamConfig, s: number, adapter?: OnnxQkvAdapter): string {
  const g = gridSize(cfg, s);
  if (w.posEmbed.shape[1] !== g) throw new Error(`image encoder export: pos_embed is for a ${w.posEmbed.shape[1]}×${w.posEmbed.shape[1]} grid, the input size ${s} needs ${g}×${g}`);
  const patches = layers.conv(image, w.patchEmbed, { stride: cfg.patchSize, prefix: 'patch_embed' });
  let x = layers.add(layers.transpose(patches, [0, 2, 3, 1]), layers.tensor('pos_embed', w.posEmbed));
  w.blocks.forEach((blk, i) => {
    layers.encoderBlockBoundary(i, 'start', x);
    x = encoderBlock(layers, x, blk, cfg, g, i, adapter);
    layers.encoderBlockBoundary(i, 'end', x);
  });
  const n = w.neck;
  const c1 = layers.matMul(x, layers.tensorAs('neck0_w', n.conv1.weight, [cfg.encoderEmbedDim, cfg.promptEmbedDim]));
  const ln1 = layers.transpose(layers.layerNorm(c1, n.ln1, LN2D_EPS, 'neck1'), [0, 3, 1, 2]);
  const c2 = layers.conv(ln1, n.conv2, { pad: 1, prefix: 'neck2' });
  return layers.layerNorm2dNchw(c2, n.ln2, LN2D_EPS, 'neck3');
}

/** The dense positional encoding of the g×g grid, (1, g·g, C), computed once as a constant. */
export function densePeTokens(peGaussian: tf.Tensor2D, g: number): Float32Array {
  const gm = values(peGaussian);
  const half = peGaussian.shape[1];
  const out = new Float32Array(g * g * 2 * half);
  for (let y = 0; y < g; y++) {
    for (let x = 0; x < g; x++) {
      const cx = 2 * Math.fround((x + 0.5) / g) - 1;
      const cy = 2 * Math.fround((y + 0.5) / g) - 1;
      const o = (y * g + x) * 2 * half;
      for (let j = 0; j < half; j++) {
        const a = 2 * Math.PI * Math.fround(cx * gm[j]! + cy * gm[half + j]!);
        out[o + j] = Math.sin(a);
        out[o + half + j] = Math.cos(a);
      }
    }
  }
  return out;
}

/** Multi-head attention of the two-way transformer on (B, N, C) tokens. */
export function decoderAttention(layers: OnnxLayers, q: string, k: string, v: string, p: AttentionWeights, numHeads: number, prefix: string): string {
  const internal = p.qProj.weight.shape[1]!;
  const hd = internal / numHeads;
  const heads = (t: string) => layers.reshape(t, [0, 0, numHeads, hd]);
  const qh = layers.transpose(heads(layers.linear(q, p.qProj, `${prefix}_q`)), [0, 2, 1, 3]);
  const kh = layers.transpose(heads(layers.linear(k, p.kProj, `${prefix}_k`)), [0, 2, 3, 1]);
  const vh = layers.transpose(heads(layers.linear(v, p.vProj, `${prefix}_v`)), [0, 2, 1, 3]);
  const attn = layers.b.op('Softmax', [layers.b.op('Div', [layers.matMul(qh, kh), layers.scalar(Math.sqrt(hd))])], { axis: -1 });
  const out = layers.reshape(layers.transpose(layers.matMul(attn, vh), [0, 2, 1, 3]), [0, 0, internal]);
  return layers.linear(out, p.outProj, `${prefix}_out`);
}

/** Two-way transformer: keys (B, g·g, C), keyPe (1, g·g, C), tokens (B, T, C) → [queries, keys]. */
function twoWayTransformer(layers: OnnxLayers, keysIn: string, keyPe: string, tokens: string, p: MaskDecoderWeights['transformer'], numHeads: number): [string, string] {
  let queries = tokens;
  let keys = keysIn;
  p.layers.forEach((l, i) => {
    const pre = `tw${i}`;
    if (i === 0) {
      queries = decoderAttention(layers, queries, queries, queries, l.selfAttn, numHeads, `${pre}_self`);
    } else {
      const q = layers.add(queries, tokens);
      queries = layers.add(queries, decoderAttention(layers, q, q, queries, l.selfAttn, numHeads, `${pre}_self`));
    }
    queries = layers.layerNorm(queries, l.norm1, DECODER_LN_EPS, `${pre}_n1`);
    let q = layers.add(queries, tokens);
    const k = layers.add(keys, keyPe);
    queries = layers.layerNorm(layers.add(queries, decoderAttention(layers, q, k, keys, l.crossAttnTokenToImage, numHeads, `${pre}_t2i`)), l.norm2, DECODER_LN_EPS, `${pre}_n2`);
    const m = layers.linear(layers.relu(layers.linear(queries, l.mlp.lin1, `${pre}_mlp1`)), l.mlp.lin2, `${pre}_mlp2`);
    queries = layers.layerNorm(layers.add(queries, m), l.norm3, DECODER_LN_EPS, `${pre}_n3`);
    q = layers.add(queries, tokens);
    keys = layers.layerNorm(layers.add(keys, decoderAttention(layers, k, q, queries, l.crossAttnImageToToken, numHeads, `${pre}_i2t`)), l.norm4, DECODER_LN_EPS, `${pre}_n4`);
  });
  const q = layers.add(queries, tokens);
  const k = layers.add(keys, keyPe);
  queries = layers.layerNorm(layers.add(queries, decoderAttention(layers, q, k, keys, p.finalAttnTokenToImage, numHeads, 'tw_final')), p.normFinalAttn, DECODER_LN_EPS, 'tw_nf');
  return [queries, keys];
}

export interface DecoderCoreOutput {
  /** (B, M, 4g, 4g) */
  lowRes: string;
  /** (B, C) the IoU token after the transformer. */
  iouToken: string;
}

/**
 * SAM's mask decoder core on ONNX values: src (B, C, g, g) = image embedding + dense prompt,
 * tokens (B, T, C) = output tokens then sparse prompts. Token 0 is the IoU token, 1..M the mask
 * tokens (one hypernetwork MLP each).
 */
export function buildMaskDecoderCore(layers: OnnxLayers, src: string, tokens: string, keyPe: string, p: MaskDecoderWeights, cfg: Pick<SamConfig, 'promptEmbedDim' | 'decoderNumHeads'>, g: number): DecoderCoreOutput {
  const c = cfg.promptEmbedDim;
  const keysIn = layers.transpose(layers.reshape(src, [0, c, g * g]), [0, 2, 1]);
  const [hs, keys] = twoWayTransformer(layers, keysIn, keyPe, tokens, p.transformer, cfg.decoderNumHeads);
  const up = p.outputUpscaling;
  let x = layers.reshape(layers.transpose(keys, [0, 2, 1]), [0, c, g, g]);
  x = layers.gelu(layers.layerNorm2dNchw(layers.convTranspose(x, up.conv1, 2, 'up1'), up.ln, LN2D_EPS, 'up_ln'));
  x = layers.gelu(layers.convTranspose(x, up.conv2, 2, 'up2'));
  const hyper = layers.concat(
    p.outputHypernetworksMlps.map((mlp, i) => layers.unsqueeze(layers.mlp(layers.gather(hs, 1 + i, 1), mlp, `hyper${i}_`), [1])),
    1,
  );
  const m = p.outputHypernetworksMlps.length;
  const lowRes = layers.reshape(layers.matMul(hyper, layers.reshape(x, [0, c / 8, -1])), [0, m, 4 * g, 4 * g]);
  return { lowRes, iouToken: layers.gather(hs, 0, 1) };
}

/** Output tokens (1, T, C) expanded to the batch of `like` (B, …). */
export function expandTokens(layers: OnnxLayers, tokens: string, like: string, t: number, c: number): string {
  const batch = layers.b.op('Shape', [like], { start: 0, end: 1 });
  return layers.b.op('Expand', [tokens, layers.concat([batch, layers.ints([t, c])], 0)]);
}

/** Random-Fourier PE of coordinates already in [0,1]: (…, 2) → (…, C). */
export function peEncoding(layers: OnnxLayers, coords: string, gaussian: string): string {
  const c = layers.sub(layers.mul(coords, layers.scalar(2)), layers.scalar(1));
  const a = layers.mul(layers.matMul(c, gaussian), layers.scalar(2 * Math.PI));
  return layers.concat([layers.b.op('Sin', [a]), layers.b.op('Cos', [a])], -1);
}

/** Sparse prompt embeddings from coords (P,N,2) in the S-frame and float labels (P,N). */
function embedPoints(layers: OnnxLayers, coords: string, labels: string, p: PromptEncoderWeights, s: number): string {
  const norm = layers.b.op('Div', [layers.add(coords, layers.scalar(0.5)), layers.scalar(s)]);
  let pe = peEncoding(layers, norm, layers.tensor('pe_gaussian', p.peGaussian));
  const lab = layers.unsqueeze(labels, [2]);
  const is = (v: number) => layers.b.op('Cast', [layers.b.op('Equal', [lab, layers.scalar(v)])], { to: 1 });
  const notPad = layers.b.op('Cast', [layers.b.op('Not', [layers.b.op('Equal', [lab, layers.scalar(-1)])])], { to: 1 });
  pe = layers.mul(pe, notPad);
  pe = layers.add(pe, layers.mul(is(-1), layers.tensor('not_a_point', p.notAPointEmbed)));
  p.pointEmbeddings.forEach((e, i) => {
    pe = layers.add(pe, layers.mul(is(i), layers.tensor(`point_embed${i}`, e)));
  });
  return pe;
}

/** Dense prompt: mask_input (P,1,4g,4g) through the downscaling convs, or no_mask_embed. */
function embedMask(layers: OnnxLayers, maskInput: string, hasMask: string, p: PromptEncoderWeights, c: number): string {
  const m = p.maskDownscaling;
  let x = layers.gelu(layers.layerNorm2dNchw(layers.conv(maskInput, m.conv1, { stride: 2, prefix: 'mask_down0' }), m.ln1, LN2D_EPS, 'mask_down1'));
  x = layers.gelu(layers.layerNorm2dNchw(layers.conv(x, m.conv2, { stride: 2, prefix: 'mask_down3' }), m.ln2, LN2D_EPS, 'mask_down4'));
  x = layers.conv(x, m.conv3, { prefix: 'mask_down6' });
  const noMask = layers.b.weight('no_mask_embed', values(p.noMaskEmbed), [1, c, 1, 1]);
  const flag = layers.reshape(hasMask, [1, 1, 1, 1]);
  return layers.add(layers.mul(x, flag), layers.mul(noMask, layers.sub(layers.scalar(1), flag)));
}

/**
 * Bilinear (PyTorch align_corners=False) upscaling of low-res logits to S×S, crop of the padding
 * (the resized image's size, from the original size as SAM's ResizeLongestSide rounds it), bilinear
 * to the original size.
 */
function postprocessMasks(layers: OnnxLayers, lowRes: string, origSize: string, s: number): string {
  const resize = (x: string, sizes: string) =>
    layers.b.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const lead = layers.b.op('Shape', [lowRes], { start: 0, end: 2 });
  const full = resize(lowRes, layers.concat([lead, layers.ints([s, s])], 0));
  const scale = layers.b.op('Div', [layers.scalar(s), layers.b.op('ReduceMax', [origSize], { keepdims: 1 })]);
  const prepadded = layers.b.op('Cast', [layers.b.op('Floor', [layers.add(layers.mul(origSize, scale), layers.scalar(0.5))])], { to: 7 });
  const cropped = layers.b.op('Slice', [full, layers.ints([0, 0]), prepadded, layers.ints([2, 3])]);
  const orig = layers.b.op('Cast', [origSize], { to: 7 });
  return resize(cropped, layers.concat([lead, orig], 0));
}

export interface SamExportOptions {
  /** Encoder input side S (multiple of 16); the weights' pos_embed/rel-pos are resized if needed. */
  inputSize?: number;
  /** Graph weights above this many bytes go to `<file>.data` (ONNX's 2 GB protobuf limit). */
  externalDataAboveBytes?: number;
}

export interface SamExportResult {
  encoderPath: string;
  decoderPath: string;
  inputSize: number;
  gridSize: number;
  numMaskTokens: number;
}

/** Builds the encoder graph (adapting the weights to S) and returns its serialised bytes. */
export function buildSamEncoderGraph(weights: SamWeights, cfg: SamConfig, s: number, adapter?: OnnxQkvAdapter): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('sam_image_encoder');
  const layers = new OnnxLayers(b);
  const g = gridSize(cfg, s);
  const { weights: adapted, created } = adaptSamWeights(weights, cfg, s);
  try {
    const image = b.input('image', ['batch', 3, s, s]);
    const enc = adapted.imageEncoder;
    if (isTinyVit(enc) && adapter) throw new Error('the ONNX export of a MobileSAM (TinyViT) encoder takes no ViT adapter');
    const emb = isTinyVit(enc) ? buildTinyVitEncoder(layers, image, enc, cfg.tinyVit!, s) : buildImageEncoder(layers, image, enc, cfg, s, adapter);
    b.op('Identity', [emb], {}, 'image_embeddings');
    b.output('image_embeddings', ['batch', cfg.promptEmbedDim, g, g]);
  } finally {
    tf.dispose(created);
  }
  return b;
}

/** Builds the prompt-encoder + mask-decoder graph for an encoder input side S. */
export function buildSamDecoderGraph(weights: SamWeights, cfg: SamConfig, s: number): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('sam_prompt_mask_decoder');
  const layers = new OnnxLayers(b);
  const g = gridSize(cfg, s);
  const c = cfg.promptEmbedDim;
  const pe = weights.promptEncoder;
  const md = weights.maskDecoder;
  const m = md.maskTokens.shape[0]!;
  const emb = b.input('image_embeddings', [1, c, g, g]);
  const coords = b.input('point_coords', ['prompts', 'points', 2]);
  const labels = b.input('point_labels', ['prompts', 'points']);
  const maskInput = b.input('mask_input', ['prompts', 1, 4 * g, 4 * g]);
  const hasMask = b.input('has_mask_input', [1]);
  const origSize = b.input('orig_im_size', [2]);
  const sparse = embedPoints(layers, coords, labels, pe, s);
  const dense = embedMask(layers, maskInput, hasMask, pe, c);
  const outTokens = layers.b.weight('output_tokens', new Float32Array([...values(md.iouToken), ...values(md.maskTokens)]), [1, 1 + m, c]);
  const tokens = layers.concat([expandTokens(layers, outTokens, coords, 1 + m, c), sparse], 1);
  const keyPe = b.weight('dense_pe', densePeTokens(pe.peGaussian, g), [1, g * g, c]);
  const core = buildMaskDecoderCore(layers, layers.add(emb, dense), tokens, keyPe, md, cfg, g);
  b.op('Identity', [core.lowRes], {}, 'low_res_masks');
  b.op('Identity', [layers.mlp(core.iouToken, md.iouPredictionHead, 'iou_head')], {}, 'iou_predictions');
  b.op('Identity', [postprocessMasks(layers, core.lowRes, origSize, s)], {}, 'masks');
  b.output('masks', ['prompts', m, 'height', 'width']);
  b.output('iou_predictions', ['prompts', m]);
  b.output('low_res_masks', ['prompts', m, 4 * g, 4 * g]);
  return b;
}

/** Writes `<dir>/encoder.onnx` and `<dir>/decoder.onnx` for SAM at input side S. */
export function exportSam(weights: SamWeights, cfg: SamConfig, dir: string, opts: SamExportOptions = {}): SamExportResult {
  const s = opts.inputSize ?? cfg.imgSize;
  const g = gridSize(cfg, s);
  mkdirSync(dir, { recursive: true });
  const encoderPath = `${dir}/encoder.onnx`;
  const decoderPath = `${dir}/decoder.onnx`;
  writeModel(buildSamEncoderGraph(weights, cfg, s), encoderPath, opts.externalDataAboveBytes);
  writeModel(buildSamDecoderGraph(weights, cfg, s), decoderPath, opts.externalDataAboveBytes);
  return { encoderPath, decoderPath, inputSize: s, gridSize: g, numMaskTokens: weights.maskDecoder.maskTokens.shape[0]! };
}

/** Serialises a graph to `path` (external data beside it when large). */
export function writeModel(b: OnnxGraphBuilder, path: string, externalDataAboveBytes?: number, metadata?: Record<string, string>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, b.serialize({ path, externalDataAboveBytes, metadata }));
}
