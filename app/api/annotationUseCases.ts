// The annotation use cases behind the project, class, image and mask handlers: create a project
// with coloured classes, edit a class, list image rows with their latest mask, read a mask
// version, save the user's mask. The rules themselves live in store/annotation.ts.
import { ProjectStore } from '../store/projectStore.js';
import { saveUserMask } from '../store/annotation.js';
import { latestMaskSummaries } from '../store/masks.js';
import type { ClassDef, ImageFilter, ImageRecord, MaskSource, MaskVersion } from '../store/storeTypes.js';
import type { ApiResult, ImageRow } from './apiTypes.js';
import { ApiError } from './apiErrors.js';

/** Creates a project with its classes (and their colours, where given) and closes it again. */
export function createProject(dir: string, name: string, classes: { name: string; color?: string }[]): void {
  const store = ProjectStore.create(dir, { name, classes: classes.map((c) => c.name) });
  try {
    for (const c of classes) if (c.color !== undefined) store.setClassColor(c.name, c.color);
  } finally {
    store.close();
  }
}

/** Renames and/or recolours class `index`, in one transaction. */
export function updateClass(store: ProjectStore, index: number, change: { name?: string; color?: string }): ClassDef[] {
  const current = store.listClasses().find((c) => c.index === index);
  if (!current) throw new ApiError('not-found', `no class with index ${index}`);
  store.transaction(() => {
    if (change.color) store.setClassColor(current.name, change.color);
    if (change.name && change.name !== current.name) store.renameClass(current.name, change.name);
  });
  return store.listClasses();
}

/** The dataset grid's rows: each image with its latest mask version, prediction flag and classes. */
export function imageRows(store: ProjectStore, filter: ImageFilter): ApiResult<'images.list'> {
  const latest = latestMaskSummaries(store);
  const items: ImageRow[] = store.listImages(filter).map((r) => ({
    id: r.id,
    name: r.originalName,
    width: r.width,
    height: r.height,
    split: r.split,
    status: r.status,
    maskVersion: latest.get(r.id)?.version ?? 0,
    hasPrediction: latest.get(r.id)?.predicted ?? false,
    classes: latest.get(r.id)?.classes ?? [],
    trashedAt: r.trashedAt,
  }));
  return { total: items.length, items };
}

/** A mask version of `image` (its latest when `versionId` is not given) with its values. */
export function maskOf(store: ProjectStore, image: ImageRecord, versionId: number | undefined): ApiResult<'masks.get'> {
  const version = versionId === undefined ? store.latestMask(image.id) : store.getMaskVersion(versionId);
  if (versionId !== undefined && (!version || version.imageId !== image.id)) throw new ApiError('not-found', `image ${image.id} has no mask version ${versionId}`);
  if (!version) return { version: null, mask: null };
  return { version, mask: { width: image.width, height: image.height, data: store.readMask(version) } };
}

/**
 * Saves the user's mask of `image`. The store writes the PNG (fsync + rename) and the row (SQLite
 * WAL) before this returns; an accepted SAM mask annotates the image like a manual one.
 */
export function saveMask(store: ProjectStore, image: ImageRecord, mask: { width: number; height: number; data: Uint8Array }, source: MaskSource, note: string | null, runId: number | null = null): MaskVersion {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new ApiError('bad-request', `mask is ${mask.width}×${mask.height} but image ${image.id} (${image.originalName}) is ${image.width}×${image.height}`);
  }
  // A model proposal accepted in the annotator is stored with the run that predicted it.
  if (runId !== null && !store.getRun(runId)) throw new ApiError('bad-request', `no training run with id ${runId}`);
  return saveUserMask(store, image.id, mask.data, { source, note, runId });
}
