// MSPCA-LoRA as trainable ONNX subgraphs on the encoder's qkv / proj outputs: unlike the inference
// export, nothing is merged — A, B, the per-scale kernels, the concat aggregation and the channel
// mix are graph inputs, and the one fused kernel the tfjs model convolves with is built in the
// graph from them (the same placement products as mspcaLora.ts), so its gradient reaches each.
import { fusedKernelSize, placement, type LoraBranchParams, type MspcaParams } from '../../model/pasam/mspcaLora.js';
import { mspcaScales, partialChannels, type MspcaLoraConfig } from '../../model/pasam/pasamConfig.js';
import type { PasamModel } from '../../model/pasam/pasamModel.js';
import { values, type OnnxLayers } from '../onnxLayers.js';
import { partsOf, spatialTermOnPadded, targetColumn, type Target } from '../pasamExport.js';
import { joinLowRank, padToLayout, type AdaptedLinear, type EncoderBlockLayout, type LowRankDelta, type OnnxQkvAdapter } from '../samExport.js';

/** The fused (cp, cp, E, E) OIHW kernel from the per-scale kernels (k, k, cp, cp) HWIO. */
function fusedKernelGraph(layers: OnnxLayers, p: MspcaParams, cfg: MspcaLoraConfig, prefix: string): string {
  const scales = mspcaScales(cfg);
  const cp = p.kernels[0]!.shape[2];
  const e = fusedKernelSize(cfg);
  const terms = scales.map((s, idx) => {
    const k = s.kernel;
    let w = layers.tensorAs(`${prefix}_k${idx}`, p.kernels[idx]!, [k * k * cp, cp]);
    if (p.aggregate) w = layers.matMul(w, layers.slice(layers.tensor(`${prefix}_agg`, p.aggregate), [idx * cp], [(idx + 1) * cp], [0]));
    let flat = layers.reshape(w, [k * k, cp * cp]);
    if (!(k === e && s.dilation === 1)) {
      const place = placement(e, k, s.dilation);
      try {
        flat = layers.matMul(layers.b.weight(`${prefix}_place${idx}`, values(place), [e * e, k * k]), flat);
      } finally {
        place.dispose();
      }
    }
    return flat;
  });
  const sum = terms.reduce((a, b) => layers.add(a, b));
  return layers.transpose(layers.reshape(sum, [e, e, cp, cp]), [3, 2, 0, 1]);
}

/** MSPCA(Z) on a map z (N, h, w, r): [GELU(conv(Z[:cp])), Z[cp:]], optionally mixed. */
function mspcaGraph(layers: OnnxLayers, z: string, p: MspcaParams, cfg: MspcaLoraConfig, r: number, prefix: string): string {
  const cp = partialChannels(cfg);
  const e = fusedKernelSize(cfg);
  const pad = (e - 1) / 2;
  const zp = cp === r ? z : layers.slice(z, [0], [cp], [3]);
  const w = fusedKernelGraph(layers, p, cfg, prefix);
  const conv = layers.transpose(layers.b.op('Conv', [layers.transpose(zp, [0, 3, 1, 2]), w], { kernel_shape: [e, e], pads: [pad, pad, pad, pad] }), [0, 2, 3, 1]);
  let m = layers.gelu(conv);
  if (cp !== r) m = layers.concat([m, layers.slice(z, [cp], [r], [3])], 3);
  if (p.mix) m = layers.matMul(m, layers.tensor(`${prefix}_mix`, p.mix));
  return m;
}

interface BranchContext {
  target: Target;
  d: number;
  cols: number;
  scale: number;
  layout: EncoderBlockLayout;
  linear: AdaptedLinear;
  prefix: string;
}

/**
 * (α/r)·B(Z + MSPCA(Z)), Z = A·x, as factors on the padded grid: left = (α/r)·(Z + MSPCA(Z))
 * (B, gp, gp, r), right = B placed in its columns (r, cols). x is on the image grid for qkv (zero
 * padding tokens implied) and on the padded grid for proj. The residual Z stays token-wise, as in
 * the tfjs model.
 */
function branchGraph(layers: OnnxLayers, x: string, p: LoraBranchParams, cfg: MspcaLoraConfig, c: BranchContext): LowRankDelta {
  const r = cfg.rank;
  const onImageGrid = c.linear === 'qkv';
  const z0 = layers.matMul(x, layers.tensor(`${c.prefix}_A`, p.a));
  let z = onImageGrid ? padToLayout(layers, z0, c.layout) : z0;
  const mspca = p.mspca;
  if (mspca) z = layers.add(z, spatialTermOnPadded(layers, z0, r, cfg, c.layout, onImageGrid, (m) => mspcaGraph(layers, m, mspca, cfg, r, c.prefix)));
  const out = p.b.shape[1];
  let b = layers.tensor(`${c.prefix}_B`, p.b);
  if (out !== c.cols) {
    const col = targetColumn(c.target, c.d);
    b = layers.b.op('Pad', [b, layers.ints([0, col, 0, c.cols - col - out])], { mode: 'constant' });
  }
  return { left: layers.mul(z, layers.scalar(c.scale)), right: b };
}

/** The trainable MSPCA-LoRA branches of every block as an encoder adapter (no merged weights). */
export function trainingLoraAdapter(model: PasamModel): OnnxQkvAdapter {
  const parts = partsOf(model);
  const cfg = model.config.lora;
  const sam = model.samConfig;
  const d = sam.encoderEmbedDim;
  const branches = (i: number, linear: AdaptedLinear) =>
    (linear === 'proj' ? (['proj'] as const) : (['qkv', 'q', 'v'] as const)).flatMap((t) => (parts.lora[i]![t] ? [{ target: t as Target, p: parts.lora[i]![t]! }] : []));
  return {
    delta(layers, x, i, layout, linear) {
      const cols = linear === 'proj' ? d : 3 * d;
      return joinLowRank(layers, branches(i, linear).map(({ target, p }) => branchGraph(layers, x, p, cfg, { target, d, cols, scale: cfg.alpha / cfg.rank, layout, linear, prefix: `blk${i}_${target}` })));
    },
  };
}
