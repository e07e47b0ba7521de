// MobileSAM's TinyViT encoder weights: the checkpoint tensors it needs (official
// `image_encoder.*` names of tiny_vit_sam.py), the architecture derived from their shapes, and the
// typed structure with each Conv2d_BN's eval-mode batch norm folded into its convolution.
import { tf } from '../nn.js';
import type { TensorKind, TensorSource, TensorSpec } from './weights.js';
import type { ConvBn, TinyVitConfig, TinyVitWeights } from './tinyVitSam.js';

const IE = 'image_encoder';
/** BatchNorm2d's default eps (the reference never changes it). */
const BN_EPS = 1e-5;

/** True when a checkpoint's tensor names are those of a TinyViT (MobileSAM) image encoder. */
export function hasTinyVitEncoder(names: Iterable<string>): boolean {
  for (const n of names) if (/^(module\.)?image_encoder\.patch_embed\.seq\.0\.c\.weight$/.test(n)) return true;
  return false;
}

/**
 * The TinyViT architecture from a checkpoint's tensor shapes (name → PyTorch shape). Every number
 * comes from the weights: stage widths and depths, heads (attention_biases rows), window sizes
 * (√ of the number of attention offsets), MLP and MBConv ratios, local conv kernel, neck width.
 * Throws a message naming what is missing or inconsistent.
 */
export function tinyVitConfigFromShapes(shapes: Map<string, number[]>, where: string): TinyVitConfig {
  const shape = (n: string): number[] => {
    const s = shapes.get(`${IE}.${n}`);
    if (!s) throw new Error(`${where}: not a MobileSAM (TinyViT) checkpoint: tensor '${IE}.${n}' is missing`);
    return s;
  };
  const count = (prefix: string): number => {
    let n = 0;
    while ([...shapes.keys()].some((k) => k.startsWith(`${IE}.${prefix}.${n}.`))) n++;
    return n;
  };
  const numLayers = count('layers');
  if (numLayers < 2) throw new Error(`${where}: not a MobileSAM (TinyViT) checkpoint: found ${numLayers} encoder layers`);
  const embedDims: number[] = [];
  const depths: number[] = [];
  const numHeads: number[] = [];
  const windowSizes: number[] = [];
  let mlpRatio = 0;
  let mbconvExpandRatio = 0;
  let localConvSize = 0;
  for (let i = 0; i < numLayers; i++) {
    const depth = count(`layers.${i}.blocks`);
    depths.push(depth);
    if (i === 0) {
      const c1 = shape('layers.0.blocks.0.conv1.c.weight');
      embedDims.push(c1[1]);
      mbconvExpandRatio = c1[0] / c1[1];
      numHeads.push(0);
      windowSizes.push(0);
      continue;
    }
    const qkv = shape(`layers.${i}.blocks.0.attn.qkv.weight`);
    const biases = shape(`layers.${i}.blocks.0.attn.attention_biases`);
    const ws = Math.round(Math.sqrt(biases[1]));
    if (ws * ws !== biases[1]) throw new Error(`${where}: layers.${i} attention_biases has ${biases[1]} offsets, not a square window`);
    embedDims.push(qkv[1]);
    numHeads.push(biases[0]);
    windowSizes.push(ws);
    const fc1 = shape(`layers.${i}.blocks.0.mlp.fc1.weight`);
    mlpRatio = fc1[0] / fc1[1];
    localConvSize = shape(`layers.${i}.blocks.0.local_conv.c.weight`)[2];
  }
  const neck = shape('neck.0.weight');
  if (neck[1] !== embedDims[numLayers - 1]) throw new Error(`${where}: the neck takes ${neck[1]} channels but the last stage has ${embedDims[numLayers - 1]}`);
  return { embedDims, depths, numHeads, windowSizes, mlpRatio, mbconvExpandRatio, localConvSize, neckDim: neck[0] };
}

/** The image-encoder tensors of a TinyViT, as PyTorch names and shapes. */
export function tinyVitTensorSpecs(cfg: TinyVitConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const add = (name: string, torchShape: number[], kind: TensorKind = 'plain') => specs.push({ name: `${IE}.${name}`, torchShape, kind });
  const convBn = (p: string, out: number, inPerGroup: number, k: number) => {
    add(`${p}.c.weight`, [out, inPerGroup, k, k], 'conv');
    for (const b of ['weight', 'bias', 'running_mean', 'running_var']) add(`${p}.bn.${b}`, [out]);
  };
  const lin = (p: string, inDim: number, outDim: number) => {
    add(`${p}.weight`, [outDim, inDim], 'linear');
    add(`${p}.bias`, [outDim]);
  };
  const norm = (p: string, d: number) => {
    add(`${p}.weight`, [d]);
    add(`${p}.bias`, [d]);
  };
  const d0 = cfg.embedDims[0];
  convBn('patch_embed.seq.0', d0 / 2, 3, 3);
  convBn('patch_embed.seq.2', d0, d0 / 2, 3);
  cfg.depths.forEach((depth, i) => {
    const d = cfg.embedDims[i];
    for (let j = 0; j < depth; j++) {
      const b = `layers.${i}.blocks.${j}`;
      if (i === 0) {
        const hidden = Math.round(d * cfg.mbconvExpandRatio);
        convBn(`${b}.conv1`, hidden, d, 1);
        convBn(`${b}.conv2`, hidden, 1, 3);
        convBn(`${b}.conv3`, d, hidden, 1);
        continue;
      }
      const ws = cfg.windowSizes[i];
      add(`${b}.attn.attention_biases`, [cfg.numHeads[i], ws * ws]);
      norm(`${b}.attn.norm`, d);
      lin(`${b}.attn.qkv`, d, 3 * d);
      lin(`${b}.attn.proj`, d, d);
      norm(`${b}.mlp.norm`, d);
      lin(`${b}.mlp.fc1`, d, Math.round(d * cfg.mlpRatio));
      lin(`${b}.mlp.fc2`, Math.round(d * cfg.mlpRatio), d);
      convBn(`${b}.local_conv`, d, 1, cfg.localConvSize);
    }
    if (i < cfg.depths.length - 1) {
      const out = cfg.embedDims[i + 1];
      convBn(`layers.${i}.downsample.conv1`, out, d, 1);
      convBn(`layers.${i}.downsample.conv2`, out, 1, 3);
      convBn(`layers.${i}.downsample.conv3`, out, out, 1);
    }
  });
  const last = cfg.embedDims[cfg.embedDims.length - 1];
  add('neck.0.weight', [cfg.neckDim, last, 1, 1], 'conv');
  norm('neck.1', cfg.neckDim);
  add('neck.2.weight', [cfg.neckDim, cfg.neckDim, 3, 3], 'conv');
  norm('neck.3', cfg.neckDim);
  return specs;
}

/**
 * Conv2d_BN.fuse: w·γ/√(var+ε) per output channel and bias β − mean·γ/√(var+ε). The conv weight
 * comes in the TF.js layout [kh, kw, in/groups, out]; a depth-wise one is returned as
 * [kh, kw, C, 1] (tf.depthwiseConv2d's layout, the same memory order).
 */
function foldConvBn(get: TensorSource, p: string): ConvBn {
  return tf.tidy(() => {
    const w = get(`${p}.c.weight`) as tf.Tensor4D;
    const gamma = get(`${p}.bn.weight`);
    const scale = tf.div(gamma, tf.sqrt(tf.add(get(`${p}.bn.running_var`), BN_EPS))) as tf.Tensor1D;
    const bias = tf.sub(get(`${p}.bn.bias`), tf.mul(get(`${p}.bn.running_mean`), scale)) as tf.Tensor1D;
    const [kh, kw, inPerGroup, out] = w.shape;
    let weight = tf.mul(w, scale) as tf.Tensor4D;
    if (inPerGroup === 1 && out > 1) weight = weight.reshape([kh, kw, out, 1]);
    return { weight: tf.keep(weight), bias: tf.keep(bias) };
  });
}

/**
 * The typed structure from tensors named by official names (TF.js layouts). The folded convs are
 * new tensors; the raw Conv2d_BN tensors stay owned by the caller's source.
 */
export function buildTinyVitWeights(cfg: TinyVitConfig, get: TensorSource): TinyVitWeights {
  const t1 = (n: string) => get(`${IE}.${n}`) as tf.Tensor1D;
  const t2 = (n: string) => get(`${IE}.${n}`) as tf.Tensor2D;
  const convBn = (n: string) => foldConvBn(get, `${IE}.${n}`);
  const lin = (n: string) => ({ weight: t2(`${n}.weight`), bias: t1(`${n}.bias`) });
  const norm = (n: string) => ({ weight: t1(`${n}.weight`), bias: t1(`${n}.bias`) });
  return {
    kind: 'tiny_vit',
    patchEmbed: { conv0: convBn('patch_embed.seq.0'), conv2: convBn('patch_embed.seq.2') },
    layers: cfg.depths.map((depth, i) => {
      const blocks = Array.from({ length: depth }, (_, j) => `layers.${i}.blocks.${j}`);
      const down = `layers.${i}.downsample`;
      return {
        mbconv: i === 0 ? blocks.map((b) => ({ conv1: convBn(`${b}.conv1`), conv2: convBn(`${b}.conv2`), conv3: convBn(`${b}.conv3`) })) : [],
        blocks:
          i === 0
            ? []
            : blocks.map((b) => ({
                attn: { norm: norm(`${b}.attn.norm`), qkv: lin(`${b}.attn.qkv`), proj: lin(`${b}.attn.proj`), attentionBiases: t2(`${b}.attn.attention_biases`) },
                mlp: { norm: norm(`${b}.mlp.norm`), fc1: lin(`${b}.mlp.fc1`), fc2: lin(`${b}.mlp.fc2`) },
                localConv: convBn(`${b}.local_conv`),
              })),
        downsample: i < cfg.depths.length - 1 ? { conv1: convBn(`${down}.conv1`), conv2: convBn(`${down}.conv2`), conv3: convBn(`${down}.conv3`) } : null,
      };
    }),
    neck: {
      conv1: { weight: get(`${IE}.neck.0.weight`) as tf.Tensor4D },
      ln1: norm('neck.1'),
      conv2: { weight: get(`${IE}.neck.2.weight`) as tf.Tensor4D },
      ln2: norm('neck.3'),
    },
  };
}

/** The raw Conv2d_BN tensors that buildTinyVitWeights folds (the caller may dispose them after). */
export function foldedSourceNames(cfg: TinyVitConfig): string[] {
  return tinyVitTensorSpecs(cfg)
    .map((s) => s.name)
    .filter((n) => /\.(c\.weight|bn\.(weight|bias|running_mean|running_var))$/.test(n));
}
