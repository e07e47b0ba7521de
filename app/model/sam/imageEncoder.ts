// SAM's ViT image encoder (reference `modeling/image_encoder.py`), NHWC from the patch embedding
// to the neck. Windowed blocks pad to a multiple of the window and attend inside each window; the
// zero padding is projected and attended too, as in the reference.
import { attention, conv2dSame, geluErf, layerNorm, layerNorm2d, linear, patchConv, pointwiseConv, tf } from '../nn.js';
import type { SamConfig } from './config.js';
import { getRelPos, relPosBias } from './relPos.js';
import type { EncoderBlockWeights, ImageEncoderWeights } from './weights.js';

const LN_EPS = 1e-6;
/** Attention score bytes processed at once; more (window·head) batches are split into chunks. */
export const ATTENTION_CHUNK_BYTES = 256 * 1024 * 1024;

/**
 * Optional trainable branch on a block's fused qkv linear (e.g. LoRA). It receives the qkv input
 * laid out spatially — (B·windows, ws, ws, D) in windowed blocks, (B, g, g, D) in global ones —
 * and returns a delta of shape (…, 3·D) that is added to the qkv output.
 */
export type QkvAdapter = (x: tf.Tensor4D, blockIndex: number) => tf.Tensor4D;

export interface ImageEncoderOptions {
  qkvAdapter?: QkvAdapter;
  /** The same for the attention's output projection: receives the proj input (…, D), returns a (…, D) delta. */
  projAdapter?: QkvAdapter;
  /** Called with 'patch_embed' (the patch projection, before pos_embed) and 'block_<i>' outputs; the tensor is disposed after. */
  onTap?: (name: string, t: tf.Tensor) => void;
}

/** Pads (B,H,W,C) to multiples of ws and splits into (B·nH·nW, ws, ws, C) windows. */
export function windowPartition(x: tf.Tensor4D, ws: number): { windows: tf.Tensor4D; padded: [number, number] } {
  const [b, h, w, c] = x.shape;
  const ph = (ws - (h % ws)) % ws;
  const pw = (ws - (w % ws)) % ws;
  const xp = ph || pw ? tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]]) : x;
  const hp = h + ph;
  const wp = w + pw;
  const nh = hp / ws;
  const nw = wp / ws;
  const windows = xp.reshape([b * nh, ws, nw, ws * c]).transpose([0, 2, 1, 3]).reshape([b * nh * nw, ws, ws, c]) as tf.Tensor4D;
  return { windows, padded: [hp, wp] };
}

/** Inverse of windowPartition, cropping the padding: (B·nH·nW, ws, ws, C) → (B, H, W, C). */
export function windowUnpartition(windows: tf.Tensor4D, ws: number, padded: [number, number], hw: [number, number]): tf.Tensor4D {
  const [hp, wp] = padded;
  const [h, w] = hw;
  const c = windows.shape[3];
  const nh = hp / ws;
  const nw = wp / ws;
  const b = windows.shape[0] / (nh * nw);
  const x = windows.reshape([b * nh, nw, ws, ws * c]).transpose([0, 2, 1, 3]).reshape([b, hp, wp, c]) as tf.Tensor4D;
  return hp > h || wp > w ? tf.slice(x, [0, 0, 0, 0], [b, h, w, c]) : x;
}

/**
 * Peak bytes of one attention chunk of the encoder at input side S and batch B: scores, rel-pos
 * bias, their sum and the softmax of `chunk` window·head maps are alive together. Pure, so that the
 * caller (the engine, the SAM session) applies its memory policy before running the model.
 */
export function encoderAttentionPeakBytes(cfg: SamConfig, inputSize: number, batch: number): { bytes: number; what: string } {
  const g = inputSize / cfg.patchSize;
  let worst = { bytes: 0, what: '' };
  for (let i = 0; i < cfg.encoderDepth; i++) {
    const global = cfg.encoderGlobalAttnIndexes.includes(i);
    const side = global ? g : cfg.windowSize;
    const windows = global ? 1 : Math.ceil(g / cfg.windowSize) ** 2;
    const n = side * side;
    const total = batch * windows * cfg.encoderNumHeads;
    const len = Math.min(total, Math.max(1, Math.floor(ATTENTION_CHUNK_BYTES / (n * n * 4))));
    const bytes = 4 * len * n * n * 4;
    if (bytes > worst.bytes) worst = { bytes, what: `attention of block ${i} (${len} of ${total} window·head maps of ${n}×${n})` };
  }
  return worst;
}

/** Multi-head attention with decomposed rel-pos on (B, H, W, D) tokens. */
export function encoderAttention(x: tf.Tensor4D, p: EncoderBlockWeights['attn'], numHeads: number, blockIndex: number, adapter?: QkvAdapter, projAdapter?: QkvAdapter): tf.Tensor4D {
  const [b, h, w, d] = x.shape;
  const hd = d / numHeads;
  const n = h * w;
  let qkv = linear(x, p.qkv);
  if (adapter) qkv = tf.add(qkv, adapter(x, blockIndex));
  const heads = (t: tf.Tensor) => t.reshape([b, n, numHeads, hd]).transpose([0, 2, 1, 3]).reshape([b * numHeads, n, hd]) as tf.Tensor3D;
  const [q, k, v] = tf.split(qkv.reshape([b * n, 3 * d]), 3, 1).map(heads);
  const rh = getRelPos(h, h, p.relPosH);
  const rw = getRelPos(w, w, p.relPosW);
  const total = b * numHeads;
  const chunk = Math.max(1, Math.floor(ATTENTION_CHUNK_BYTES / (n * n * 4)));
  const outs: tf.Tensor3D[] = [];
  for (let s = 0; s < total; s += chunk) {
    const len = Math.min(chunk, total - s);
    outs.push(
      tf.tidy(() => {
        const part = (t: tf.Tensor3D) => (len === total ? t : tf.slice(t, [s, 0, 0], [len, n, hd]));
        const qs = part(q);
        const bias = relPosBias(qs.reshape([len, h, w, hd]) as tf.Tensor4D, rh, rw);
        return attention(qs, part(k), part(v), hd ** -0.5, bias);
      }),
    );
  }
  const o = outs.length === 1 ? outs[0] : tf.concat(outs, 0);
  const merged = o.reshape([b, numHeads, n, hd]).transpose([0, 2, 1, 3]).reshape([b, h, w, d]) as tf.Tensor4D;
  const out = linear(merged, p.proj);
  return projAdapter ? tf.add(out, projAdapter(merged, blockIndex)) : out;
}

/** One ViT block. `windowSize` 0 = global attention. */
export function encoderBlock(x: tf.Tensor4D, p: EncoderBlockWeights, numHeads: number, windowSize: number, blockIndex: number, adapter?: QkvAdapter, projAdapter?: QkvAdapter): tf.Tensor4D {
  const [, h, w] = x.shape;
  let y = layerNorm(x, p.norm1, LN_EPS);
  if (windowSize > 0) {
    const { windows, padded } = windowPartition(y, windowSize);
    y = windowUnpartition(encoderAttention(windows, p.attn, numHeads, blockIndex, adapter, projAdapter), windowSize, padded, [h, w]);
  } else {
    y = encoderAttention(y, p.attn, numHeads, blockIndex, adapter, projAdapter);
  }
  const x1 = tf.add(x, y);
  const m = linear(geluErf(linear(layerNorm(x1, p.norm2, LN_EPS), p.mlp.lin1)), p.mlp.lin2);
  return tf.add(x1, m);
}

/** The neck: 1×1 conv → LayerNorm2d → 3×3 conv → LayerNorm2d (NHWC). */
export function encoderNeck(x: tf.Tensor4D, p: ImageEncoderWeights['neck']): tf.Tensor4D {
  return layerNorm2d(conv2dSame(layerNorm2d(pointwiseConv(x, p.conv1), p.ln1), p.conv2), p.ln2);
}

/**
 * Image encoder forward: x (B, S, S, 3) normalised and padded → image embedding (B, S/16, S/16, C).
 * The weights' pos_embed must already match S (see `adaptSamWeights`).
 */
export function imageEncoderForward(x: tf.Tensor4D, w: ImageEncoderWeights, cfg: SamConfig, opts: ImageEncoderOptions = {}): tf.Tensor4D {
  const g = x.shape[1] / cfg.patchSize;
  if (x.shape[1] !== x.shape[2] || !Number.isInteger(g)) throw new Error(`image encoder: input ${x.shape} must be square with a side that is a multiple of ${cfg.patchSize}`);
  if (w.posEmbed.shape[1] !== g) {
    throw new Error(`image encoder: pos_embed is for a ${w.posEmbed.shape[1]}×${w.posEmbed.shape[1]} grid but the input gives ${g}×${g}; adapt the weights to S=${x.shape[1]} first`);
  }
  return tf.tidy(() => {
    const patches = patchConv(x, w.patchEmbed);
    opts.onTap?.('patch_embed', patches);
    let h = tf.add(patches, w.posEmbed) as tf.Tensor4D;
    w.blocks.forEach((blk, i) => {
      const prev = h;
      const ws = cfg.encoderGlobalAttnIndexes.includes(i) ? 0 : cfg.windowSize;
      h = tf.tidy(() => encoderBlock(prev, blk, cfg.encoderNumHeads, ws, i, opts.qkvAdapter, opts.projAdapter));
      opts.onTap?.(`block_${i}`, h);
    });
    return encoderNeck(h, w.neck);
  });
}
