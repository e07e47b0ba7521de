// What every import format produces and the store's import pipeline consumes. A format reader
// turns a source layout into candidates (or per-file problems); the pipeline validates them and
// adds them to the project in one transaction.
import type { Split } from '../store/storeTypes.js';

export interface ImportCandidate {
  /** The source file the image came from (for reports and dedup messages). */
  sourcePath: string;
  /** Name kept as the image's original name (usually the file name). */
  originalName: string;
  /** Raw encoded image bytes (png/jpg/bmp/tif/...); decoded and validated by the pipeline. */
  imageBytes: Buffer;
  /** Class-index mask, row-major width×height, values 0..K (0 = background); absent = unannotated. */
  mask?: { width: number; height: number; data: Uint8Array; sourcePath: string };
  split?: Split;
  groupKey?: string;
}

/** 'over limit': a file exceeds an input limit (image pixels, JSON size, polygon points…; see inputLimits.ts). */
export type SkipReason = 'corrupt' | 'unsupported' | 'mask size mismatch' | 'unknown class value' | 'duplicate' | 'invalid annotation' | 'over limit';

export interface ImportProblem {
  file: string;
  reason: SkipReason;
  detail: string;
}

export interface ImportReport {
  format: string;
  /** What `--format auto` detected, if it was used. */
  detected?: string;
  added: number;
  withMasks: number;
  /** Problems that made the whole import fail (strict mode) or files skipped. */
  problems: ImportProblem[];
  /** Conversions applied (e.g. '16-bit → 8-bit') by file. */
  conversions: { file: string; conversion: string }[];
  /** true when a problem made the whole import fail (nothing was added). */
  failed?: boolean;
  /** Files skipped without failing the import (duplicates, unsupported files). */
  skipped?: number;
  /** The project's record of this import, when something was added. */
  importId?: number | null;
  /** Mask files that matched no imported image (reported, not an error). */
  unmatchedMasks?: string[];
}

/** What an import would do (the import dialog's preview; nothing written). */
export interface ImportPreview {
  source: string;
  format: string;
  /** Why auto-detection chose the format (absent when the format was given). */
  detected?: string;
  images: number;
  withMasks: number;
  /** Images per split the source assigns (others get the chosen default split). */
  splits: Record<string, number>;
  /** Classes the masks use: existing project classes, and new ones the import would add. */
  classes: { index: number; name: string; isNew: boolean; images: number }[];
  skipped: ImportProblem[];
  /** Problems that would fail the import (every one listed). */
  bad: ImportProblem[];
  notes: string[];
}
