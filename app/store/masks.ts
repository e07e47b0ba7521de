// Mask versions: every save is a new row and a content-addressed class-index PNG; nothing is
// overwritten. What a save means for an image's status is annotation.ts's business.
import { sha256Hex } from './contentStore.js';
import { LATEST_MASKS, now, StoreError, type StoreContext } from './storeContext.js';
import { classCount } from './classes.js';
import { decodeGrey8Png, encodeGrey8Png } from '../images/greyPng.js';
import type { ImageRecord, MaskSource, MaskVersion } from './storeTypes.js';

export interface MaskSaveOptions {
  source: MaskSource;
  runId?: number | null;
  note?: string | null;
}

interface MaskRow {
  id: number;
  image_id: number;
  version: number;
  sha256: string;
  source: MaskSource;
  run_id: number | null;
  note: string | null;
  created_at: string;
}

const toMask = (r: MaskRow): MaskVersion => ({
  id: r.id,
  imageId: r.image_id,
  version: r.version,
  sha256: r.sha256,
  source: r.source,
  runId: r.run_id,
  note: r.note,
  createdAt: r.created_at,
});

/** Per-class pixel counts of a class-index mask, background excluded. */
export function classPixelCounts(mask: Uint8Array): Map<number, number> {
  const hist = new Uint32Array(256);
  for (let i = 0; i < mask.length; i++) hist[mask[i]!]!++;
  const out = new Map<number, number>();
  for (let v = 1; v < 256; v++) if (hist[v]) out.set(v, hist[v]!);
  return out;
}

/**
 * Writes a mask's PNG (content-addressed) and its version row. `validate` checks the class values
 * against the project's classes (a class removal rewrites masks while classes are mid-change).
 */
export function writeMaskVersion(s: StoreContext, image: ImageRecord, mask: Uint8Array, opts: MaskSaveOptions, validate: boolean): MaskVersion {
  if (mask.length !== image.width * image.height) {
    throw new StoreError(`mask for image ${image.id} (${image.originalName}) has ${mask.length} values, expected ${image.width}×${image.height} = ${image.width * image.height}`);
  }
  const counts = classPixelCounts(mask);
  if (validate) {
    const k = classCount(s);
    const bad = [...counts.keys()].filter((v) => v > k);
    if (bad.length) throw new StoreError(`mask for image ${image.id} (${image.originalName}) has class value(s) ${bad.join(', ')} but the project has ${k} class(es)`);
  }
  const png = encodeGrey8Png(mask, image.width, image.height);
  const { sha256 } = s.content.put('masks', png, 'png');
  return insertMaskRow(s, image.id, sha256, counts, opts);
}

/** The version row of a mask whose PNG is already stored (imports write the file first). */
export function insertMaskRow(s: StoreContext, imageId: number, sha256: string, counts: Map<number, number>, opts: MaskSaveOptions): MaskVersion {
  const next = (s.sql('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM mask_versions WHERE image_id = ?').get(imageId) as { v: number }).v;
  const t = now();
  const id = Number(
    s.sql('INSERT INTO mask_versions (image_id, version, sha256, source, run_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(imageId, next, sha256, opts.source, opts.runId ?? null, opts.note ?? null, t).lastInsertRowid,
  );
  const ins = s.sql('INSERT INTO mask_classes (mask_version_id, class_idx, pixels) VALUES (?, ?, ?)');
  for (const [c, n] of counts) ins.run(id, c, n);
  return { id, imageId, version: next, sha256, source: opts.source, runId: opts.runId ?? null, note: opts.note ?? null, createdAt: t };
}

export function getMaskVersion(s: StoreContext, id: number): MaskVersion | null {
  const r = s.sql('SELECT * FROM mask_versions WHERE id = ?').get(id) as MaskRow | undefined;
  return r ? toMask(r) : null;
}

export function latestMask(s: StoreContext, imageId: number): MaskVersion | null {
  const r = s.sql('SELECT * FROM mask_versions WHERE image_id = ? ORDER BY version DESC LIMIT 1').get(imageId) as MaskRow | undefined;
  return r ? toMask(r) : null;
}

/** Every version of an image's mask, oldest first. */
export function maskHistory(s: StoreContext, imageId: number): MaskVersion[] {
  return (s.sql('SELECT * FROM mask_versions WHERE image_id = ? ORDER BY version').all(imageId) as MaskRow[]).map(toMask);
}

/** Pixel count per class index (background excluded) of a mask version. */
export function maskClassPixels(s: StoreContext, maskVersionId: number): Map<number, number> {
  const rows = s.sql('SELECT class_idx, pixels FROM mask_classes WHERE mask_version_id = ?').all(maskVersionId) as { class_idx: number; pixels: number }[];
  return new Map(rows.map((r) => [r.class_idx, r.pixels]));
}

/** Latest mask version ids of the images whose latest mask has a class index ≥ `index`. */
export function latestMasksWithClassFrom(s: StoreContext, index: number): { imageId: number; id: number }[] {
  return s.db
    .prepare(`SELECT DISTINCT l.image_id AS imageId, l.id AS id FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id WHERE mc.class_idx >= ?`)
    .all(index) as { imageId: number; id: number }[];
}

export interface LatestMaskSummary {
  version: number;
  /** Whether any version came from a model prediction. */
  predicted: boolean;
  /** Class indices of the latest version, ascending. */
  classes: number[];
}

/** The latest mask of every image that has one, in one pass over the mask tables (10,000 rows stay fast). */
export function latestMaskSummaries(s: StoreContext): Map<number, LatestMaskSummary> {
  const out = new Map<number, LatestMaskSummary>();
  const rows = s.sql("SELECT image_id, MAX(version) AS version, MAX(source = 'model') AS predicted FROM mask_versions GROUP BY image_id").all() as { image_id: number; version: number; predicted: number }[];
  for (const r of rows) out.set(r.image_id, { version: r.version, predicted: r.predicted > 0, classes: [] });
  const classRows = s.sql(`SELECT l.image_id AS image_id, mc.class_idx AS idx FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id ORDER BY mc.class_idx`).all() as { image_id: number; idx: number }[];
  for (const r of classRows) out.get(r.image_id)?.classes.push(r.idx);
  return out;
}

export function maskPath(s: StoreContext, version: Pick<MaskVersion, 'sha256'>): string {
  return s.content.path('masks', version.sha256, 'png');
}

/** The class-index values of a mask version (row-major, the image's size). */
export function readMask(s: StoreContext, version: Pick<MaskVersion, 'sha256'>): Uint8Array {
  const file = maskPath(s, version);
  const bytes = s.content.read('masks', version.sha256, 'png');
  if (sha256Hex(bytes) !== version.sha256) throw new StoreError(`${file}: content does not match its sha256 (file damaged)`);
  const m = decodeGrey8Png(bytes, false, file);
  if (!m) throw new StoreError(`${file}: not an 8-bit greyscale mask PNG`);
  return m.data;
}
