// Image records: lookup, filtered listing, split / status / group edits, the image files, and the
// per-split / per-status / per-class counts of a project.
import { LATEST_MASKS, now, StoreError, type StoreContext } from './storeContext.js';
import { listClasses } from './classes.js';
import { IMAGE_STATUSES, SPLITS, type ImageFilter, type ImageRecord, type ImageStatus, type ProjectCounts, type Split } from './storeTypes.js';

interface ImageRow {
  id: number;
  sha256: string;
  ext: string;
  original_name: string;
  source_path: string | null;
  width: number;
  height: number;
  split: Split;
  split_locked: number;
  status: ImageStatus;
  group_key: string | null;
  conversion: string | null;
  import_id: number | null;
  created_at: string;
  trashed_at: string | null;
}

const toImage = (r: ImageRow): ImageRecord => ({
  id: r.id,
  sha256: r.sha256,
  ext: r.ext,
  originalName: r.original_name,
  sourcePath: r.source_path,
  width: r.width,
  height: r.height,
  split: r.split,
  splitLocked: r.split_locked !== 0,
  status: r.status,
  groupKey: r.group_key,
  conversion: r.conversion,
  importId: r.import_id,
  createdAt: r.created_at,
  trashedAt: r.trashed_at,
});

export function getImage(s: StoreContext, id: number): ImageRecord | null {
  const r = s.sql('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
  return r ? toImage(r) : null;
}

export function findImageBySha(s: StoreContext, sha256: string): ImageRecord | null {
  const r = s.sql('SELECT * FROM images WHERE sha256 = ?').get(sha256) as ImageRow | undefined;
  return r ? toImage(r) : null;
}

function imageWhere(f: ImageFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  // The Trash is outside the dataset: every listing leaves it out unless it asks for it.
  where.push(f.trashed ? 'i.trashed_at IS NOT NULL' : 'i.trashed_at IS NULL');
  const inList = (col: string, v: string | string[]): void => {
    const vs = Array.isArray(v) ? v : [v];
    where.push(`${col} IN (${vs.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...vs);
  };
  if (f.split !== undefined) inList('i.split', f.split);
  if (f.status !== undefined) inList('i.status', f.status);
  if (f.ids !== undefined) {
    where.push(`i.id IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(f.ids));
  }
  if (f.groupKey !== undefined) {
    where.push('i.group_key = ?');
    params.push(f.groupKey);
  }
  if (f.importId !== undefined) {
    where.push('i.import_id = ?');
    params.push(f.importId);
  }
  if (f.nameContains) {
    where.push("i.original_name LIKE ? ESCAPE '\\'");
    params.push(`%${f.nameContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
  }
  if (f.hasMask !== undefined) where.push(`${f.hasMask ? '' : 'NOT '}EXISTS (SELECT 1 FROM mask_versions m WHERE m.image_id = i.id)`);
  if (f.hasPrediction !== undefined) where.push(`${f.hasPrediction ? '' : 'NOT '}EXISTS (SELECT 1 FROM mask_versions m WHERE m.image_id = i.id AND m.source = 'model')`);
  if (f.classIndex !== undefined) {
    where.push(`i.id IN (SELECT l.image_id FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id WHERE mc.class_idx = ?)`);
    params.push(f.classIndex);
  }
  return { sql: `WHERE ${where.join(' AND ')}`, params };
}

export function listImages(s: StoreContext, filter: ImageFilter = {}): ImageRecord[] {
  const { sql, params } = imageWhere(filter);
  const limit = filter.limit ?? -1;
  const offset = filter.offset ?? 0;
  const rows = s.sql(`SELECT i.* FROM images i ${sql} ORDER BY i.id LIMIT ? OFFSET ?`).all(...params, limit, offset) as ImageRow[];
  return rows.map(toImage);
}

export function countImages(s: StoreContext, filter: ImageFilter = {}): number {
  const { sql, params } = imageWhere({ ...filter, limit: undefined, offset: undefined });
  return (s.sql(`SELECT COUNT(*) AS n FROM images i ${sql}`).get(...params) as { n: number }).n;
}

/** Sets the split of images; `lock` marks it as a manual choice automatic splitting must keep. */
export function setSplit(s: StoreContext, ids: number[], split: Split, opts: { lock?: boolean } = {}): number {
  if (!SPLITS.includes(split)) throw new StoreError(`unknown split '${split}' (use ${SPLITS.join(', ')})`);
  const stmt = opts.lock === undefined ? s.sql('UPDATE images SET split = ? WHERE id = ?') : s.sql('UPDATE images SET split = ?, split_locked = ? WHERE id = ?');
  return s.transaction(() => ids.reduce((n, id) => n + (opts.lock === undefined ? stmt.run(split, id) : stmt.run(split, opts.lock ? 1 : 0, id)).changes, 0));
}

export function setStatus(s: StoreContext, ids: number[], status: ImageStatus): number {
  if (!IMAGE_STATUSES.includes(status)) throw new StoreError(`unknown status '${status}' (use ${IMAGE_STATUSES.join(', ')})`);
  const stmt = s.sql('UPDATE images SET status = ? WHERE id = ?');
  return s.transaction(() => ids.reduce((n, id) => n + stmt.run(status, id).changes, 0));
}

export function setGroup(s: StoreContext, ids: number[], groupKey: string | null): number {
  const stmt = s.sql('UPDATE images SET group_key = ? WHERE id = ?');
  return s.transaction(() => ids.reduce((n, id) => n + stmt.run(groupKey, id).changes, 0));
}

/** Moves images to the Trash (those already there keep their date). */
export function trashImages(s: StoreContext, ids: number[]): number {
  const stmt = s.sql('UPDATE images SET trashed_at = ? WHERE id = ? AND trashed_at IS NULL');
  const t = now();
  return s.transaction(() => ids.reduce((n, id) => n + stmt.run(t, id).changes, 0));
}

/** Brings images back from the Trash with their split, status, group and every mask version. */
export function restoreImages(s: StoreContext, ids: number[]): number {
  const stmt = s.sql('UPDATE images SET trashed_at = NULL WHERE id = ? AND trashed_at IS NOT NULL');
  return s.transaction(() => ids.reduce((n, id) => n + stmt.run(id).changes, 0));
}

export function imagePath(s: StoreContext, record: Pick<ImageRecord, 'sha256' | 'ext'>): string {
  return s.content.path('images', record.sha256, record.ext);
}

export function readImageBytes(s: StoreContext, record: Pick<ImageRecord, 'sha256' | 'ext'>): Buffer {
  return s.content.read('images', record.sha256, record.ext);
}

export function projectCounts(s: StoreContext): ProjectCounts {
  const bySplit = Object.fromEntries(SPLITS.map((v) => [v, 0])) as Record<Split, number>;
  for (const r of s.sql('SELECT split, COUNT(*) AS n FROM images WHERE trashed_at IS NULL GROUP BY split').all() as { split: Split; n: number }[]) bySplit[r.split] = r.n;
  const byStatus = Object.fromEntries(IMAGE_STATUSES.map((v) => [v, 0])) as Record<ImageStatus, number>;
  for (const r of s.sql('SELECT status, COUNT(*) AS n FROM images WHERE trashed_at IS NULL GROUP BY status').all() as { status: ImageStatus; n: number }[]) byStatus[r.status] = r.n;
  const perClass = new Map(
    (s.sql(`SELECT mc.class_idx AS idx, COUNT(*) AS images, SUM(mc.pixels) AS pixels FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id JOIN images i ON i.id = l.image_id AND i.trashed_at IS NULL GROUP BY mc.class_idx`).all() as {
      idx: number;
      images: number;
      pixels: number;
    }[]).map((r) => [r.idx, r]),
  );
  return {
    images: countImages(s),
    trashed: countImages(s, { trashed: true }),
    withMask: countImages(s, { hasMask: true }),
    bySplit,
    byStatus,
    byClass: listClasses(s).map((c) => ({ index: c.index, name: c.name, images: perClass.get(c.index)?.images ?? 0, pixels: perClass.get(c.index)?.pixels ?? 0 })),
  };
}
