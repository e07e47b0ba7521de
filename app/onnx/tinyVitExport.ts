// MobileSAM's TinyViT image encoder as an ONNX graph (the same computation as
// app/model/sam/tinyVitSam.ts): NCHW through the convolutional parts, tokens (NHWC) through the
// attention blocks. The attention biases are looked up through OnnxLayers.tableColumns: gathered
// once into constants when frozen, a one-hot product in a training graph that trains them.
import { attentionBiasIdxs, mergingStride, type ConvBn, type TinyVitBlockWeights, type TinyVitConfig, type TinyVitWeights } from '../model/sam/tinyVitSam.js';
import type { OnnxLayers } from './onnxLayers.js';

const LN_EPS = 1e-5;

/**
 * Trainable branches on an attention block's qkv (PA-SAM's MSPCA-LoRA), in ONNX: `mergedQkv` may
 * return a replacement [in, 3C] qkv weight (purely linear parts folded in); `qkvDelta` adds a term
 * (B', ws, ws, 3C) to the qkv output given the normed window tokens laid out as (B', ws, ws, C).
 * Columns are in TinyViT's per-head qkv order.
 */
export interface TinyVitOnnxAdapter {
  mergedQkv?(layer: number, block: number): Float32Array | undefined;
  qkvDelta?(layers: OnnxLayers, x: string, layer: number, block: number, ws: number): string | undefined;
  /** The same on proj: its [C, C] weight, and a (B', ws, ws, C) term given the heads' merged output. */
  mergedProj?(layer: number, block: number): Float32Array | undefined;
  projDelta?(layers: OnnxLayers, x: string, layer: number, block: number, ws: number): string | undefined;
}

/** Where a block sits, for its adapter. */
interface BlockAt {
  layer: number;
  block: number;
  adapter?: TinyVitOnnxAdapter;
}
const LN2D_EPS = 1e-6;

function convBn(layers: OnnxLayers, x: string, p: ConvBn, prefix: string, stride = 1, pad = 0, depthwise = false): string {
  return layers.conv(x, p, { stride, pad, prefix, depthwise });
}

/** (B', N, C) window tokens → (B', N, C): TinyViT Attention with its learned offset biases. */
function attention(layers: OnnxLayers, x: string, p: TinyVitBlockWeights['attn'], heads: number, ws: number, c: number, pre: string, at: BlockAt): string {
  const n = ws * ws;
  const kd = c / heads;
  const normed = layers.layerNorm(x, p.norm, LN_EPS, `${pre}_norm`);
  let qkv = layers.linear(normed, p.qkv, `${pre}_qkv`, at.adapter?.mergedQkv?.(at.layer, at.block));
  const delta = at.adapter?.qkvDelta?.(layers, layers.reshape(normed, [-1, ws, ws, c]), at.layer, at.block, ws);
  if (delta) qkv = layers.add(qkv, layers.reshape(delta, [-1, n, 3 * c]));
  // (B', N, heads, 3·kd) → (B', heads, N, 3·kd), q | k | v per head as the reference's split.
  const perHead = layers.transpose(layers.reshape(qkv, [-1, n, heads, 3 * kd]), [0, 2, 1, 3]);
  const q = layers.slice(perHead, [0], [kd], [3]);
  const k = layers.slice(perHead, [kd], [2 * kd], [3]);
  const v = layers.slice(perHead, [2 * kd], [3 * kd], [3]);
  const biasName = layers.reshape(layers.tableColumns(`${pre}_ab`, p.attentionBiases, attentionBiasIdxs(ws)), [1, heads, n, n]);
  const scores = layers.add(layers.mul(layers.matMul(q, layers.transpose(k, [0, 1, 3, 2])), layers.scalar(kd ** -0.5)), biasName);
  const out = layers.matMul(layers.b.op('Softmax', [scores], { axis: -1 }), v);
  const merged = layers.reshape(layers.transpose(out, [0, 2, 1, 3]), [-1, n, c]);
  const y = layers.linear(merged, p.proj, `${pre}_proj`, at.adapter?.mergedProj?.(at.layer, at.block));
  const projDelta = at.adapter?.projDelta?.(layers, layers.reshape(merged, [-1, ws, ws, c]), at.layer, at.block, ws);
  return projDelta ? layers.add(y, layers.reshape(projDelta, [-1, n, c])) : y;
}

/** One TinyViTBlock on NHWC tokens (B, H, W, C). */
function block(layers: OnnxLayers, x: string, p: TinyVitBlockWeights, h: number, w: number, c: number, heads: number, ws: number, localConvSize: number, pre: string, at: BlockAt): string {
  let a: string;
  if (h === ws && w === ws) {
    a = layers.reshape(attention(layers, layers.reshape(x, [-1, h * w, c]), p.attn, heads, ws, c, pre, at), [-1, h, w, c]);
  } else {
    const padB = (ws - (h % ws)) % ws;
    const padR = (ws - (w % ws)) % ws;
    const padded = padB || padR ? layers.b.op('Pad', [x, layers.ints([0, 0, 0, 0, 0, padB, padR, 0])], { mode: 'constant' }) : x;
    const nh = (h + padB) / ws;
    const nw = (w + padR) / ws;
    const windows = layers.reshape(layers.transpose(layers.reshape(padded, [-1, nh, ws, nw, ws, c]), [0, 1, 3, 2, 4, 5]), [-1, ws * ws, c]);
    const att = attention(layers, windows, p.attn, heads, ws, c, pre, at);
    const back = layers.reshape(layers.transpose(layers.reshape(att, [-1, nh, nw, ws, ws, c]), [0, 1, 3, 2, 4, 5]), [-1, h + padB, w + padR, c]);
    a = padB || padR ? layers.slice(back, [0, 0], [h, w], [1, 2]) : back;
  }
  const y = layers.add(x, a);
  const local = layers.transpose(convBn(layers, layers.transpose(y, [0, 3, 1, 2]), p.localConv, `${pre}_local`, 1, Math.floor(localConvSize / 2), true), [0, 2, 3, 1]);
  const m = layers.linear(layers.gelu(layers.linear(layers.layerNorm(local, p.mlp.norm, LN_EPS, `${pre}_mlpnorm`), p.mlp.fc1, `${pre}_fc1`)), p.mlp.fc2, `${pre}_fc2`);
  return layers.add(local, m);
}

/** TinyViT on `image` (B, 3, S, S) normalised → image embedding (B, C, S/16, S/16). */
export function buildTinyVitEncoder(layers: OnnxLayers, image: string, w: TinyVitWeights, cfg: TinyVitConfig, s: number, adapter?: TinyVitOnnxAdapter): string {
  let x = convBn(layers, layers.gelu(convBn(layers, image, w.patchEmbed.conv0, 'pe0', 2, 1)), w.patchEmbed.conv2, 'pe2', 2, 1);
  let side = s / 4;
  w.layers.forEach((layer, i) => {
    const c = cfg.embedDims[i];
    layer.mbconv.forEach((m, j) => {
      const pre = `l${i}b${j}`;
      let y = layers.gelu(convBn(layers, x, m.conv1, `${pre}_c1`));
      y = layers.gelu(convBn(layers, y, m.conv2, `${pre}_c2`, 1, 1, true));
      x = layers.gelu(layers.add(convBn(layers, y, m.conv3, `${pre}_c3`), x));
    });
    if (layer.blocks.length > 0) {
      let t = layers.transpose(x, [0, 2, 3, 1]);
      layer.blocks.forEach((blk, j) => {
        t = block(layers, t, blk, side, side, c, cfg.numHeads[i], cfg.windowSizes[i], cfg.localConvSize, `l${i}b${j}`, { layer: i, block: j, adapter });
      });
      x = layers.transpose(t, [0, 3, 1, 2]);
    }
    if (layer.downsample) {
      const stride = mergingStride(i, cfg);
      const d = layer.downsample;
      let y = layers.gelu(convBn(layers, x, d.conv1, `l${i}m_c1`));
      y = layers.gelu(convBn(layers, y, d.conv2, `l${i}m_c2`, stride, 1, true));
      x = convBn(layers, y, d.conv3, `l${i}m_c3`);
      side = Math.floor((side + 2 - 3) / stride) + 1;
    }
  });
  const n = w.neck;
  const c1 = layers.layerNorm2dNchw(layers.conv(x, n.conv1, { prefix: 'neck0' }), n.ln1, LN2D_EPS, 'neck1');
  return layers.layerNorm2dNchw(layers.conv(c1, n.conv2, { pad: 1, prefix: 'neck2' }), n.ln2, LN2D_EPS, 'neck3');
}
