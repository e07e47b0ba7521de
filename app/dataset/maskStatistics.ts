// What the training preset needs to know about a project's masks to choose between resizing whole
// images and tiling them: typical image size, how much of an image the defects cover (median
// defect area fraction over images with a defect) and how small the smallest defects are (a low
// percentile of the connected defect regions' narrow side, so one stray annotated pixel does not
// decide). The statistics are pure over masks; projectMaskStatistics reads a bounded sample.
import type { ProjectStore } from '../store/projectStore.js';
import { groundTruthIds } from './groundTruth.js';

export interface MaskStatistics {
  images: number;
  medianWidth: number;
  medianHeight: number;
  /** Median over images with any defect pixel of (defect pixels / image pixels); null: no defect. */
  medianDefectAreaFraction: number | null;
  /** 10th percentile of min(bbox width, height) over connected defect regions of ≥ 2 pixels (px); null: none. */
  smallestDefectExtent: number | null;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Narrow side of each 4-connected region of same-class defect pixels (flood fill over defect pixels only). */
export function defectExtents(mask: Uint8Array, width: number, height: number): number[] {
  const seen = new Uint8Array(mask.length);
  const out: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    const cls = mask[start]!;
    if (cls === 0 || seen[start]) continue;
    let x0 = width;
    let x1 = -1;
    let y0 = height;
    let y1 = -1;
    let n = 0;
    stack.push(start);
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      n++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      const visit = (q: number): void => {
        if (!seen[q] && mask[q] === cls) (seen[q] = 1), stack.push(q);
      };
      if (x > 0) visit(p - 1);
      if (x < width - 1) visit(p + 1);
      if (y > 0) visit(p - width);
      if (y < height - 1) visit(p + width);
    }
    if (n >= 2) out.push(Math.min(x1 - x0 + 1, y1 - y0 + 1));
  }
  return out;
}

export function maskStatistics(masks: Iterable<{ width: number; height: number; mask: Uint8Array }>): MaskStatistics | null {
  const widths: number[] = [];
  const heights: number[] = [];
  const fractions: number[] = [];
  const extents: number[] = [];
  for (const m of masks) {
    widths.push(m.width);
    heights.push(m.height);
    let defect = 0;
    for (const v of m.mask) if (v !== 0) defect++;
    if (defect > 0) {
      fractions.push(defect / m.mask.length);
      extents.push(...defectExtents(m.mask, m.width, m.height));
    }
  }
  if (widths.length === 0) return null;
  extents.sort((a, b) => a - b);
  return {
    images: widths.length,
    medianWidth: median(widths),
    medianHeight: median(heights),
    medianDefectAreaFraction: fractions.length ? median(fractions) : null,
    smallestDefectExtent: extents.length ? extents[Math.floor(extents.length * 0.1)]! : null,
  };
}

/** Statistics of up to `maxImages` ground-truth masks of the train split (evenly spread), read from the store. */
export function projectMaskStatistics(store: ProjectStore, maxImages = 40): MaskStatistics | null {
  const ids = groundTruthIds(store, 'train');
  const step = Math.max(1, ids.length / maxImages);
  const picked: number[] = [];
  for (let i = 0; i < ids.length && picked.length < maxImages; i += step) picked.push(ids[Math.floor(i)]!);
  return maskStatistics(
    (function* () {
      for (const id of picked) {
        const mv = store.getMaskVersion(id);
        const img = mv ? store.getImage(mv.imageId) : null;
        if (!mv || !img) continue;
        yield { width: img.width, height: img.height, mask: store.readMask(mv) };
      }
    })(),
  );
}
