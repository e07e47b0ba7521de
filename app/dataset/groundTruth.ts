// Which mask version of an image counts as ground truth for training and evaluation.
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord, MaskVersion, Split } from '../store/storeTypes.js';

/**
 * The latest mask version, except that a model's prediction nobody has reviewed is no ground
 * truth: then the latest human or imported version before it counts, or none. This keeps the
 * label → train → pre-annotate loop from training on (or scoring against) its own unchecked output.
 */
export function groundTruthMask(store: ProjectStore, image: ImageRecord): MaskVersion | null {
  const latest = store.latestMask(image.id);
  if (!latest || latest.source !== 'model' || image.status === 'reviewed') return latest;
  return store.maskHistory(image.id).filter((v) => v.source !== 'model').at(-1) ?? null;
}

/** Ground-truth mask version ids of a split's images, in the store's image order. */
export function groundTruthIds(store: ProjectStore, split: Split): number[] {
  const ids: number[] = [];
  for (const image of store.listImages({ split, hasMask: true })) {
    const v = groundTruthMask(store, image);
    if (v) ids.push(v.id);
  }
  return ids;
}
