// MSPCA-LoRA as trainable ONNX subgraphs on the encoder's qkv / proj outputs: unlike the inference
// export, nothing is merged — A, B, the per-scale kernels, the concat aggregation and the channel
// mix are graph inputs, and the one fused kernel the tfjs model convolves with is built in the
// graph from them (the same placement products as mspcaLora.ts), so its gradient reaches each.
// On a MobileSAM backbone the same branches sit on every TinyViT attention block's qkv, whose
// columns are per head (q₀ k₀ v₀ | q₁ …): a q or v branch's B is scattered there by a constant
// 0/1 matrix product, so its gradient is gathered back by the same product.
import { fusedKernelSize, placement, type LoraBranchParams, type MspcaParams } from '../../model/pasam/mspcaLora.js';
import { mspcaScales, partialChannels, type MspcaLoraConfig } from '../../model/pasam/pasamConfig.js';
import type { PasamModel } from '../../model/pasam/pasamModel.js';
import { values, type OnnxLayers } from '../onnxLayers.js';
import { onWindowMaps, partsOf, tinyVitWindowLayout, spatialTermOnPadded, targetColumn, tinyVitPlacement, type Placement, type Target } from '../pasamExport.js';
import { joinLowRank, padToLayout, type AdaptedLinear, type EncoderBlockLayout, type LowRankDelta, type OnnxQkvAdapter } from '../samExport.js';
import type { TinyVitOnnxAdapter } from '../tinyVitExport.js';
import { tinyVitGrids } from '../../model/pasam/pasamModel.js';

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
  /** Scattered columns (TinyViT's per-head q / v); absent: contiguous from targetColumn. */
  place?: Placement;
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
  // The residual Z stays token-wise, as in mspcaLora.ts: on window padding the branch is plain LoRA.
  if (mspca) z = layers.add(z, spatialTermOnPadded(layers, z0, r, cfg, c.layout, onImageGrid, (m) => mspcaGraph(layers, m, mspca, cfg, r, c.prefix)));
  return { left: layers.mul(z, layers.scalar(c.scale)), right: placedB(layers, p, c) };
}

/** B (r, out) placed in its columns of the adapted linear's output (r, cols). */
function placedB(layers: OnnxLayers, p: LoraBranchParams, c: Pick<BranchContext, 'target' | 'd' | 'cols' | 'prefix' | 'place'>): string {
  const out = p.b.shape[1];
  const b = layers.tensor(`${c.prefix}_B`, p.b);
  if (out === c.cols) return b;
  if (c.place) {
    const scatter = new Float32Array(out * c.cols);
    for (let j = 0; j < out; j++) scatter[j * c.cols + c.place(j)] = 1;
    return layers.matMul(b, layers.b.weight(`${c.prefix}_place`, scatter, [out, c.cols]));
  }
  const col = targetColumn(c.target, c.d);
  return layers.b.op('Pad', [b, layers.ints([0, col, 0, c.cols - col - out])], { mode: 'constant' });
}

/**
 * TinyViT: (α/r)·B(Z + MSPCA(Z)), Z = A·x, on window maps x (B·n², ws, ws, C) → (B·n², ws, ws,
 * cols). MSPCA runs per window, or for 'unwindowed' on the block's grid (onWindowMaps).
 */
function windowBranchGraph(layers: OnnxLayers, x: string, p: LoraBranchParams, cfg: MspcaLoraConfig, c: Omit<BranchContext, 'linear'>): string {
  const r = cfg.rank;
  let z = layers.matMul(x, layers.tensor(`${c.prefix}_A`, p.a));
  const mspca = p.mspca;
  if (mspca) z = layers.add(z, onWindowMaps(layers, z, r, cfg, c.layout, (m) => mspcaGraph(layers, m, mspca, cfg, r, c.prefix)));
  return layers.matMul(layers.mul(z, layers.scalar(c.scale)), placedB(layers, p, c));
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

/** The trainable MSPCA-LoRA branches of every TinyViT attention block (MobileSAM) on its qkv. */
export function trainingTinyVitLoraAdapter(model: PasamModel): TinyVitOnnxAdapter {
  const parts = partsOf(model);
  const cfg = model.config.lora;
  const tv = model.samConfig.tinyVit;
  if (!tv) throw new Error('training graph: the model has no TinyViT backbone');
  const grids = tinyVitGrids(tv, model.samConfig.imgSize);
  return {
    qkvDelta(layers, x, i, j, ws) {
      const c = tv.embedDims[i]!;
      const terms = (['qkv', 'q', 'v'] as const).flatMap((target) => {
        const p = parts.tinyVitLora[i]?.[j]?.[target];
        if (!p) return [];
        // TinyViT windows every block (a grid no larger than ws is one zero-padded window).
        const ctx = { target, d: c, cols: 3 * c, scale: cfg.alpha / cfg.rank, layout: tinyVitWindowLayout(grids[i]!, ws), prefix: `l${i}b${j}_${target}` };
        return [windowBranchGraph(layers, x, p, cfg, target === 'qkv' ? ctx : { ...ctx, place: tinyVitPlacement(target, c, tv.numHeads[i]!) })];
      });
      return terms.length ? terms.reduce((a, b) => layers.add(a, b)) : undefined;
    },
    projDelta(layers, x, i, j, ws) {
      const p = parts.tinyVitLora[i]?.[j]?.proj;
      if (!p) return undefined;
      const c = tv.embedDims[i]!;
      return windowBranchGraph(layers, x, p, cfg, { target: 'proj', d: c, cols: c, scale: cfg.alpha / cfg.rank, layout: tinyVitWindowLayout(grids[i]!, ws), prefix: `l${i}b${j}_proj` });
    },
  };
}

