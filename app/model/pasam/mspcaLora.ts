// MSPCA-LoRA (PA-SAM.md §1.3): a LoRA branch on a frozen linear layer with a multi-scale partial
// convolution in its bottleneck:
//   y = W0·x + b0 + (α/r)·B(Z + MSPCA(Z)),   Z = A·x laid out as a 2-D map,
//   MSPCA(Z) = [GELU(agg_s conv_s(Z[:cp])), Z[cp:]]  (optionally mixed by a 1×1 conv r → r).
// As in FasterNet's PConv the untouched channels pass through MSPCA, so after the residual they
// enter B as 2·Z[cp:] (a fixed scale B absorbs); the convolved ones as Z[:cp] + GELU(…).
// The per-scale convolutions are all linear and 'same'-padded, so their sum (or their concat
// followed by a 1×1 conv) equals ONE conv whose kernel is the per-scale kernels placed, centred
// (and dilated), in the largest footprint. We build that kernel (differentiably) and convolve
// once: exact, and cheaper than one conv per scale.
import { conv2d, gelu, linear, matMul, tf } from '../nn.js';
import { windowPartition, windowUnpartition } from '../sam/imageEncoder.js';
import { mspcaScales, partialChannels, type MspcaLoraConfig } from './pasamConfig.js';
import { kaimingUniform, type ParamFactory } from './params.js';

export interface MspcaParams {
  /** One (k, k, cp, cp) kernel per scale, in `mspcaScales` order. */
  kernels: tf.Tensor4D[];
  /** concat aggregation: 1×1 conv (cp·scales, cp). */
  aggregate?: tf.Tensor2D;
  /** mixChannels: 1×1 conv (r, r). */
  mix?: tf.Tensor2D;
}

export interface LoraBranchParams {
  /** (in, r) — PyTorch's A (r, in) transposed. */
  a: tf.Tensor2D;
  /** (r, out) — PyTorch's B (out, r) transposed; zero at start. */
  b: tf.Tensor2D;
  mspca?: MspcaParams;
}

/** The branches of one encoder block: fused qkv, or separate q and/or v; optionally proj. */
export interface LoraBlockParams {
  qkv?: LoraBranchParams;
  q?: LoraBranchParams;
  v?: LoraBranchParams;
  proj?: LoraBranchParams;
}

/** Where a block's tokens sit: its window side (0 = global attention) and the token grid side. */
export interface BlockLayout {
  windowSize: number;
  grid: number;
}

/** Creates one branch's parameters under `prefix` (e.g. 'encoder.blocks.3.attn.qkv.lora'). */
export function createLoraBranch(make: ParamFactory, prefix: string, inDim: number, outDim: number, cfg: MspcaLoraConfig): LoraBranchParams {
  const r = cfg.rank;
  const p: LoraBranchParams = {
    a: make(`${prefix}.A`, [inDim, r], kaimingUniform(inDim)) as tf.Tensor2D,
    b: make(`${prefix}.B`, [r, outDim], { kind: 'zeros' }) as tf.Tensor2D,
  };
  if (cfg.bottleneck === 'mspca') {
    const cp = partialChannels(cfg);
    const scales = mspcaScales(cfg);
    p.mspca = {
      kernels: scales.map((s) => make(`${prefix}.mspca.${s.label}.weight`, [s.kernel, s.kernel, cp, cp], kaimingUniform(s.kernel * s.kernel * cp)) as tf.Tensor4D),
    };
    if (cfg.aggregation === 'concat') p.mspca.aggregate = make(`${prefix}.mspca.aggregate.weight`, [cp * scales.length, cp], kaimingUniform(cp * scales.length)) as tf.Tensor2D;
    if (cfg.mixChannels) p.mspca.mix = make(`${prefix}.mspca.mix.weight`, [r, r], kaimingUniform(r)) as tf.Tensor2D;
  }
  return p;
}

/** Creates the branches of one block for the configured targets; D = embed dim. */
export function createLoraBlock(make: ParamFactory, blockPrefix: string, dim: number, cfg: MspcaLoraConfig): LoraBlockParams {
  const out: LoraBlockParams = {};
  for (const t of cfg.targets) {
    out[t] = createLoraBranch(make, `${blockPrefix}.attn.${t}.lora`, dim, t === 'qkv' ? 3 * dim : dim, cfg);
  }
  return out;
}

/** (E², k²) 0/1 matrix placing a k×k kernel with dilation d centred in an E×E footprint. */
export function placement(e: number, k: number, d: number): tf.Tensor2D {
  const m = new Float32Array(e * e * k * k);
  const off = (e - 1) / 2 - d * ((k - 1) / 2);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) m[((off + i * d) * e + (off + j * d)) * k * k + i * k + j] = 1;
  }
  return tf.tensor2d(m, [e * e, k * k]);
}

/** Side of the single kernel equivalent to all scales. */
export function fusedKernelSize(cfg: MspcaLoraConfig): number {
  return Math.max(...mspcaScales(cfg).map((s) => s.dilation * (s.kernel - 1) + 1));
}

/** The one (E, E, cp, cp) kernel equal to the configured per-scale convs and their aggregation. */
export function fusedKernel(p: MspcaParams, cfg: MspcaLoraConfig): tf.Tensor4D {
  return tf.tidy(() => {
    const scales = mspcaScales(cfg);
    const cp = p.kernels[0].shape[2];
    const e = fusedKernelSize(cfg);
    const terms = scales.map((s, idx) => {
      const k = s.kernel;
      let w = p.kernels[idx].reshape([k * k * cp, cp]) as tf.Tensor2D;
      if (p.aggregate) w = matMul(w, tf.slice(p.aggregate, [idx * cp, 0], [cp, cp]));
      const flat = w.reshape([k * k, cp * cp]) as tf.Tensor2D;
      return k === e && s.dilation === 1 ? flat : matMul(placement(e, k, s.dilation), flat);
    });
    return (terms.length === 1 ? terms[0] : tf.addN(terms)).reshape([e, e, cp, cp]) as tf.Tensor4D;
  });
}

/** MSPCA(Z) on a spatial map z (N, h, w, r), without the residual. */
export function mspcaTerm(z: tf.Tensor4D, p: MspcaParams, cfg: MspcaLoraConfig): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, r] = z.shape;
    const cp = p.kernels[0].shape[2];
    const zp = cp === r ? z : tf.slice(z, [0, 0, 0, 0], [n, h, w, cp]);
    const conv = gelu(conv2d(zp, fusedKernel(p, cfg)));
    let m = cp === r ? conv : (tf.concat([conv, tf.slice(z, [0, 0, 0, cp], [n, h, w, r - cp])], 3) as tf.Tensor4D);
    if (p.mix) m = linear(m, { weight: p.mix });
    return m;
  });
}

/** Z + MSPCA(Z) on a spatial map z (N, h, w, r). */
export function mspcaResidual(z: tf.Tensor4D, p: MspcaParams, cfg: MspcaLoraConfig): tf.Tensor4D {
  return tf.tidy(() => tf.add(z, mspcaTerm(z, p, cfg)) as tf.Tensor4D);
}

/**
 * Applies `f` to the map the configured spatial mode asks for: the tensor as given (window-local
 * in windowed blocks), or, for 'unwindowed' in a windowed block, the un-windowed grid (window padding
 * cropped, f's output re-padded with zeros: the padding is no part of the image).
 */
function onSpatialMap(z: tf.Tensor4D, layout: BlockLayout, cfg: MspcaLoraConfig, f: (m: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  if (cfg.spatial === 'window' || layout.windowSize === 0) return f(z);
  const ws = layout.windowSize;
  const padded = Math.ceil(layout.grid / ws) * ws;
  return tf.tidy(() => {
    const full = windowUnpartition(z, ws, [padded, padded], [layout.grid, layout.grid]);
    return windowPartition(f(full), ws).windows;
  });
}

/** One branch: (α/r)·B(Z + MSPCA(Z)) with Z = A·x; x (N, h, w, in) → (N, h, w, out). */
export function loraBranchForward(x: tf.Tensor4D, p: LoraBranchParams, cfg: MspcaLoraConfig, layout: BlockLayout): tf.Tensor4D {
  return tf.tidy(() => {
    let z = linear(x, { weight: p.a });
    const mspca = p.mspca;
    // The residual Z stays token-wise: on window padding (zero tokens in SAM's ViT, but the norm's
    // bias in TinyViT, which pads before its norm) the branch is then plain LoRA in every mode.
    if (mspca) z = tf.add(z, onSpatialMap(z, layout, cfg, (m) => mspcaTerm(m, mspca, cfg))) as tf.Tensor4D;
    // The scale is applied on the r channels (cheaper than on the out channels).
    return linear(tf.mul(z, cfg.alpha / cfg.rank), { weight: p.b });
  });
}

/** Whether a block has branches on its qkv linear (as opposed to only on proj). */
export function adaptsQkv(block: LoraBlockParams): boolean {
  return Boolean(block.qkv || block.q || block.v);
}

/** The delta a block's adapters add to its fused qkv output, (N, h, w, 3D). */
export function loraQkvDelta(x: tf.Tensor4D, block: LoraBlockParams, cfg: MspcaLoraConfig, layout: BlockLayout): tf.Tensor4D {
  return tf.tidy(() => {
    if (block.qkv) return loraBranchForward(x, block.qkv, cfg, layout);
    const [n, h, w, d] = x.shape;
    const zeros = () => tf.zeros([n, h, w, d]) as tf.Tensor4D;
    const q = block.q ? loraBranchForward(x, block.q, cfg, layout) : zeros();
    const v = block.v ? loraBranchForward(x, block.v, cfg, layout) : zeros();
    return tf.concat([q, zeros(), v], 3) as tf.Tensor4D;
  });
}

/** The delta the proj branch adds to the attention output, (N, h, w, D). */
export function loraProjDelta(x: tf.Tensor4D, block: LoraBlockParams, cfg: MspcaLoraConfig, layout: BlockLayout): tf.Tensor4D {
  if (!block.proj) throw new Error('loraProjDelta: this block has no proj branch');
  return loraBranchForward(x, block.proj, cfg, layout);
}

/** Parameters of one branch (for reports): A, B and the convs. */
export function loraBranchParamCount(inDim: number, outDim: number, cfg: MspcaLoraConfig): number {
  let n = cfg.rank * (inDim + outDim);
  if (cfg.bottleneck === 'mspca') {
    const cp = partialChannels(cfg);
    const scales = mspcaScales(cfg);
    n += scales.reduce((acc, s) => acc + s.kernel * s.kernel * cp * cp, 0);
    if (cfg.aggregation === 'concat') n += cp * scales.length * cp;
    if (cfg.mixChannels) n += cfg.rank * cfg.rank;
  }
  return n;
}
