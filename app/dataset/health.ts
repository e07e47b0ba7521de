// Dataset health checks over images and their current masks. Pure: callers feed one image at a
// time into analyseImage (so a large project never has every mask in memory) and hand the
// analyses, plus any near-duplicate pairs, to healthReport.
import type { ImageStatus, Split } from '../store/storeTypes.js';

export type HealthCheck =
  | 'size mismatch'
  | 'unknown class value'
  | 'empty mask'
  | 'unannotated'
  | 'tiny speck'
  | 'near-duplicate across splits'
  | 'class imbalance'
  | 'not reviewed'
  | 'unassigned';

export type Severity = 'error' | 'warning' | 'info';

export interface HealthFinding {
  check: HealthCheck;
  severity: Severity;
  message: string;
  imageIds: number[];
}

export interface HealthImage {
  id: number;
  name: string;
  split: Split;
  status: ImageStatus;
  width: number;
  height: number;
}

export interface MaskData {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ImageAnalysis {
  image: HealthImage;
  hasMask: boolean;
  sizeMismatch: string | null;
  /** Pixel count per class index present (0 excluded). */
  classPixels: Map<number, number>;
  unknownValues: number[];
  /** Connected regions smaller than the speck limit, per class. */
  specks: { classIndex: number; pixels: number }[];
}

export interface HealthOptions {
  /** Regions below this many pixels are specks (default 10). */
  speckPixels?: number;
  /** A class whose share of images differs between two splits by more than this factor is flagged (default 3). */
  imbalanceFactor?: number;
  /** A class in fewer images than this is flagged as too rare (default 10). */
  rareClassImages?: number;
}

export const DEFAULT_SPECK_PIXELS = 10;

/** Sizes of 8-connected regions of each non-zero value. */
export function regionSizes(mask: Uint8Array, width: number, height: number): { value: number; pixels: number }[] {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const out: { value: number; pixels: number }[] = [];
  for (let start = 0; start < mask.length; start++) {
    const v = mask[start]!;
    if (!v || seen[start]) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let n = 0;
    while (top) {
      const p = stack[--top]!;
      n++;
      const x = p % width, y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (!seen[q] && mask[q] === v) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    out.push({ value: v, pixels: n });
  }
  return out;
}

export function analyseImage(image: HealthImage, mask: MaskData | null, knownClasses: ReadonlySet<number>, opts: HealthOptions = {}): ImageAnalysis {
  const a: ImageAnalysis = { image, hasMask: mask !== null, sizeMismatch: null, classPixels: new Map(), unknownValues: [], specks: [] };
  if (!mask) return a;
  if (mask.width !== image.width || mask.height !== image.height) {
    a.sizeMismatch = `mask ${mask.width}×${mask.height}, image ${image.width}×${image.height}`;
    return a;
  }
  const hist = new Float64Array(256);
  for (let i = 0; i < mask.data.length; i++) hist[mask.data[i]!]!++;
  for (let v = 1; v < 256; v++) {
    if (!hist[v]) continue;
    if (knownClasses.has(v)) a.classPixels.set(v, hist[v]!);
    else a.unknownValues.push(v);
  }
  const limit = opts.speckPixels ?? DEFAULT_SPECK_PIXELS;
  if (limit > 0) for (const r of regionSizes(mask.data, mask.width, mask.height)) if (r.pixels < limit && knownClasses.has(r.value)) a.specks.push({ classIndex: r.value, pixels: r.pixels });
  return a;
}

export interface SplitClassStats {
  images: number;
  /** Images containing each class, by class index. */
  imagesWithClass: Record<number, number>;
  /** Pixels of each class. */
  pixels: Record<number, number>;
}

export interface HealthReport {
  findings: HealthFinding[];
  perSplit: Record<Split, SplitClassStats>;
  counts: { images: number; errors: number; warnings: number; infos: number };
}

function names(list: ImageAnalysis[], max = 5): string {
  const shown = list.slice(0, max).map((a) => a.image.name);
  return shown.join(', ') + (list.length > max ? ` and ${list.length - max} more` : '');
}

export function healthReport(
  analyses: ImageAnalysis[],
  nearDuplicates: { a: number; b: number; meanDiff: number }[],
  classNames: ReadonlyMap<number, string>,
  opts: HealthOptions = {},
): HealthReport {
  const findings: HealthFinding[] = [];
  const add = (check: HealthCheck, severity: Severity, list: ImageAnalysis[], message: string) => {
    if (list.length) findings.push({ check, severity, message, imageIds: list.map((a) => a.image.id) });
  };
  const byId = new Map(analyses.map((a) => [a.image.id, a]));
  const cname = (c: number) => classNames.get(c) ?? `class ${c}`;

  const mismatched = analyses.filter((a) => a.sizeMismatch);
  add('size mismatch', 'error', mismatched, `${mismatched.length} masks differ in size from their image: ${mismatched.slice(0, 5).map((a) => `${a.image.name} (${a.sizeMismatch})`).join(', ')}`);
  const unknown = analyses.filter((a) => a.unknownValues.length);
  add('unknown class value', 'error', unknown, `${unknown.length} masks hold values no class has: ${unknown.slice(0, 5).map((a) => `${a.image.name} (${a.unknownValues.join(', ')})`).join(', ')}`);
  const empty = analyses.filter((a) => a.hasMask && !a.sizeMismatch && a.classPixels.size === 0 && a.unknownValues.length === 0);
  add('empty mask', 'info', empty, `${empty.length} masks are empty (defect-free images, or annotation missing): ${names(empty)}`);
  const unannotated = analyses.filter((a) => !a.hasMask);
  add('unannotated', 'info', unannotated, `${unannotated.length} images have no mask: ${names(unannotated)}`);
  const speckImages = analyses.filter((a) => a.specks.length);
  if (speckImages.length) {
    const total = speckImages.reduce((s, a) => s + a.specks.length, 0);
    add('tiny speck', 'warning', speckImages, `${total} regions below ${opts.speckPixels ?? DEFAULT_SPECK_PIXELS} pixels in ${speckImages.length} masks (stray clicks?): ${speckImages.slice(0, 5).map((a) => `${a.image.name} (${a.specks.map((s) => `${cname(s.classIndex)} ${s.pixels}px`).slice(0, 3).join(', ')})`).join(', ')}`);
  }
  for (const d of nearDuplicates) {
    const a = byId.get(d.a), b = byId.get(d.b);
    if (!a || !b || a.image.split === b.image.split || a.image.split === 'unassigned' || b.image.split === 'unassigned') continue;
    findings.push({
      check: 'near-duplicate across splits',
      severity: 'warning',
      message: `${a.image.name} (${a.image.split}) and ${b.image.name} (${b.image.split}) are near-duplicates (mean difference ${d.meanDiff.toFixed(2)} grey levels): the ${b.image.split === 'train' ? a.image.split : b.image.split} score is inflated`,
      imageIds: [a.image.id, b.image.id],
    });
  }
  const unreviewed = analyses.filter((a) => a.image.status !== 'reviewed');
  add('not reviewed', 'info', unreviewed, `${unreviewed.length} of ${analyses.length} images were never reviewed`);
  const unassigned = analyses.filter((a) => a.image.split === 'unassigned');
  add('unassigned', 'info', unassigned, `${unassigned.length} images have no split (run pasam split)`);

  const perSplit = {} as Record<Split, SplitClassStats>;
  for (const s of ['train', 'val', 'test', 'unassigned'] as Split[]) perSplit[s] = { images: 0, imagesWithClass: {}, pixels: {} };
  for (const a of analyses) {
    const st = perSplit[a.image.split];
    st.images++;
    for (const [c, px] of a.classPixels) {
      st.imagesWithClass[c] = (st.imagesWithClass[c] ?? 0) + 1;
      st.pixels[c] = (st.pixels[c] ?? 0) + px;
    }
  }
  const factor = opts.imbalanceFactor ?? 3;
  const used = (['train', 'val', 'test'] as Split[]).filter((s) => perSplit[s].images > 0);
  for (const c of [...classNames.keys()].sort((x, y) => x - y)) {
    const shares = used.map((s) => ({ s, share: (perSplit[s].imagesWithClass[c] ?? 0) / perSplit[s].images, n: perSplit[s].imagesWithClass[c] ?? 0 }));
    const present = shares.filter((x) => x.n > 0);
    const total = (['train', 'val', 'test', 'unassigned'] as Split[]).reduce((n, s) => n + (perSplit[s].imagesWithClass[c] ?? 0), 0);
    if (total === 0) {
      if (analyses.some((a) => a.hasMask)) findings.push({ check: 'class imbalance', severity: 'warning', message: `class '${cname(c)}' appears in no mask`, imageIds: [] });
      continue;
    }
    const rare = opts.rareClassImages ?? 10;
    if (total < rare) {
      findings.push({ check: 'class imbalance', severity: 'warning', message: `class '${cname(c)}' is in only ${total} image${total === 1 ? '' : 's'} (fewer than ${rare}): too few to learn or to measure`, imageIds: [] });
    }
    const missing = shares.filter((x) => x.n === 0);
    if (missing.length && used.length > 1) {
      findings.push({ check: 'class imbalance', severity: 'warning', message: `class '${cname(c)}' is missing from ${missing.map((x) => x.s).join(', ')} (present in ${present.map((x) => `${x.s}: ${x.n} images`).join(', ')})`, imageIds: [] });
      continue;
    }
    const max = Math.max(...shares.map((x) => x.share)), min = Math.min(...shares.map((x) => x.share));
    if (used.length > 1 && min > 0 && max / min > factor) {
      findings.push({ check: 'class imbalance', severity: 'warning', message: `class '${cname(c)}' is in ${shares.map((x) => `${(100 * x.share).toFixed(1)} % of ${x.s}`).join(', ')} images (more than ${factor}× apart)`, imageIds: [] });
    }
  }
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return { findings, perSplit, counts: { images: analyses.length, errors: count('error'), warnings: count('warning'), infos: count('info') } };
}
