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
  /** Extension of the stored file under images/ ('png' or 'jpg'). */
  ext: string;
  /** Where the image was imported from, if known. */
  sourcePath: string | null;
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
  /** When the image was moved to the Trash (null: in the dataset). */
  trashedAt: string | null;
}

/** A trashed image "Delete permanently" kept: a training run used one of its mask versions. */
export interface KeptImage {
  id: number;
  name: string;
  /** The training runs that used one of its mask versions. */
  runIds: number[];
}

/** What "Delete permanently" did. */
export interface PermanentDeleteResult {
  /** Ids of the images deleted. */
  deleted: number[];
  /** Trashed images kept because a run used them. */
  kept: KeptImage[];
  /** Content files removed (images and masks no other record references). */
  filesRemoved: number;
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

/** Free-form JSON kept in a TEXT column (configs, metrics, results). */
export type JsonObject = Record<string, unknown>;

/** A folder/format import, recorded with its report. */
export interface ImportRecord {
  id: number;
  source: string;
  format: string;
  added: number;
  createdAt: string;
}

export interface ImageFilter {
  split?: Split | Split[];
  status?: ImageStatus | ImageStatus[];
  /** Images whose latest mask contains this class index (1..K). */
  classIndex?: number;
  /** true: images with at least one mask version; false: without any. */
  hasMask?: boolean;
  /** true: images with a model prediction (a mask version with source 'model'). */
  hasPrediction?: boolean;
  /** Case-insensitive substring of the original name. */
  nameContains?: string;
  groupKey?: string;
  importId?: number;
  ids?: number[];
  /** true: only images in the Trash; default false: only images not in the Trash. */
  trashed?: boolean;
  limit?: number;
  offset?: number;
}

export interface ClassCount {
  index: number;
  name: string;
  /** Images whose latest mask contains the class. */
  images: number;
  /** Pixels of the class over all latest masks. */
  pixels: number;
}

export interface ProjectCounts {
  /** Images in the dataset (the Trash excluded, as everywhere below). */
  images: number;
  /** Images in the Trash. */
  trashed: number;
  withMask: number;
  bySplit: Record<Split, number>;
  byStatus: Record<ImageStatus, number>;
  byClass: ClassCount[];
}

export interface BaseModelRecord {
  id: number;
  name: string;
  /** e.g. 'sam-vit-b', 'pa-sam'. */
  kind: string;
  /** Path relative to the project folder (usually under models/), or absolute. */
  path: string;
  sha256: string | null;
  config: JsonObject;
  createdAt: string;
}

export interface TrainingRunRecord {
  id: number;
  name: string;
  baseModelId: number | null;
  status: RunStatus;
  config: JsonObject;
  /** Final/summary metrics. */
  metrics: JsonObject;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunEpochRecord {
  runId: number;
  epoch: number;
  metrics: JsonObject;
  createdAt: string;
}

export interface CheckpointRecord {
  id: number;
  runId: number | null;
  epoch: number | null;
  /** Path relative to the project folder (usually under runs/ or models/). */
  path: string;
  sha256: string | null;
  metrics: JsonObject;
  createdAt: string;
}

export type BatchItemStatus = 'pending' | 'done' | 'failed' | 'skipped';

export interface BatchJobRecord {
  id: number;
  /** e.g. 'segment-folder'. */
  kind: string;
  status: RunStatus;
  checkpointId: number | null;
  source: string | null;
  output: string | null;
  config: JsonObject;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface BatchJobItemRecord {
  id: number;
  jobId: number;
  sourcePath: string;
  imageId: number | null;
  status: BatchItemStatus;
  result: JsonObject | null;
  error: string | null;
  updatedAt: string;
}

/** Bookkeeping of a cached image embedding (the tensor file lives under runs/ or a cache dir). */
export interface EmbeddingRecord {
  imageId: number;
  /** Identifies the encoder weights, e.g. a checkpoint sha256. */
  modelKey: string;
  path: string;
  createdAt: string;
}
