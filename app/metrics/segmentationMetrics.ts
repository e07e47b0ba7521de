// Dataset-level semantic-segmentation metrics (PA-SAM.md §4 "Evaluation metrics", §9): one
// confusion matrix accumulated over every pixel of the test set, then per-class IoU/Dice and
// their means. Policy for classes absent from BOTH ground truth and prediction over the whole
// set (TP + FP + FN = 0): IoU/Dice are undefined, reported as null and left out of the means
// (mmseg reports NaN and uses nanmean, which is the same). A class seen in either is scored,
// so a class only ever predicted (false positives) scores 0.

export class ConfusionMatrix {
  /** counts[gt · K1 + pred], K1 = number of classes incl. background. */
  readonly counts: Float64Array;

  constructor(
    readonly numClasses: number,
    /** Ground-truth value whose pixels are skipped (e.g. 255); undefined = none. */
    readonly ignoreIndex?: number,
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ConfusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds one image (or batch) of class indices; `what` names it in errors. */
  add(pred: ArrayLike<number>, gt: ArrayLike<number>, what = 'image'): void {
    if (pred.length !== gt.length) throw new Error(`${what}: prediction has ${pred.length} pixels, ground truth ${gt.length}`);
    const K = this.numClasses;
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i];
      if (g === this.ignoreIndex) continue;
      const p = pred[i];
      if (!(g >= 0 && g < K && Number.isInteger(g))) throw new Error(`${what}: ground-truth class ${g} at pixel ${i} is outside 0..${K - 1}`);
      if (!(p >= 0 && p < K && Number.isInteger(p))) throw new Error(`${what}: predicted class ${p} at pixel ${i} is outside 0..${K - 1}`);
      this.counts[g * K + p] += 1;
    }
  }

  /** Adds another matrix's counts (e.g. from a worker). */
  merge(other: ConfusionMatrix): void {
    if (other.numClasses !== this.numClasses) throw new Error(`ConfusionMatrix.merge: ${other.numClasses} classes vs ${this.numClasses}`);
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
  }

  at(gt: number, pred: number): number {
    return this.counts[gt * this.numClasses + pred];
  }

  toJSON(): { numClasses: number; counts: number[][] } {
    const K = this.numClasses;
    return { numClasses: K, counts: Array.from({ length: K }, (_, g) => Array.from(this.counts.subarray(g * K, (g + 1) * K))) };
  }
}

export interface ClassScore {
  index: number;
  name: string;
  tp: number;
  fp: number;
  fn: number;
  /** Ground-truth pixels of this class. */
  support: number;
  /** null when the class is absent from both ground truth and prediction. */
  iou: number | null;
  dice: number | null;
}

export interface SegmentationMetrics {
  perClass: ClassScore[];
  /** Mean IoU over all classes incl. background that are scored (headline, mmseg convention). */
  mIoU: number | null;
  mDice: number | null;
  /** The same over defect classes only (index ≥ 1). */
  mIoUDefects: number | null;
  mDiceDefects: number | null;
  /** Correct pixels / all counted pixels. */
  pixelAccuracy: number | null;
  pixels: number;
}

function mean(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** Per-class scores and means from an accumulated matrix. classNames[0] is the background. */
export function computeMetrics(cm: ConfusionMatrix, classNames?: readonly string[]): SegmentationMetrics {
  const K = cm.numClasses;
  if (classNames && classNames.length !== K) throw new Error(`computeMetrics: ${classNames.length} class names for ${K} classes`);
  let correct = 0;
  let total = 0;
  const perClass: ClassScore[] = [];
  for (let c = 0; c < K; c++) {
    let rowSum = 0;
    let colSum = 0;
    for (let o = 0; o < K; o++) {
      rowSum += cm.at(c, o);
      colSum += cm.at(o, c);
    }
    const tp = cm.at(c, c);
    const fn = rowSum - tp;
    const fp = colSum - tp;
    correct += tp;
    total += rowSum;
    const denom = tp + fp + fn;
    perClass.push({
      index: c,
      name: classNames?.[c] ?? (c === 0 ? 'background' : `class ${c}`),
      tp,
      fp,
      fn,
      support: rowSum,
      iou: denom > 0 ? tp / denom : null,
      dice: denom > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
    });
  }
  const defects = perClass.slice(1);
  return {
    perClass,
    mIoU: mean(perClass.map((c) => c.iou)),
    mDice: mean(perClass.map((c) => c.dice)),
    mIoUDefects: mean(defects.map((c) => c.iou)),
    mDiceDefects: mean(defects.map((c) => c.dice)),
    pixelAccuracy: total > 0 ? correct / total : null,
    pixels: total,
  };
}

/** One image's scores (the per-image IoU of the comparison views): its own matrix and metrics. */
export function scoreImage(pred: ArrayLike<number>, gt: ArrayLike<number>, numClasses: number, opts: { what?: string; classNames?: readonly string[] } = {}): { matrix: ConfusionMatrix; metrics: SegmentationMetrics } {
  const matrix = new ConfusionMatrix(numClasses);
  matrix.add(pred, gt, opts.what);
  return { matrix, metrics: computeMetrics(matrix, opts.classNames) };
}
