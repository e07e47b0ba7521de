// Dataset operations on a project: format import, splitting, health check and export. The glue
// between the store and the pure modules (format readers, split.ts, health.ts, exporters); the
// CLI and the API call these.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import { writeFileAtomic } from '../store/contentStore.js';
import type { ImageRecord, Split } from '../store/storeTypes.js';
import type { ClassMap } from './classMapping.js';
import { parseCsv } from './formats/common.js';
import { stemOf } from './sourceFiles.js';
import { importFolder } from './folderImport.js';
import { runImport, withImportLock, type ImportOptions } from './importPipeline.js';
import type { ImportReport } from './importTypes.js';
import { detectFormat } from './formats/detect.js';
import { streamImport, type FormatOption } from './readSource.js';
import { assignSplits, groupKeyFromName, type AssignableSplit, type SplitOutcome } from './split.js';
import { analyseImage, healthReport, type HealthOptions, type HealthReport } from './health.js';
import { findNearDuplicates, greyThumbnail, hashFromHex, hashToHex, phashOfThumbnail } from './perceptualHash.js';
import { exportDataset } from './export/exportDataset.js';
import type { ExportFormat, ExportItem, ExportSummary } from './export/exportTypes.js';

// ---- import ------------------------------------------------------------------------------------

export interface SourceImportOptions {
  format?: FormatOption;
  classMap?: ClassMap;
  colorMap?: Map<string, string>;
  /** Split for images whose source names none. */
  split?: Split;
  /** Masks folder for the plain folder format (the store's folder import). */
  masks?: string;
  onProgress?: ImportOptions['onProgress'];
  onLockWait?: ImportOptions['onLockWait'];
}

export interface SourceImportReport extends ImportReport {
  notes: string[];
  newClasses: { index: number; name: string }[];
}

/**
 * Imports `source` in any supported format. The plain folder format (and --masks) goes through
 * the store's lazy folder import; the others are read, their classes resolved against the
 * project's (new ones are created in the import's own transaction), and handed to runImport.
 */
export async function importSource(store: ProjectStore, source: string, opts: SourceImportOptions = {}): Promise<SourceImportReport> {
  // the lock covers class resolution too: the project's classes are read after any earlier import committed
  return withImportLock(store, resolve(source), opts.onLockWait, () => importSourceLocked(store, source, opts));
}

async function importSourceLocked(store: ProjectStore, source: string, opts: SourceImportOptions): Promise<SourceImportReport> {
  const wanted = opts.format ?? 'auto';
  const detection = wanted === 'auto' && !opts.masks ? detectFormat(source) : undefined;
  const format = opts.masks ? 'folder' : (detection?.format ?? wanted);
  const detected = detection ? `${detection.format} (${detection.reason})` : undefined;
  if (format === 'folder') {
    if (opts.classMap?.size) throw new Error('--map needs a format with masks or annotations (the plain folder format reads class-index masks as they are)');
    const report = await importFolder(store, source, { masks: opts.masks, split: opts.split, onProgress: opts.onProgress, holdsImportLock: true });
    return { ...report, ...(detected ? { detected } : {}), notes: [], newClasses: [] };
  }
  const stream = streamImport(source, { format, classMap: opts.classMap, colorMap: opts.colorMap, projectClasses: store.listClasses() });
  const report = await runImport(store, stream.candidates, {
    format: stream.format,
    source: resolve(source),
    ...(detected ? { detected } : {}),
    split: opts.split,
    problems: stream.problems,
    onProgress: opts.onProgress,
    // Grows while the stream is read; the pipeline adds these classes in the import's transaction.
    newClasses: stream.newClasses,
    holdsImportLock: true,
  });
  const added = !report.failed && report.added > 0;
  return { ...report, notes: stream.notes, newClasses: added ? stream.newClasses.map((c) => ({ index: c.index, name: c.name })) : [] };
}

// ---- classes present per image -------------------------------------------------------------------

/** Class indices in each image's latest mask; images without a mask are absent. */
export function latestMaskClasses(store: ProjectStore): Map<number, number[]> {
  const rows = store.db
    .prepare(
      `SELECT l.image_id AS imageId, mc.class_idx AS cls FROM (SELECT image_id, MAX(id) AS id FROM mask_versions GROUP BY image_id) l
       LEFT JOIN mask_classes mc ON mc.mask_version_id = l.id ORDER BY l.image_id`,
    )
    .all() as { imageId: number; cls: number | null }[];
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const list = out.get(r.imageId) ?? [];
    if (r.cls !== null) list.push(r.cls);
    out.set(r.imageId, list);
  }
  return out;
}

// ---- split -------------------------------------------------------------------------------------

export interface ProjectSplitOptions {
  ratios: [number, number, number];
  seed: number;
  /** Regex over the original name; its first capture group (or whole match) is the group key. */
  groupBy?: RegExp;
  /** CSV file and column: rows keyed by image name/stem give each image's group. */
  groupColumn?: { file: string; column: string };
  /** Keep images that already have a split (e.g. an official test set) where they are. */
  keepAssigned?: boolean;
}

export interface ProjectSplitResult extends SplitOutcome {
  groupsSet: number;
  locked: number;
}

/** Reads `<csv>:<column>` group assignments keyed by the first column naming an image. */
export function readGroupColumn(file: string, column: string): Map<string, string> {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  if (rows.length < 2) throw new Error(`${file}: no data rows`);
  const header = rows[0]!.map((h) => h.trim());
  const col = header.indexOf(column);
  if (col < 0) throw new Error(`${file}: no column '${column}' (columns: ${header.join(', ')})`);
  const keyCol = ['image', 'file', 'filename', 'file_name', 'name', 'id', 'stem', 'path'].map((k) => header.findIndex((h) => h.toLowerCase() === k)).find((i) => i >= 0) ?? 0;
  const out = new Map<string, string>();
  for (const r of rows.slice(1)) {
    const key = (r[keyCol] ?? '').trim();
    if (key) out.set(stemOf(key.split(/[\\/]/).pop()!), (r[col] ?? '').trim());
  }
  return out;
}

export function splitProject(store: ProjectStore, opts: ProjectSplitOptions): ProjectSplitResult {
  const images = store.listImages();
  let groupsSet = 0;
  const groupOf = new Map<number, string | null>(images.map((i) => [i.id, i.groupKey]));
  if (opts.groupBy || opts.groupColumn) {
    const table = opts.groupColumn ? readGroupColumn(opts.groupColumn.file, opts.groupColumn.column) : null;
    for (const im of images) {
      const key = opts.groupBy ? groupKeyFromName(im.originalName, opts.groupBy) : (table!.get(stemOf(im.originalName.split('/').pop()!)) || null);
      groupOf.set(im.id, key);
    }
  }
  const classes = latestMaskClasses(store);
  const kept = (im: ImageRecord) => im.split !== 'unassigned' && (im.splitLocked || opts.keepAssigned === true);
  const outcome = assignSplits(
    images.map((im) => ({ id: im.id, classes: classes.get(im.id) ?? null, groupKey: groupOf.get(im.id) ?? null, locked: kept(im) ? (im.split as AssignableSplit) : null })),
    opts,
  );
  store.transaction(() => {
    if (opts.groupBy || opts.groupColumn) {
      for (const im of images) {
        const key = groupOf.get(im.id) ?? null;
        if (key !== im.groupKey) {
          store.setGroup([im.id], key);
          groupsSet++;
        }
      }
    }
    const bySplit = new Map<AssignableSplit, number[]>();
    for (const [id, s] of outcome.assignment) bySplit.set(s, [...(bySplit.get(s) ?? []), id]);
    const locked = new Set(images.filter(kept).map((i) => i.id));
    for (const [s, ids] of bySplit) store.setSplit(ids.filter((id) => !locked.has(id)), s);
  });
  return { ...outcome, groupsSet, locked: images.filter(kept).length };
}

/** Manual override: puts images in a split and locks them there (or unlocks with split null). */
export function lockSplit(store: ProjectStore, refs: string[], split: AssignableSplit | null): ImageRecord[] {
  const images = resolveImages(store, refs);
  if (split) store.setSplit(images.map((i) => i.id), split, { lock: true });
  else store.transaction(() => images.forEach((i) => store.setSplit([i.id], i.split, { lock: false })));
  return images;
}

/** Images by id or original name (in the dataset, or with `trashed` in the Trash); every reference must match. */
export function resolveImages(store: ProjectStore, refs: string[], opts: { trashed?: boolean } = {}): ImageRecord[] {
  const all = store.listImages({ trashed: opts.trashed });
  return refs.map((ref) => {
    const byId = /^\d+$/.test(ref) ? all.find((i) => i.id === Number(ref)) : undefined;
    const hits = byId ? [byId] : all.filter((i) => i.originalName === ref || i.originalName.split('/').pop() === ref);
    if (hits.length === 0) throw new Error(`no image '${ref}' in ${opts.trashed ? 'the Trash' : 'the project'}`);
    if (hits.length > 1) throw new Error(`'${ref}' names ${hits.length} images (ids ${hits.map((h) => h.id).join(', ')}); use an id`);
    return hits[0]!;
  });
}

// ---- perceptual hashes (cached per image content) -------------------------------------------------

const HASH_CACHE = join('cache', 'phash.json');

export async function projectHashes(store: ProjectStore, images: ImageRecord[]): Promise<Map<number, bigint>> {
  const file = join(store.dir, HASH_CACHE);
  let cache: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      cache = {}; // a damaged cache is rebuilt
    }
  }
  let changed = false;
  const out = new Map<number, bigint>();
  for (const im of images) {
    let hex = cache[im.sha256];
    if (!hex) {
      hex = hashToHex(phashOfThumbnail(await greyThumbnail(store.readImageBytes(im))));
      cache[im.sha256] = hex;
      changed = true;
    }
    out.set(im.id, hashFromHex(hex));
  }
  if (changed) {
    mkdirSync(join(store.dir, 'cache'), { recursive: true });
    writeFileAtomic(file, Buffer.from(JSON.stringify(cache)));
  }
  return out;
}

// ---- health check --------------------------------------------------------------------------------

export async function checkProject(store: ProjectStore, opts: HealthOptions = {}): Promise<HealthReport> {
  const images = store.listImages();
  const classes = store.listClasses();
  const known = new Set(classes.map((c) => c.index));
  const analyses = images.map((im) => {
    const latest = store.latestMask(im.id);
    const mask = latest ? store.readMask(latest) : null;
    const data = mask ? { width: mask.length === im.width * im.height ? im.width : Math.round(mask.length / im.height), height: im.height, data: mask } : null;
    return analyseImage({ id: im.id, name: im.originalName, split: im.split, status: im.status, width: im.width, height: im.height }, data, known, opts);
  });
  const hashes = await projectHashes(store, images);
  const byId = new Map(images.map((i) => [i.id, i]));
  const crossSplit = (a: number, b: number) => {
    const sa = byId.get(a)!.split, sb = byId.get(b)!.split;
    return sa !== sb && sa !== 'unassigned' && sb !== 'unassigned';
  };
  const dups = await findNearDuplicates(
    images.map((i) => ({ id: i.id, hash: hashes.get(i.id)! })),
    async (id) => greyThumbnail(store.readImageBytes(byId.get(id)!)),
    { candidateFilter: crossSplit },
  );
  return healthReport(analyses, dups, new Map(classes.map((c) => [c.index, c.name])), opts);
}

// ---- export --------------------------------------------------------------------------------------

export async function exportProject(store: ProjectStore, out: string, format: ExportFormat, opts: { splits?: Split[] } = {}): Promise<ExportSummary> {
  const images = store.listImages(opts.splits ? { split: opts.splits } : {});
  const items: ExportItem[] = images.map((im) => ({
    id: im.id,
    originalName: im.originalName.split('/').pop()!,
    split: im.split,
    width: im.width,
    height: im.height,
    loadImage: async () => ({ bytes: store.readImageBytes(im), ext: `.${im.ext}` }),
    loadMask: async () => {
      const latest = store.latestMask(im.id);
      return latest ? store.readMask(latest) : null;
    },
  }));
  return exportDataset(items, store.listClasses(), resolve(out), format);
}
