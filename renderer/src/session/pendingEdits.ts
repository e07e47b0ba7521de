// Mask edits the server has not confirmed yet, kept in the browser's IndexedDB while saving fails
// (server down, or restarted with a new session token), so that neither a reload nor a closed tab
// loses them; they are written once the user is signed in again. Keyed by project and image: only
// the newest unsaved state of an image matters, since every edit saves the whole mask.
import type { MaskSource } from '../../../app/api/apiTypes.js';

export interface PendingEdit {
  projectDir: string;
  imageId: number;
  width: number;
  height: number;
  data: Uint8Array;
  source: MaskSource;
  runId?: number;
  /** Mask version the edit was made on (null: none). */
  baseVersion: number | null;
  at: string;
}

const DB = 'pasam-pending-edits';
const STORE = 'edits';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

const key = (projectDir: string, imageId: number) => `${projectDir}#${imageId}`;
const listeners = new Set<(n: number) => void>();
const known = new Set<string>();
const notify = () => listeners.forEach((l) => l(known.size));

export const pendingEdits = {
  async put(e: PendingEdit): Promise<void> {
    known.add(key(e.projectDir, e.imageId));
    notify();
    await tx('readwrite', (s) => s.put(e, key(e.projectDir, e.imageId)));
  },
  async remove(projectDir: string, imageId: number): Promise<void> {
    known.delete(key(projectDir, imageId));
    notify();
    await tx('readwrite', (s) => s.delete(key(projectDir, imageId)));
  },
  async list(projectDir: string): Promise<PendingEdit[]> {
    const all = await tx('readonly', (s) => s.getAll() as IDBRequest<PendingEdit[]>);
    return all.filter((e) => e.projectDir === projectDir);
  },
  /** Unsaved edits of this page (for blocking navigation while disconnected). */
  get count(): number {
    return known.size;
  },
  onCount(l: (n: number) => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};
