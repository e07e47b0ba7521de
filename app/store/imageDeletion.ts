// Permanent deletion of images from the Trash: their rows (image, mask versions, class counts,
// embedding bookkeeping) and the content files no remaining row references. Only trashed images
// are deleted (the Trash is the one way out of a project), and an image a training run trained or
// validated on is kept: the run's record of its data (run_mask_versions) must stay whole.
// Files go the way contentRepair.ts removes orphans: after the rows are gone, each file is
// re-checked and removed inside one IMMEDIATE transaction, so a concurrent save of identical
// content (which stores its file and row inside one such transaction) never loses its file.
import { StoreError, type StoreContext } from './storeContext.js';
import type { ContentKind } from './contentStore.js';
import type { PermanentDeleteResult } from './storeTypes.js';

interface ContentRef {
  kind: ContentKind;
  sha256: string;
  ext: string;
}

/** Whether any row references a content file (checked before deleting one). */
export function contentReferenced(s: StoreContext, kind: ContentKind, sha256: string): boolean {
  const sql = kind === 'images' ? 'SELECT 1 FROM images WHERE sha256 = ?' : 'SELECT 1 FROM mask_versions WHERE sha256 = ?';
  return s.sql(sql).get(sha256) !== undefined;
}

/** Deletes the given trashed images for good; ids not in the Trash are refused, nothing is deleted. */
export function deleteTrashedImages(s: StoreContext, ids: number[]): PermanentDeleteResult {
  const kept: PermanentDeleteResult['kept'] = [];
  const deleted: number[] = [];
  const files: ContentRef[] = [];
  s.transaction(() => {
    const images = [...new Set(ids)].map((id) => {
      const img = s.sql('SELECT id, sha256, ext, original_name, trashed_at FROM images WHERE id = ?').get(id) as { id: number; sha256: string; ext: string; original_name: string; trashed_at: string | null } | undefined;
      if (!img) throw new StoreError(`no image with id ${id}`);
      if (img.trashed_at === null) throw new StoreError(`image ${id} (${img.original_name}) is not in the Trash; move it to the Trash first`);
      return img;
    });
    for (const img of images) {
      const id = img.id;
      const runs = (s.sql('SELECT DISTINCT r.run_id AS runId FROM run_mask_versions r JOIN mask_versions m ON m.id = r.mask_version_id WHERE m.image_id = ? ORDER BY r.run_id').all(id) as { runId: number }[]).map((r) => r.runId);
      if (runs.length) {
        kept.push({ id, name: img.original_name, runIds: runs });
        continue;
      }
      const masks = s.sql('SELECT DISTINCT sha256 FROM mask_versions WHERE image_id = ?').all(id) as { sha256: string }[];
      s.sql('DELETE FROM mask_classes WHERE mask_version_id IN (SELECT id FROM mask_versions WHERE image_id = ?)').run(id);
      s.sql('DELETE FROM mask_versions WHERE image_id = ?').run(id);
      s.sql('DELETE FROM embeddings WHERE image_id = ?').run(id);
      // A batch item keeps its source path and result; it only stops pointing at the image.
      s.sql('UPDATE batch_job_items SET image_id = NULL WHERE image_id = ?').run(id);
      s.sql('DELETE FROM images WHERE id = ?').run(id);
      deleted.push(id);
      files.push({ kind: 'images', sha256: img.sha256, ext: img.ext }, ...masks.map((m) => ({ kind: 'masks' as const, sha256: m.sha256, ext: 'png' })));
    }
  });
  let filesRemoved = 0;
  for (const f of files) {
    s.transaction(() => {
      if (contentReferenced(s, f.kind, f.sha256) || !s.content.has(f.kind, f.sha256, f.ext)) return;
      s.content.remove(f.kind, f.sha256, f.ext);
      filesRemoved++;
    });
  }
  return { deleted, kept, filesRemoved };
}
