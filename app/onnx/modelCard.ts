// model.json: what an exported model needs beside its ONNX file to be used correctly elsewhere
// (an inspection line, a Triton client): the preprocessing, the class table, where the model came
// from and how well it did on its test split.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TensorSignature } from './onnxSignature.js';
import { WINDOW_FLOOR, type TilingSpec } from '../engine/tiling.js';

export const MODEL_CARD_FORMAT = 'pasam-onnx-model';
export const MODEL_CARD_VERSION = 1;

export interface ClassEntry {
  /** Value in the label map (0 = background). */
  index: number;
  name: string;
  /** '#rrggbb' */
  color: string;
}

export interface Preprocessing {
  /** Fixed square input side S. */
  inputSize: number;
  layout: 'NCHW';
  channelOrder: 'RGB';
  /** How the image reaches S×S. */
  resize: { longestSideTo: number; interpolation: 'bilinear'; keepAspectRatio: true };
  /** (pixel − mean) / std per channel, on the 0–255 scale. */
  normalize: { mean: [number, number, number]; std: [number, number, number]; scale: '0-255' };
  /** Zero padding bottom/right after normalisation, to S×S. */
  padding: { to: [number, number]; value: 0; where: 'bottom-right'; after: 'normalize' };
}

/**
 * Tiled inference, when the model was trained on crops: what a client must do instead of
 * resizing the whole image to S (pasam segment and Predict do exactly this, app/engine/tiling.ts).
 */
export interface TilingCard extends TilingSpec {
  /** Plain-words recipe, for a client written elsewhere. */
  procedure: string;
  /** The 1-D blend window, applied separably (x and y). */
  window: { kind: 'raised-cosine-edges'; rampPixels: number; floor: number };
}

export function tilingCard(spec: TilingSpec): TilingCard {
  return {
    ...spec,
    window: { kind: 'raised-cosine-edges', rampPixels: spec.overlap, floor: WINDOW_FLOOR },
    procedure:
      `Resize the image by scale ${spec.scale} (bilinear; if its longest side would then be under ${spec.tile}, resize the longest side to ${spec.tile} instead). ` +
      `Lay ${spec.tile}×${spec.tile} tiles with ${spec.overlap} px overlap (per axis: n = ceil((L − tile)/(tile − overlap)) + 1 tiles, starts round(i·(L − tile)/(n − 1)); one tile at 0 when L ≤ tile). ` +
      'Each tile is one model input, preprocessed as `preprocessing` says (a tile narrower than the input is padded bottom/right). ' +
      "Post-process each tile's logits as `postprocessing` says up to the tile's region of the ORIGINAL image (region edges round(start·W/Ws)), take softmax, " +
      `multiply by the separable window w(d) = floor + (1 − floor)·sin²(π/2·min(1, d/ramp)) (d = distance in pixels from the region edge + 0.5, ramp = overlap scaled to the original, floor ${WINDOW_FLOOR}), ` +
      'sum over tiles, and take the argmax per pixel.',
  };
}

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  formatVersion: number;
  /** 'pasam' (semantic segmentation) or 'sam' (interactive, two graphs). */
  kind: 'pasam' | 'sam';
  name: string;
  /** ONNX files relative to the card, by role ('model', or 'encoder' + 'decoder'). */
  files: Record<string, string>;
  signatures: Record<string, { inputs: TensorSignature[]; outputs: TensorSignature[] }>;
  preprocessing: Preprocessing;
  /** Present when the model is applied tile by tile (see TilingCard). */
  tiling?: TilingCard;
  /** How to read the outputs. */
  postprocessing: string;
  classes: ClassEntry[];
  source: {
    backbone: string;
    run?: string;
    dataVersion?: string | number;
    project?: string;
    checkpoint?: string;
    config?: unknown;
  };
  /** Test metrics of the run (e.g. mIoU, mDice, per-class IoU). */
  metrics?: Record<string, unknown>;
  onnx: { opset: number; irVersion: number; producer: string };
  exportedAt: string;
}

export function samPreprocessing(s: number, mean: readonly number[], std: readonly number[]): Preprocessing {
  return {
    inputSize: s,
    layout: 'NCHW',
    channelOrder: 'RGB',
    resize: { longestSideTo: s, interpolation: 'bilinear', keepAspectRatio: true },
    normalize: { mean: [mean[0]!, mean[1]!, mean[2]!], std: [std[0]!, std[1]!, std[2]!], scale: '0-255' },
    padding: { to: [s, s], value: 0, where: 'bottom-right', after: 'normalize' },
  };
}

export function writeModelCard(dir: string, card: ModelCard): string {
  const path = join(dir, 'model.json');
  writeFileSync(path, `${JSON.stringify(card, null, 2)}\n`);
  return path;
}

/** Reads and checks a model.json; errors name the file and the problem. */
export function readModelCard(path: string): ModelCard {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read model card (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let card: ModelCard;
  try {
    card = JSON.parse(text) as ModelCard;
  } catch (err) {
    throw new Error(`${path}: model card is not valid JSON (${(err as Error).message})`);
  }
  const problems: string[] = [];
  if (card?.format !== MODEL_CARD_FORMAT) problems.push(`'format' must be '${MODEL_CARD_FORMAT}'`);
  if (typeof card?.formatVersion !== 'number' || card.formatVersion > MODEL_CARD_VERSION) problems.push(`'formatVersion' ${JSON.stringify(card?.formatVersion)} is not supported (up to ${MODEL_CARD_VERSION})`);
  if (card?.kind !== 'pasam' && card?.kind !== 'sam') problems.push(`'kind' must be 'pasam' or 'sam'`);
  if (!card?.files || typeof card.files !== 'object' || Object.keys(card.files).length === 0) problems.push(`'files' must name the ONNX files`);
  if (!Number.isInteger(card?.preprocessing?.inputSize)) problems.push(`'preprocessing.inputSize' must be an integer`);
  if (!Array.isArray(card?.classes)) problems.push(`'classes' must be a list`);
  if (problems.length) throw new Error(`${path}: ${problems.join('; ')}`);
  return card;
}
