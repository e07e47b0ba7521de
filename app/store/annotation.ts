// The annotation rules in one place: what saving a mask does to an image's status, and what
// removing a class does to the masks that use it. Record access is in classes/images/masks.ts.
import { StoreError, type StoreContext } from './storeContext.js';
import { deleteClassIndex, getClass, imagesUsingClass } from './classes.js';
import { getImage } from './images.js';
import { getMaskVersion, latestMasksWithClassFrom, readMask, writeMaskVersion, type MaskSaveOptions } from './masks.js';
import type { ClassDef, ImageStatus, MaskSource, MaskVersion } from './storeTypes.js';

export interface RemoveClassResult {
  removed: ClassDef;
  /** Images whose latest mask got a new version (remapped values or shifted indices). */
  masksRewritten: number;
}

/**
 * The status an image has after a mask save. Only a 'new' image changes: a manual mask marks it
 * 'annotated', and so does a SAM mask the user accepted (saved from the annotator); imports,
 * model predictions and SAM proposals saved by a program leave it 'new'. 'annotated' and
 * 'reviewed' never go back.
 */
export function statusAfterSave(current: ImageStatus, source: MaskSource, acceptedByUser: boolean): ImageStatus {
  if (current !== 'new') return current;
  return source === 'manual' || (source === 'sam' && acceptedByUser) ? 'annotated' : current;
}

function saveMask(s: StoreContext, imageId: number, mask: Uint8Array, opts: MaskSaveOptions, validate: boolean, acceptedByUser: boolean): MaskVersion {
  const image = getImage(s, imageId);
  if (!image) throw new StoreError(`no image with id ${imageId}`);
  const v = writeMaskVersion(s, image, mask, opts, validate);
  const status = statusAfterSave(image.status, opts.source, acceptedByUser);
  if (status !== image.status) s.sql('UPDATE images SET status = ? WHERE id = ?').run(status, imageId);
  return v;
}

/**
 * Saves a new mask version (class-index values 0..K, row-major, the image's size). The PNG is
 * written content-addressed first, then the row; nothing existing is overwritten. A first manual
 * mask marks a 'new' image 'annotated'.
 */
export function addMaskVersion(s: StoreContext, imageId: number, mask: Uint8Array, opts: MaskSaveOptions): MaskVersion {
  return s.transaction(() => saveMask(s, imageId, mask, opts, true, false));
}

/** Saves a mask the user made or accepted in the annotator (an accepted SAM mask annotates too). */
export function saveUserMask(s: StoreContext, imageId: number, mask: Uint8Array, opts: MaskSaveOptions): MaskVersion {
  return s.transaction(() => saveMask(s, imageId, mask, opts, true, true));
}

/** The value table of a class removal: values above `removed` move down one, `removed` becomes `target`. */
export function removalLut(removed: number, target: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v < removed ? v : v === removed ? (target > removed ? target - 1 : target) : v - 1;
  return lut;
}

/**
 * Removes a class. Refuses while latest masks use it, unless `remapTo` names the class (or
 * 'background') its pixels become. Classes above it move down one index so indices stay 1..K;
 * every affected latest mask gets a new version (old versions stay as they were saved).
 */
export function removeClass(s: StoreContext, name: string, opts: { remapTo?: string } = {}): RemoveClassResult {
  return s.transaction(() => {
    const removed = getClass(s, name);
    const users = imagesUsingClass(s, removed.index);
    let target = 0;
    if (opts.remapTo !== undefined && opts.remapTo.trim().toLowerCase() !== 'background') {
      const t = getClass(s, opts.remapTo);
      if (t.index === removed.index) throw new StoreError(`cannot remap class '${removed.name}' onto itself`);
      target = t.index;
    }
    if (users > 0 && opts.remapTo === undefined) {
      throw new StoreError(`class '${removed.name}' is used by the latest mask of ${users} image(s); give a class (or 'background') to remap its pixels to`);
    }
    const lut = removalLut(removed.index, target);
    const affected = latestMasksWithClassFrom(s, removed.index);
    const note = `class '${removed.name}' removed${users > 0 ? `, pixels → ${target === 0 ? 'background' : opts.remapTo}` : ''}`;
    for (const a of affected) {
      const latest = getMaskVersion(s, a.id)!;
      const mask = readMask(s, latest);
      for (let i = 0; i < mask.length; i++) mask[i] = lut[mask[i]!]!;
      saveMask(s, a.imageId, mask, { source: latest.source, runId: latest.runId, note }, false, false);
    }
    deleteClassIndex(s, removed.index);
    return { removed, masksRewritten: affected.length };
  });
}
