// Bookkeeping of cached image embeddings: which file holds an image's embedding under which
// encoder weights. The tensor files themselves live under runs/ or a cache folder.
import { now, type StoreContext } from './storeContext.js';
import type { EmbeddingRecord } from './storeTypes.js';

export function putEmbedding(s: StoreContext, e: { imageId: number; modelKey: string; path: string }): EmbeddingRecord {
  const t = now();
  s.sql('INSERT OR REPLACE INTO embeddings (image_id, model_key, path, created_at) VALUES (?, ?, ?, ?)').run(e.imageId, e.modelKey, e.path, t);
  return { ...e, createdAt: t };
}

export function getEmbedding(s: StoreContext, imageId: number, modelKey: string): EmbeddingRecord | null {
  const r = s.sql('SELECT * FROM embeddings WHERE image_id = ? AND model_key = ?').get(imageId, modelKey) as { image_id: number; model_key: string; path: string; created_at: string } | undefined;
  return r ? { imageId: r.image_id, modelKey: r.model_key, path: r.path, createdAt: r.created_at } : null;
}

export function deleteEmbeddings(s: StoreContext, modelKey?: string): number {
  return (modelKey === undefined ? s.sql('DELETE FROM embeddings').run() : s.sql('DELETE FROM embeddings WHERE model_key = ?').run(modelKey)).changes;
}
