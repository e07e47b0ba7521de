// What every exporter reads: images with their current masks, loaded one at a time.
import type { Split } from '../../store/storeTypes.js';

export interface ExportItem {
  id: number;
  originalName: string;
  split: Split;
  width: number;
  height: number;
  /** Encoded image bytes and the extension they should be written with ('.png', '.jpg', ...). */
  loadImage(): Promise<{ bytes: Buffer; ext: string }>;
  /** Class-index mask (row-major, width×height) or null when the image has none. */
  loadMask(): Promise<Uint8Array | null>;
}

export interface ExportClass {
  index: number;
  name: string;
  /** '#rrggbb' */
  color: string;
}

export type ExportFormat = 'mask-png' | 'color-png' | 'coco' | 'labelme' | 'overlay';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['mask-png', 'color-png', 'coco', 'labelme', 'overlay'];

export interface ExportSummary {
  format: ExportFormat;
  out: string;
  images: number;
  withMasks: number;
  files: number;
  notes: string[];
}
