// The preset's choice between resizing whole images to S and tiling them at (scaled) native
// resolution, from the project's mask statistics, with the reasons the UI and `pasam train` show.
// Rule: the decoder predicts on a grid of 4-pixel cells, so a defect narrower than about 8 input
// pixels after resizing is at risk of vanishing. Whole-image resize is kept while the smallest
// defects stay ≥ 8 px and defects are not tiny (median area ≥ 1 % of the image); otherwise tiles of
// S at the coarsest scale (1, ½, ¼, ⅛) that keeps the smallest defects ≥ 8 px — unless that scale
// already brings the image down to about one tile, where resizing the whole image is the same.
import type { MaskStatistics } from '../dataset/maskStatistics.js';

export interface TilingChoice {
  mode: 'whole' | 'tiles';
  /** TrainConfig overrides (tileSize, tileOverlap, tileScale, defectCropShare, class imbalance). */
  overrides: Record<string, unknown>;
  reasons: string[];
}

const MIN_DEFECT_PX = 8;
const SMALL_AREA = 0.01;
const IMBALANCED_AREA = 0.05;
const SCALES = [0.125, 0.25, 0.5, 1];

const pct = (f: number): string => `${(100 * f).toFixed(f < 0.01 ? 2 : 1)} %`;

/** force: 'tiles' / 'whole' when the user chose (a flag), else the automatic choice. */
export function chooseTiling(inputSize: number, stats: MaskStatistics | null, force?: 'tiles' | 'whole'): TilingChoice {
  const S = inputSize;
  const reasons: string[] = [];
  const whole = (why: string, imbalanced: boolean): TilingChoice => {
    reasons.push(`whole image resized to S = ${S}: ${why}`);
    return { mode: 'whole', overrides: { tileSize: 0, tileOverlap: 0, tileScale: 1, ...balance(imbalanced, false) }, reasons };
  };
  const balance = (imbalanced: boolean, tiled: boolean): Record<string, unknown> => {
    if (imbalanced) reasons.push('class imbalance: CE weighted by median-frequency class weights (clipped to 0.1–10); focal loss stays off (the ONNX Runtime training engine computes plain CE)');
    if (tiled) reasons.push('Dice averaged over the classes present in each batch (a crop often holds one defect class)');
    return { classWeighting: imbalanced ? 'frequency' : 'none', dicePresentOnly: tiled };
  };
  if (force === 'whole') return whole('asked for (--tiling whole)', false);
  if (!stats) return force === 'tiles' ? tiles(1, 'asked for (--tiling tiles); no annotated masks to measure yet', false) : whole('no annotated masks to measure yet', false);
  const L = Math.max(stats.medianWidth, stats.medianHeight);
  const fWhole = Math.min(1, S / L);
  const area = stats.medianDefectAreaFraction;
  const e = stats.smallestDefectExtent;
  const imbalanced = area !== null && area < IMBALANCED_AREA;
  const areaText = area === null ? 'no defect pixels annotated' : `median defect area ${pct(area)} of an image`;
  const extentText = e === null ? '' : `smallest defects ≈ ${e} px across`;
  const needed = e === null ? fWhole : Math.min(1, MIN_DEFECT_PX / e);
  const scale = SCALES.find((s) => s >= needed) ?? 1;
  if (force === 'tiles') return tiles(Math.max(scale, fWhole), 'asked for (--tiling tiles)', imbalanced);
  if (L <= S * 1.25) return whole(`the images (≈ ${L} px on the long side) fit about one input; ${areaText}`, imbalanced);
  const eWhole = e === null ? Infinity : e * fWhole;
  if (eWhole >= MIN_DEFECT_PX && (area === null || area >= SMALL_AREA)) return whole(`resizing ${L} px to ${S} keeps the ${extentText || 'defects'} at ≥ ${MIN_DEFECT_PX} px (${eWhole.toFixed(1)} px); ${areaText}`, imbalanced);
  if (scale * L <= S * 1.25) return whole(`${extentText}: a scale of ${scale} keeps them ≥ ${MIN_DEFECT_PX} px and already brings the ${L} px image to about one input; ${areaText}`, imbalanced);
  const why = `${extentText ? `${extentText} would shrink to ${eWhole.toFixed(1)} px` : 'the defects would shrink'} if the ${L} px images were resized to ${S} (the decoder sees 4-px cells); ${areaText}`;
  return tiles(scale, why, imbalanced);

  function tiles(sc: number, why: string, imb: boolean): TilingChoice {
    const overlap = Math.round(S / 8);
    const share = imb ? 0.5 : 0.3;
    reasons.push(`tiles of ${S}×${S} at scale ${sc}${sc === 1 ? ' (native resolution)' : ''}, ${overlap} px overlap at inference, ${Math.round(share * 100)} % of training crops centred on defects: ${why}`);
    return { mode: 'tiles', overrides: { tileSize: S, tileOverlap: overlap, tileScale: sc, defectCropShare: share, ...balance(imb, true) }, reasons };
  }
}
