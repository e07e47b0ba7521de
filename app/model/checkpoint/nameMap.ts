// Official segment-anything state_dict names ↔ Hugging Face `SamModel` names
// (convert_sam_to_hf.py KEYS_TO_MODIFY_MAPPING), and checkpoint validation against a config.
import type { SamConfig } from '../sam/config.js';
import { samTensorSpecs, type TensorSpec } from '../sam/weights.js';

export type NameStyle = 'official' | 'hf';

/** Buffers that official checkpoints may carry and the model does not need. */
const IGNORED = new Set(['pixel_mean', 'pixel_std', 'image_encoder.pixel_mean', 'image_encoder.pixel_std']);
/** HF writes the PE matrix twice; this second copy is accepted and not required. */
const HF_PE_ALIAS = 'shared_image_embedding.positional_embedding';

/** The HF name of an official tensor name. */
export function officialToHf(name: string): string {
  let n = name;
  // MLPs: layers.0 → proj_in, last → proj_out, middle i → layers.(i−1).
  n = n.replace(/(iou_prediction_head|output_hypernetworks_mlps\.\d+)\.layers\.(\d+)\./, (_m, head: string, i: string) => `${head}.@${i}.`);
  const rules: [string, string][] = [
    ['mask_decoder.output_upscaling.0', 'mask_decoder.upscale_conv1'],
    ['mask_decoder.output_upscaling.1', 'mask_decoder.upscale_layer_norm'],
    ['mask_decoder.output_upscaling.3', 'mask_decoder.upscale_conv2'],
    ['mask_downscaling.0', 'mask_embed.conv1'],
    ['mask_downscaling.1', 'mask_embed.layer_norm1'],
    ['mask_downscaling.3', 'mask_embed.conv2'],
    ['mask_downscaling.4', 'mask_embed.layer_norm2'],
    ['mask_downscaling.6', 'mask_embed.conv3'],
    ['point_embeddings', 'point_embed'],
    ['pe_layer.positional_encoding_gaussian_matrix', 'shared_embedding.positional_embedding'],
    ['image_encoder', 'vision_encoder'],
    ['neck.0', 'neck.conv1'],
    ['neck.1', 'neck.layer_norm1'],
    ['neck.2', 'neck.conv2'],
    ['neck.3', 'neck.layer_norm2'],
    ['patch_embed.proj', 'patch_embed.projection'],
    ['.norm', '.layer_norm'],
    ['blocks', 'layers'],
  ];
  for (const [from, to] of rules) n = n.replace(from, to);
  return n;
}

/** Resolves the `@i` MLP placeholders once the MLP depth is known. */
function resolveMlp(n: string, depthOf: (head: string) => number): string {
  return n.replace(/(iou_prediction_head|output_hypernetworks_mlps\.\d+)\.@(\d+)\./, (_m, head: string, s: string) => {
    const i = Number(s);
    const depth = depthOf(head);
    const part = i === 0 ? 'proj_in' : i === depth - 1 ? 'proj_out' : `layers.${i - 1}`;
    return `${head}.${part}.`;
  });
}

/** HF name → official name for every tensor of `cfg`. */
export function hfNameMap(cfg: SamConfig): Map<string, string> {
  const map = new Map<string, string>();
  const depthOf = (head: string) => (head === 'iou_prediction_head' ? cfg.iouHeadDepth : 3);
  for (const s of samTensorSpecs(cfg)) map.set(resolveMlp(officialToHf(s.name), depthOf), s.name);
  map.set(HF_PE_ALIAS, 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix');
  return map;
}

export function detectNameStyle(names: string[]): NameStyle {
  return names.some((n) => n.startsWith('vision_encoder.') || n.startsWith('shared_image_embedding.')) ? 'hf' : 'official';
}

export interface ValidationReport {
  ok: boolean;
  nameStyle: NameStyle;
  /** Official name → the name in the file. */
  sources: Map<string, string>;
  missing: string[];
  unexpected: string[];
  misShaped: { name: string; expected: number[]; found: number[] }[];
  unsupportedDtype: { name: string; dtype: string }[];
  ignored: string[];
}

/** Checks every tensor of a checkpoint (names + shapes) against the specs of `cfg`. */
export function validateCheckpoint(tensors: { name: string; shape: number[]; dtype: string }[], cfg: SamConfig): ValidationReport {
  const specs = samTensorSpecs(cfg);
  const byName = new Map<string, TensorSpec>(specs.map((s) => [s.name, s]));
  const nameStyle = detectNameStyle(tensors.map((t) => t.name));
  const hf = nameStyle === 'hf' ? hfNameMap(cfg) : undefined;
  const stripped = (n: string) => (n.startsWith('module.') ? n.slice(7) : n);
  const sources = new Map<string, string>();
  const report: ValidationReport = { ok: false, nameStyle, sources, missing: [], unexpected: [], misShaped: [], unsupportedDtype: [], ignored: [] };
  for (const t of tensors) {
    const name = stripped(t.name);
    // BatchNorm's step counter (MobileSAM's Conv2d_BN) is training state, not a weight; TinyViT's
    // ImageNet classification head (norm_head, head) is built but never used by MobileSAM.
    if (IGNORED.has(name) || name.endsWith('.num_batches_tracked') || /^image_encoder\.(norm_head|head)\./.test(name)) {
      report.ignored.push(t.name);
      continue;
    }
    const official = hf ? hf.get(name) : name;
    const spec = official ? byName.get(official) : undefined;
    if (!official || !spec) {
      report.unexpected.push(t.name);
      continue;
    }
    if (sources.has(official)) {
      report.ignored.push(t.name); // the HF duplicate of the PE matrix
      continue;
    }
    sources.set(official, t.name);
    if (t.shape.length !== spec.torchShape.length || t.shape.some((d, i) => d !== spec.torchShape[i])) {
      report.misShaped.push({ name: t.name, expected: spec.torchShape, found: t.shape });
    }
    if (!['float32', 'float16', 'bfloat16', 'float64'].includes(t.dtype)) report.unsupportedDtype.push({ name: t.name, dtype: t.dtype });
  }
  for (const s of specs) if (!sources.has(s.name)) report.missing.push(s.name);
  report.ok = report.missing.length === 0 && report.unexpected.length === 0 && report.misShaped.length === 0 && report.unsupportedDtype.length === 0;
  return report;
}

/** A readable multi-line account of what does not fit. */
export function formatValidation(r: ValidationReport, limit = 20): string {
  const lines: string[] = [];
  const list = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const i of items.slice(0, limit)) lines.push(`  ${i}`);
    if (items.length > limit) lines.push(`  … and ${items.length - limit} more`);
  };
  list('mis-shaped tensors', r.misShaped.map((m) => `${m.name}: expected [${m.expected.join(', ')}], found [${m.found.join(', ')}]`));
  list('missing tensors', r.missing);
  list('unexpected tensors', r.unexpected);
  list('unsupported dtypes', r.unsupportedDtype.map((u) => `${u.name}: ${u.dtype}`));
  return lines.join('\n');
}
