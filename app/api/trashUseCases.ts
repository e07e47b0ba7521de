// The Trash of the dataset page: move images there, restore them, delete them for good. Handlers
// here only check parameters; the rules (what a trashed image is out of, what permanent deletion
// keeps) live in the store (images.ts, imageDeletion.ts).
import type { ApiEvent, ApiMethods } from './apiTypes.js';
import { intList } from './paramCheck.js';
import type { ProjectStore } from '../store/projectStore.js';
import { removeThumbnails } from './imageCache.js';

type TrashMethods = Pick<ApiMethods, 'images.trash' | 'images.restore' | 'images.deletePermanently'>;
type Handlers = { [M in keyof TrashMethods]: (p: Record<string, unknown>) => TrashMethods[M]['result'] };

export interface TrashContext {
  requireStore(): ProjectStore;
  emit(e: ApiEvent): void;
  /** The image count of the project summary changed. */
  countsChanged(store: ProjectStore): void;
}

export function trashHandlers(ctx: TrashContext): Handlers {
  const changed = (store: ProjectStore, ids: number[]) => {
    ctx.emit({ type: 'images.changed', ids });
    ctx.countsChanged(store);
  };
  /** Moves the listed images into or out of the Trash; returns how many moved. */
  const move = (p: Record<string, unknown>, how: (store: ProjectStore, ids: number[]) => number): number => {
    const store = ctx.requireStore();
    const ids = intList(p, 'ids');
    const n = how(store, ids);
    changed(store, ids);
    return n;
  };
  return {
    'images.trash': (p) => ({ trashed: move(p, (store, ids) => store.trashImages(ids)) }),
    'images.restore': (p) => ({ restored: move(p, (store, ids) => store.restoreImages(ids)) }),
    'images.deletePermanently': (p) => {
      const store = ctx.requireStore();
      const ids = p.ids === undefined ? store.listImages({ trashed: true }).map((i) => i.id) : intList(p, 'ids');
      const shas = new Map(ids.map((id) => [id, store.getImage(id)?.sha256]));
      const result = store.deleteTrashedImages(ids);
      for (const id of result.deleted) {
        const sha = shas.get(id);
        if (sha) removeThumbnails(store, sha);
      }
      changed(store, result.deleted);
      return result;
    },
  };
}
