// The one typed API every front end uses (browser over HTTP/WebSocket, Electron over IPC).
// Types only: the renderer, the Electron main process and the app import it without pulling Node code.
import type { ClassDef, ImageRecord, ImageStatus, MaskSource, MaskVersion, PermanentDeleteResult, Split } from '../store/storeTypes.js';
import type { ImportPreview, ImportReport } from '../dataset/importTypes.js';
import type { ExportFormat, ExportSummary } from '../dataset/export/exportTypes.js';
import type { ClassIoU, ImageIoU, PredictionReview } from '../finetune/predictionReview.js';
import { FINETUNE_API_METHODS, type FineTuneApiMethods, type FineTuneEvent } from './fineTuneTypes.js';

export type { ClassDef, ImageRecord, ImageStatus, MaskSource, MaskVersion, PermanentDeleteResult, Split, ImportReport, ImportPreview, ExportFormat, ExportSummary };
export type { ClassIoU, ImageIoU, PredictionReview };

/** A class-index mask (0 = background), row-major width×height. */
export interface LabelMask {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ProjectSummary {
  dir: string;
  name: string;
  classes: ClassDef[];
  imageCount: number;
}

export interface RecentProject {
  dir: string;
  name: string;
  /** ISO time it was last opened; null for projects found in the workspace but never opened. */
  openedAt: string | null;
}

/** One row of the dataset browser: what the grid and the filters need, nothing more. */
export interface ImageRow {
  id: number;
  name: string;
  width: number;
  height: number;
  split: Split;
  status: ImageStatus;
  /** Latest mask version number, 0 if none. */
  maskVersion: number;
  hasPrediction: boolean;
  /** Class indices present in the latest mask. */
  classes: number[];
  /** When it was moved to the Trash (rows listed with filter.trashed only). */
  trashedAt: string | null;
}

export interface ImageFilterParams {
  split?: Split[];
  status?: ImageStatus[];
  classIndex?: number;
  hasPrediction?: boolean;
  nameContains?: string;
  /** true: list the Trash instead of the dataset. */
  trashed?: boolean;
}

export interface SamPoint {
  x: number;
  y: number;
  /** 1 positive, 0 negative. */
  label: 0 | 1;
}

export interface SamStatus {
  available: boolean;
  /** Model name from the model library when available. */
  model: string | null;
  /** Why SAM prompts are unavailable (no model imported, load failure...). */
  reason: string | null;
}

export interface DirEntry {
  name: string;
  path: string;
  isProject: boolean;
}

export interface HostInfo {
  version: string;
  transport: 'http' | 'electron';
  /** The project the server/main process was started on, if any. */
  projectDir: string | null;
  workspaceDir: string | null;
  homeDir: string;
  /** Native dialogs exist (Electron) or the UI must offer its own folder browser (browser). */
  nativeDialogs: boolean;
}

/** Method name → params and result. Binary payloads are Uint8Array; the transports carry them as bytes. */
export interface ApiMethods extends FineTuneApiMethods {
  'host.info': { params: Record<string, never>; result: HostInfo };
  'host.listDir': { params: { path: string }; result: { path: string; parent: string | null; entries: DirEntry[] } };
  'host.pickDirectory': { params: { title?: string }; result: { path: string | null } };
  'projects.recent': { params: Record<string, never>; result: RecentProject[] };
  'projects.create': { params: { dir: string; name: string; classes: { name: string; color: string }[] }; result: ProjectSummary };
  'projects.open': { params: { dir: string }; result: ProjectSummary };
  'projects.current': { params: Record<string, never>; result: ProjectSummary | null };
  'classes.add': { params: { name: string; color: string }; result: ClassDef[] };
  'classes.update': { params: { index: number; name?: string; color?: string }; result: ClassDef[] };
  /** Imports a folder of images; `masks` is an optional folder of class-index masks matched by name. */
  'images.import': { params: { path: string; masks?: string; format?: string }; result: ImportReport };
  'images.list': { params: { filter?: ImageFilterParams }; result: { total: number; items: ImageRow[] } };
  'images.get': { params: { id: number }; result: { image: ImageRecord; latestMask: MaskVersion | null } };
  'images.setSplit': { params: { ids: number[]; split: Split }; result: { updated: number } };
  'images.setStatus': { params: { ids: number[]; status: ImageStatus }; result: { updated: number } };
  /** Moves images to the Trash: out of the grid, counts, splits, training, evaluation and export. */
  'images.trash': { params: { ids: number[] }; result: { trashed: number } };
  'images.restore': { params: { ids: number[] }; result: { restored: number } };
  /** Deletes trashed images for good (all of the Trash without ids); images a run trained on are kept. */
  'images.deletePermanently': { params: { ids?: number[] }; result: PermanentDeleteResult };
  'masks.get': { params: { imageId: number; versionId?: number }; result: { version: MaskVersion | null; mask: LabelMask | null } };
  'masks.versions': { params: { imageId: number }; result: MaskVersion[] };
  /** Writes a new mask version durably before answering. */
  /** `runId`: the training run a model-sourced mask came from (an accepted prediction). */
  'masks.save': { params: { imageId: number; mask: LabelMask; source: MaskSource; note?: string; runId?: number }; result: MaskVersion };
  'sam.status': { params: Record<string, never>; result: SamStatus };
  'sam.setImage': { params: { imageId: number }; result: { ms: number } };
  /** Binary mask (0/1) at image resolution for the prompts. */
  'sam.predict': { params: { imageId: number; points: SamPoint[]; box?: [number, number, number, number] | null }; result: { mask: LabelMask; score: number } };
  /** Pre-annotation from the project's active fine-tuned model (class-index mask): a proposal, nothing is saved. */
  'model.predict': { params: { imageId: number }; result: { mask: LabelMask; model: string; runId: number } };
  /**
   * Ground truth vs run `runId`'s prediction (default: the active model) with the per-image IoU;
   * writes nothing. `prefetch`: images to predict ahead in the background (the next of the list).
   */
  'model.reviewPrediction': { params: { imageId: number; runId?: number; prefetch?: number[] }; result: PredictionReview };
  /** What importing `path` would do (detected layout, counts, skipped and bad files); writes nothing. */
  'dataset.previewImport': { params: DatasetImportParams; result: ImportPreview };
  /** The CLI's `pasam import` (any format, class map, split, masks folder), in one transaction. */
  'dataset.import': { params: DatasetImportParams; result: ImportReport & { notes: string[]; newClasses: { index: number; name: string }[] } };
  /** The CLI's `pasam export`. */
  'dataset.export': { params: { out: string; format: ExportFormat; splits?: Split[] }; result: ExportSummary };
}

export interface DatasetImportParams {
  path: string;
  /** 'auto' (default) or a format name (folder, mask-png, class-folders, labelme, coco, voc, mvtec). */
  format?: string;
  /** Class-index masks folder for the plain folder format. */
  masks?: string;
  /** Split for images whose source gives none. */
  split?: Split;
  /** Source class → project class, e.g. "Crack=scratch,2=inclusion" ('background' drops a class). */
  map?: string;
}

export type ApiMethod = keyof ApiMethods;
export type ApiParams<M extends ApiMethod> = ApiMethods[M]['params'];
export type ApiResult<M extends ApiMethod> = ApiMethods[M]['result'];
export const API_METHODS: readonly ApiMethod[] = [
  'host.info', 'host.listDir', 'host.pickDirectory',
  'projects.recent', 'projects.create', 'projects.open', 'projects.current',
  'classes.add', 'classes.update',
  'images.import', 'images.list', 'images.get', 'images.setSplit', 'images.setStatus', 'images.trash', 'images.restore', 'images.deletePermanently',
  'masks.get', 'masks.versions', 'masks.save',
  'sam.status', 'sam.setImage', 'sam.predict', 'model.predict', 'model.reviewPrediction',
  ...FINETUNE_API_METHODS,
  'dataset.previewImport', 'dataset.import', 'dataset.export',
];

/** Pushed to every client over the WebSocket / IPC. */
export type ApiEvent =
  | { type: 'project.opened'; project: ProjectSummary }
  | { type: 'mask.saved'; imageId: number; version: MaskVersion }
  | { type: 'images.changed'; ids: number[] | null }
  | { type: 'import.progress'; done: number; total: number; file: string }
  | { type: 'training.progress'; runId: number; epoch: number; step: number; totalSteps: number; loss: number | null }
  | { type: 'sam.loading'; done: boolean; message: string }
  /** A native menu item (Electron) asking the page to do what its shortcut does. */
  | { type: 'menu'; command: string }
  | FineTuneEvent;

/** An error with a stable code that crosses the transport intact. */
export interface ApiErrorBody {
  code: 'bad-request' | 'not-found' | 'no-project' | 'unavailable' | 'failed';
  message: string;
}

/** Binary resources the renderer loads by URL (<img>, fetch): image tiles and thumbnails. */
export type BinaryRoute =
  | { kind: 'thumb'; imageId: number }
  | { kind: 'tile'; imageId: number; level: number; x: number; y: number };

export const TILE_SIZE = 1024;
export const THUMB_SIZE = 192;

/** Pyramid levels for an image: level L is downscaled by 2^L; the last level fits in one tile. */
export function tileLevels(width: number, height: number): number {
  let levels = 1;
  while (Math.max(width, height) / 2 ** (levels - 1) > TILE_SIZE) levels++;
  return levels;
}

export function binaryRoutePath(route: BinaryRoute): string {
  if (route.kind === 'thumb') return `/bin/thumb/${route.imageId}`;
  return `/bin/tile/${route.imageId}/${route.level}/${route.x}/${route.y}`;
}

export function parseBinaryRoutePath(path: string): BinaryRoute | null {
  let m = /^\/bin\/thumb\/(\d+)$/.exec(path);
  if (m) return { kind: 'thumb', imageId: Number(m[1]) };
  m = /^\/bin\/tile\/(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(path);
  if (m) return { kind: 'tile', imageId: Number(m[1]), level: Number(m[2]), x: Number(m[3]), y: Number(m[4]) };
  return null;
}
