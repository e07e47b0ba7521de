// Entities of a project (one product line, one folder). Shared by the store, the API and the UI.
export type Split = 'train' | 'val' | 'test' | 'unassigned';
export const SPLITS: readonly Split[] = ['train', 'val', 'test', 'unassigned'];

export type ImageStatus = 'new' | 'annotated' | 'reviewed';
export const IMAGE_STATUSES: readonly ImageStatus[] = ['new', 'annotated', 'reviewed'];

export type MaskSource = 'import' | 'manual' | 'sam' | 'model';

export interface ProjectInfo {
  name: string;
  createdAt: string;
  schemaVersion: number;
}

/** A defect class. Index 0 is always background and is not stored. */
export interface ClassDef {
  index: number;
  name: string;
  /** '#rrggbb' */
  color: string;
}

export interface ImageRecord {
  id: number;
  sha256: string;
  originalName: string;
  width: number;
  height: number;
  split: Split;
  /** A manual split override that automatic splitting must keep. */
  splitLocked: boolean;
  status: ImageStatus;
  /** Images of one group (e.g. photos of one part) always share a split. */
  groupKey: string | null;
  /** What was done to make the image 8-bit RGB/grey (e.g. '16-bit → 8-bit'), or null. */
  conversion: string | null;
  importId: number | null;
  createdAt: string;
}

/** Every save of a mask is a new version; nothing is overwritten. */
export interface MaskVersion {
  id: number;
  imageId: number;
  version: number;
  /** sha256 of the class-index PNG under masks/. */
  sha256: string;
  source: MaskSource;
  runId: number | null;
  note: string | null;
  createdAt: string;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
