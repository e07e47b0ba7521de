// One project (product line) = one folder: project.db (SQLite, WAL) beside content-addressed
// images/ and masks/, plus models/ and runs/. The store is synchronous (better-sqlite3); the serve
// process and the CLI may open the same project, hence WAL and a busy timeout.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ContentStore, sha256Hex } from './contentStore.js';
import { repairAfterKilledImport, type RepairReport } from './contentRepair.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import { decodeGrey8Png, encodeGrey8Png } from '../images/greyPng.js';
import {
  IMAGE_STATUSES,
  SPLITS,
  type BaseModelRecord,
  type BatchItemStatus,
  type BatchJobItemRecord,
  type BatchJobRecord,
  type CheckpointRecord,
  type ClassDef,
  type EmbeddingRecord,
  type ImageFilter,
  type ImageRecord,
  type ImageStatus,
  type ImportRecord,
  type JsonObject,
  type MaskSource,
  type MaskVersion,
  type ProjectCounts,
  type ProjectInfo,
  type RunEpochRecord,
  type RunStatus,
  type Split,
  type TrainingRunRecord,
} from './storeTypes.js';

export const DB_FILE = 'project.db';
export const PROJECT_DIRS = ['images', 'masks', 'models', 'runs'] as const;
/** Default class colours, by index (1 → first). Distinct on dark and light canvases. */
export const CLASS_PALETTE = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe',
  '#008080', '#e6beff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075', '#808080',
];
export const MAX_CLASSES = 255;

export interface CreateProjectOptions {
  name: string;
  classes?: string[];
}

export interface MaskSaveOptions {
  source: MaskSource;
  runId?: number | null;
  note?: string | null;
}

/** A fully validated image whose files are already in the content store (see importPipeline). */
export interface NewImage {
  sha256: string;
  ext: string;
  originalName: string;
  sourcePath: string | null;
  width: number;
  height: number;
  split: Split;
  groupKey: string | null;
  conversion: string | null;
  status: ImageStatus;
  mask?: { sha256: string; classPixels: Map<number, number> };
}

export interface RemoveClassResult {
  removed: ClassDef;
  /** Images whose latest mask got a new version (remapped values or shifted indices). */
  masksRewritten: number;
}

/** A thrown error whose message is meant for the user as-is. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

const now = (): string => new Date().toISOString();
const json = (v: JsonObject | null | undefined): string => JSON.stringify(v ?? {});
const parseJson = (s: string | null): JsonObject => (s ? (JSON.parse(s) as JsonObject) : {});

/** Per-class pixel counts of a class-index mask, background excluded. */
export function classPixelCounts(mask: Uint8Array): Map<number, number> {
  const hist = new Uint32Array(256);
  for (let i = 0; i < mask.length; i++) hist[mask[i]!]!++;
  const out = new Map<number, number>();
  for (let v = 1; v < 256; v++) if (hist[v]) out.set(v, hist[v]!);
  return out;
}

export function validateClassName(name: string): string {
  const n = name.trim();
  if (!n) throw new StoreError('a class name cannot be empty');
  if (n.length > 64) throw new StoreError(`class name '${n}' is longer than 64 characters`);
  if (/[,\n\r\t]/.test(n)) throw new StoreError(`class name '${n}' must not contain commas or control characters`);
  if (n.toLowerCase() === 'background') throw new StoreError("'background' is class 0 and always exists");
  return n;
}

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
});

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

// Latest mask version of every image (versions only grow, so the largest id is the latest).
const LATEST_MASKS = 'SELECT image_id, MAX(id) AS id FROM mask_versions GROUP BY image_id';

export class ProjectStore {
  readonly dir: string;
  readonly db: Database.Database;
  readonly content: ContentStore;
  /** What open() cleaned up after an import that was killed (orphan and temp files), or null. */
  repairedAtOpen: RepairReport | null = null;

  private constructor(dir: string, db: Database.Database) {
    this.dir = dir;
    this.db = db;
    this.content = new ContentStore(dir);
  }

  static isProject(dir: string): boolean {
    return existsSync(join(dir, DB_FILE));
  }

  /** Creates a new project folder (the folder may exist but must not already hold a project). */
  static create(dir: string, opts: CreateProjectOptions): ProjectStore {
    const root = resolve(dir);
    const name = opts.name.trim();
    if (!name) throw new StoreError('a project needs a name (--name)');
    if (existsSync(root) && !statSync(root).isDirectory()) throw new StoreError(`${root}: exists and is not a folder`);
    if (ProjectStore.isProject(root)) throw new StoreError(`${root}: already holds a project (${DB_FILE} exists)`);
    const classes = (opts.classes ?? []).map(validateClassName);
    const seen = new Set<string>();
    for (const c of classes) {
      if (seen.has(c.toLowerCase())) throw new StoreError(`class '${c}' is listed twice`);
      seen.add(c.toLowerCase());
    }
    mkdirSync(root, { recursive: true });
    for (const d of PROJECT_DIRS) mkdirSync(join(root, d), { recursive: true });
    const store = new ProjectStore(root, ProjectStore.connect(root));
    store.db.transaction(() => {
      store.sql('INSERT INTO project (id, name, created_at) VALUES (1, ?, ?)').run(name, now());
      classes.forEach((c, i) => store.sql('INSERT INTO classes (idx, name, color) VALUES (?, ?, ?)').run(i + 1, c, CLASS_PALETTE[i % CLASS_PALETTE.length]));
    })();
    return store;
  }

  /** Opens an existing project, migrating its database to the latest schema version. */
  static open(dir: string): ProjectStore {
    const root = resolve(dir);
    if (!existsSync(root)) throw new StoreError(`${root}: no such folder`);
    if (!ProjectStore.isProject(root)) {
      const hint = statSync(root).isDirectory() && readdirSync(root).length === 0 ? " (empty folder; run 'pasam init' first)" : '';
      throw new StoreError(`${root}: not a pasam project, ${DB_FILE} not found${hint}`);
    }
    const store = new ProjectStore(root, ProjectStore.connect(root));
    const row = store.sql('SELECT name FROM project WHERE id = 1').get();
    if (!row) {
      store.close();
      throw new StoreError(`${join(root, DB_FILE)}: has no project row; the database is damaged`);
    }
    for (const d of PROJECT_DIRS) mkdirSync(join(root, d), { recursive: true });
    try {
      store.repairedAtOpen = repairAfterKilledImport(store);
    } catch {
      /* a read-only project still opens; `pasam check --repair` reports what cannot be removed */
    }
    return store;
  }

  private static connect(root: string): Database.Database {
    const file = join(root, DB_FILE);
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    } catch (err) {
      throw new StoreError(`${file}: cannot open as SQLite database (${err instanceof Error ? err.message : String(err)})`);
    }
    try {
      migrate(db, LATEST_VERSION, file);
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : new StoreError(err instanceof Error ? err.message : String(err));
    }
    return db;
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, cached: preparing costs more than running a simple insert. */
  sql(source: string): Database.Statement {
    let st = this.statements.get(source);
    if (!st) {
      st = this.db.prepare(source);
      this.statements.set(source, st);
    }
    return st;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `fn` in one SQLite write transaction (nested calls become savepoints). IMMEDIATE: the
   * write lock is taken up front (waiting up to busy_timeout), so reads inside `fn` cannot be
   * invalidated by another process writing before us.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Whether any row references a content file (used before deleting one). */
  contentReferenced(kind: 'images' | 'masks', sha256: string): boolean {
    const sql = kind === 'images' ? 'SELECT 1 FROM images WHERE sha256 = ?' : 'SELECT 1 FROM mask_versions WHERE sha256 = ?';
    return this.sql(sql).get(sha256) !== undefined;
  }

  info(): ProjectInfo {
    const r = this.sql('SELECT name, created_at FROM project WHERE id = 1').get() as { name: string; created_at: string };
    return { name: r.name, createdAt: r.created_at, schemaVersion: this.db.pragma('user_version', { simple: true }) as number };
  }

  // ---- classes -------------------------------------------------------------------------------

  listClasses(): ClassDef[] {
    return (this.sql('SELECT idx, name, color FROM classes ORDER BY idx').all() as { idx: number; name: string; color: string }[]).map((r) => ({ index: r.idx, name: r.name, color: r.color }));
  }

  /** Number of defect classes K (mask values 0..K are valid). */
  classCount(): number {
    return (this.sql('SELECT COALESCE(MAX(idx), 0) AS k FROM classes').get() as { k: number }).k;
  }

  getClass(name: string): ClassDef {
    const r = this.sql('SELECT idx, name, color FROM classes WHERE name = ?').get(name.trim()) as { idx: number; name: string; color: string } | undefined;
    if (!r) throw new StoreError(`no class named '${name}' (classes: ${this.listClasses().map((c) => c.name).join(', ') || 'none'})`);
    return { index: r.idx, name: r.name, color: r.color };
  }

  addClass(name: string, color?: string): ClassDef {
    const n = validateClassName(name);
    if (color !== undefined && !/^#[0-9a-f]{6}$/i.test(color)) throw new StoreError(`colour '${color}' is not #rrggbb`);
    return this.transaction(() => {
      if (this.sql('SELECT 1 FROM classes WHERE name = ?').get(n)) throw new StoreError(`class '${n}' already exists`);
      const index = this.classCount() + 1;
      if (index > MAX_CLASSES) throw new StoreError(`a project holds at most ${MAX_CLASSES} classes`);
      const c = color?.toLowerCase() ?? CLASS_PALETTE[(index - 1) % CLASS_PALETTE.length]!;
      this.sql('INSERT INTO classes (idx, name, color) VALUES (?, ?, ?)').run(index, n, c);
      return { index, name: n, color: c };
    });
  }

  renameClass(oldName: string, newName: string): ClassDef {
    const n = validateClassName(newName);
    return this.transaction(() => {
      const c = this.getClass(oldName);
      const clash = this.sql('SELECT idx FROM classes WHERE name = ?').get(n) as { idx: number } | undefined;
      if (clash && clash.idx !== c.index) throw new StoreError(`class '${n}' already exists`);
      this.sql('UPDATE classes SET name = ? WHERE idx = ?').run(n, c.index);
      return { ...c, name: n };
    });
  }

  setClassColor(name: string, color: string): ClassDef {
    if (!/^#[0-9a-f]{6}$/i.test(color)) throw new StoreError(`colour '${color}' is not #rrggbb`);
    const c = this.getClass(name);
    this.sql('UPDATE classes SET color = ? WHERE idx = ?').run(color.toLowerCase(), c.index);
    return { ...c, color: color.toLowerCase() };
  }

  /** Images whose latest mask contains class `index`. */
  imagesUsingClass(index: number): number {
    return (this.sql(`SELECT COUNT(*) AS n FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id WHERE mc.class_idx = ?`).get(index) as { n: number }).n;
  }

  /**
   * Removes a class. Refuses while latest masks use it, unless `remapTo` names the class (or
   * 'background') its pixels become. Classes above it move down one index so indices stay 1..K;
   * every affected latest mask gets a new version (old versions stay as they were saved).
   */
  removeClass(name: string, opts: { remapTo?: string } = {}): RemoveClassResult {
    return this.transaction(() => {
      const removed = this.getClass(name);
      const users = this.imagesUsingClass(removed.index);
      let target = 0;
      if (opts.remapTo !== undefined && opts.remapTo.trim().toLowerCase() !== 'background') {
        const t = this.getClass(opts.remapTo);
        if (t.index === removed.index) throw new StoreError(`cannot remap class '${removed.name}' onto itself`);
        target = t.index;
      }
      if (users > 0 && opts.remapTo === undefined) {
        throw new StoreError(`class '${removed.name}' is used by the latest mask of ${users} image(s); give a class (or 'background') to remap its pixels to`);
      }
      const lut = new Uint8Array(256);
      for (let v = 0; v < 256; v++) lut[v] = v < removed.index ? v : v === removed.index ? (target > removed.index ? target - 1 : target) : v - 1;
      const affected = this.db
        .prepare(`SELECT DISTINCT l.image_id AS imageId, l.id AS id FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id WHERE mc.class_idx >= ?`)
        .all(removed.index) as { imageId: number; id: number }[];
      const note = `class '${removed.name}' removed${users > 0 ? `, pixels → ${target === 0 ? 'background' : opts.remapTo}` : ''}`;
      for (const a of affected) {
        const latest = this.getMaskVersion(a.id)!;
        const mask = this.readMask(latest);
        for (let i = 0; i < mask.length; i++) mask[i] = lut[mask[i]!]!;
        this.insertMask(a.imageId, mask, { source: latest.source, runId: latest.runId, note }, false);
      }
      this.sql('DELETE FROM classes WHERE idx = ?').run(removed.index);
      const above = this.sql('SELECT idx FROM classes WHERE idx > ? ORDER BY idx').all(removed.index) as { idx: number }[];
      for (const r of above) this.sql('UPDATE classes SET idx = ? WHERE idx = ?').run(r.idx - 1, r.idx);
      return { removed, masksRewritten: affected.length };
    });
  }

  // ---- images --------------------------------------------------------------------------------

  getImage(id: number): ImageRecord | null {
    const r = this.sql('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r ? toImage(r) : null;
  }

  findImageBySha(sha256: string): ImageRecord | null {
    const r = this.sql('SELECT * FROM images WHERE sha256 = ?').get(sha256) as ImageRow | undefined;
    return r ? toImage(r) : null;
  }

  private imageWhere(f: ImageFilter): { sql: string; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
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
    return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
  }

  listImages(filter: ImageFilter = {}): ImageRecord[] {
    const { sql, params } = this.imageWhere(filter);
    const limit = filter.limit ?? -1;
    const offset = filter.offset ?? 0;
    const rows = this.sql(`SELECT i.* FROM images i ${sql} ORDER BY i.id LIMIT ? OFFSET ?`).all(...params, limit, offset) as ImageRow[];
    return rows.map(toImage);
  }

  countImages(filter: ImageFilter = {}): number {
    const { sql, params } = this.imageWhere({ ...filter, limit: undefined, offset: undefined });
    return (this.sql(`SELECT COUNT(*) AS n FROM images i ${sql}`).get(...params) as { n: number }).n;
  }

  /** Sets the split of images; `lock` marks it as a manual choice automatic splitting must keep. */
  setSplit(ids: number[], split: Split, opts: { lock?: boolean } = {}): number {
    if (!SPLITS.includes(split)) throw new StoreError(`unknown split '${split}' (use ${SPLITS.join(', ')})`);
    const stmt = opts.lock === undefined ? this.sql('UPDATE images SET split = ? WHERE id = ?') : this.sql('UPDATE images SET split = ?, split_locked = ? WHERE id = ?');
    return this.transaction(() => ids.reduce((n, id) => n + (opts.lock === undefined ? stmt.run(split, id) : stmt.run(split, opts.lock ? 1 : 0, id)).changes, 0));
  }

  setStatus(ids: number[], status: ImageStatus): number {
    if (!IMAGE_STATUSES.includes(status)) throw new StoreError(`unknown status '${status}' (use ${IMAGE_STATUSES.join(', ')})`);
    const stmt = this.sql('UPDATE images SET status = ? WHERE id = ?');
    return this.transaction(() => ids.reduce((n, id) => n + stmt.run(status, id).changes, 0));
  }

  setGroup(ids: number[], groupKey: string | null): number {
    const stmt = this.sql('UPDATE images SET group_key = ? WHERE id = ?');
    return this.transaction(() => ids.reduce((n, id) => n + stmt.run(groupKey, id).changes, 0));
  }

  imagePath(record: Pick<ImageRecord, 'sha256' | 'ext'>): string {
    return this.content.path('images', record.sha256, record.ext);
  }

  readImageBytes(record: Pick<ImageRecord, 'sha256' | 'ext'>): Buffer {
    return this.content.read('images', record.sha256, record.ext);
  }

  /**
   * Inserts validated images (their files already stored) and an imports row, all in one
   * transaction. Used by the import pipeline; returns the import id and the new image ids.
   */
  commitImport(meta: { source: string; format: string; report: unknown; newClasses?: { name: string; color?: string }[] }, images: NewImage[], onInserted?: (done: number, total: number) => void): { importId: number; imageIds: number[] } {
    return this.transaction(() => {
      const t = now();
      for (const c of meta.newClasses ?? []) this.addClass(c.name, c.color);
      const importId = Number(this.sql('INSERT INTO imports (source, format, added, report, created_at) VALUES (?, ?, ?, ?, ?)').run(meta.source, meta.format, images.length, JSON.stringify(meta.report), t).lastInsertRowid);
      const ins = this.sql(
        'INSERT INTO images (sha256, ext, original_name, source_path, width, height, split, status, group_key, conversion, import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const imageIds: number[] = [];
      for (const im of images) {
        const id = Number(ins.run(im.sha256, im.ext, im.originalName, im.sourcePath, im.width, im.height, im.split, im.status, im.groupKey, im.conversion, importId, t).lastInsertRowid);
        imageIds.push(id);
        if (im.mask) this.insertMaskRow(id, im.mask.sha256, im.mask.classPixels, { source: 'import', note: null, runId: null });
        onInserted?.(imageIds.length, images.length);
      }
      return { importId, imageIds };
    });
  }

  listImports(): ImportRecord[] {
    return (this.sql('SELECT id, source, format, added, created_at FROM imports ORDER BY id').all() as { id: number; source: string; format: string; added: number; created_at: string }[]).map((r) => ({
      id: r.id,
      source: r.source,
      format: r.format,
      added: r.added,
      createdAt: r.created_at,
    }));
  }

  /** The stored report of an import (as the pipeline produced it). */
  importReport(importId: number): unknown {
    const r = this.sql('SELECT report FROM imports WHERE id = ?').get(importId) as { report: string } | undefined;
    return r ? JSON.parse(r.report) : null;
  }

  // ---- masks ---------------------------------------------------------------------------------

  /**
   * Saves a new mask version (class-index values 0..K, row-major, the image's size). The PNG is
   * written content-addressed first, then the row; nothing existing is overwritten. A first manual
   * mask marks a 'new' image 'annotated'.
   */
  addMaskVersion(imageId: number, mask: Uint8Array, opts: MaskSaveOptions): MaskVersion {
    return this.transaction(() => this.insertMask(imageId, mask, opts, true));
  }

  private insertMask(imageId: number, mask: Uint8Array, opts: MaskSaveOptions, validate: boolean): MaskVersion {
    const image = this.getImage(imageId);
    if (!image) throw new StoreError(`no image with id ${imageId}`);
    if (mask.length !== image.width * image.height) {
      throw new StoreError(`mask for image ${imageId} (${image.originalName}) has ${mask.length} values, expected ${image.width}×${image.height} = ${image.width * image.height}`);
    }
    const counts = classPixelCounts(mask);
    if (validate) {
      const k = this.classCount();
      const bad = [...counts.keys()].filter((v) => v > k);
      if (bad.length) throw new StoreError(`mask for image ${imageId} (${image.originalName}) has class value(s) ${bad.join(', ')} but the project has ${k} class(es)`);
    }
    const png = encodeGrey8Png(mask, image.width, image.height);
    const { sha256 } = this.content.put('masks', png, 'png');
    const v = this.insertMaskRow(imageId, sha256, counts, opts);
    if (opts.source === 'manual' && image.status === 'new') this.sql("UPDATE images SET status = 'annotated' WHERE id = ?").run(imageId);
    return v;
  }

  private insertMaskRow(imageId: number, sha256: string, counts: Map<number, number>, opts: MaskSaveOptions): MaskVersion {
    const next = (this.sql('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM mask_versions WHERE image_id = ?').get(imageId) as { v: number }).v;
    const t = now();
    const id = Number(
      this.sql('INSERT INTO mask_versions (image_id, version, sha256, source, run_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(imageId, next, sha256, opts.source, opts.runId ?? null, opts.note ?? null, t)
        .lastInsertRowid,
    );
    const ins = this.sql('INSERT INTO mask_classes (mask_version_id, class_idx, pixels) VALUES (?, ?, ?)');
    for (const [c, n] of counts) ins.run(id, c, n);
    return { id, imageId, version: next, sha256, source: opts.source, runId: opts.runId ?? null, note: opts.note ?? null, createdAt: t };
  }

  getMaskVersion(id: number): MaskVersion | null {
    const r = this.sql('SELECT * FROM mask_versions WHERE id = ?').get(id) as MaskRow | undefined;
    return r ? toMask(r) : null;
  }

  latestMask(imageId: number): MaskVersion | null {
    const r = this.sql('SELECT * FROM mask_versions WHERE image_id = ? ORDER BY version DESC LIMIT 1').get(imageId) as MaskRow | undefined;
    return r ? toMask(r) : null;
  }

  /** Every version of an image's mask, oldest first. */
  maskHistory(imageId: number): MaskVersion[] {
    return (this.sql('SELECT * FROM mask_versions WHERE image_id = ? ORDER BY version').all(imageId) as MaskRow[]).map(toMask);
  }

  /** Pixel count per class index (background excluded) of a mask version. */
  maskClassPixels(maskVersionId: number): Map<number, number> {
    const rows = this.sql('SELECT class_idx, pixels FROM mask_classes WHERE mask_version_id = ?').all(maskVersionId) as { class_idx: number; pixels: number }[];
    return new Map(rows.map((r) => [r.class_idx, r.pixels]));
  }

  maskPath(version: Pick<MaskVersion, 'sha256'>): string {
    return this.content.path('masks', version.sha256, 'png');
  }

  /** The class-index values of a mask version (row-major, the image's size). */
  readMask(version: Pick<MaskVersion, 'sha256'>): Uint8Array {
    const file = this.maskPath(version);
    const bytes = this.content.read('masks', version.sha256, 'png');
    if (sha256Hex(bytes) !== version.sha256) throw new StoreError(`${file}: content does not match its sha256 (file damaged)`);
    const m = decodeGrey8Png(bytes, false, file);
    if (!m) throw new StoreError(`${file}: not an 8-bit greyscale mask PNG`);
    return m.data;
  }

  // ---- counts --------------------------------------------------------------------------------

  counts(): ProjectCounts {
    const bySplit = Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
    for (const r of this.sql('SELECT split, COUNT(*) AS n FROM images GROUP BY split').all() as { split: Split; n: number }[]) bySplit[r.split] = r.n;
    const byStatus = Object.fromEntries(IMAGE_STATUSES.map((s) => [s, 0])) as Record<ImageStatus, number>;
    for (const r of this.sql('SELECT status, COUNT(*) AS n FROM images GROUP BY status').all() as { status: ImageStatus; n: number }[]) byStatus[r.status] = r.n;
    const perClass = new Map(
      (this.sql(`SELECT mc.class_idx AS idx, COUNT(*) AS images, SUM(mc.pixels) AS pixels FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id GROUP BY mc.class_idx`).all() as {
        idx: number;
        images: number;
        pixels: number;
      }[]).map((r) => [r.idx, r]),
    );
    return {
      images: (this.sql('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n,
      withMask: (this.sql('SELECT COUNT(DISTINCT image_id) AS n FROM mask_versions').get() as { n: number }).n,
      bySplit,
      byStatus,
      byClass: this.listClasses().map((c) => ({ index: c.index, name: c.name, images: perClass.get(c.index)?.images ?? 0, pixels: perClass.get(c.index)?.pixels ?? 0 })),
    };
  }

  // ---- base models, training runs, checkpoints ------------------------------------------------

  addBaseModel(m: { name: string; kind: string; path: string; sha256?: string | null; config?: JsonObject }): BaseModelRecord {
    const t = now();
    const id = Number(this.sql('INSERT INTO base_models (name, kind, path, sha256, config, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(m.name, m.kind, m.path, m.sha256 ?? null, json(m.config), t).lastInsertRowid);
    return this.getBaseModel(id)!;
  }

  getBaseModel(id: number): BaseModelRecord | null {
    const r = this.sql('SELECT * FROM base_models WHERE id = ?').get(id) as Record<string, never> | undefined;
    return r ? toBaseModel(r) : null;
  }

  listBaseModels(): BaseModelRecord[] {
    return (this.sql('SELECT * FROM base_models ORDER BY id').all() as Record<string, never>[]).map(toBaseModel);
  }

  createRun(r: { name: string; baseModelId?: number | null; config?: JsonObject; status?: RunStatus }): TrainingRunRecord {
    const id = Number(
      this.sql('INSERT INTO training_runs (name, base_model_id, status, config, created_at) VALUES (?, ?, ?, ?, ?)').run(r.name, r.baseModelId ?? null, r.status ?? 'queued', json(r.config), now()).lastInsertRowid,
    );
    return this.getRun(id)!;
  }

  getRun(id: number): TrainingRunRecord | null {
    const r = this.sql('SELECT * FROM training_runs WHERE id = ?').get(id) as Record<string, never> | undefined;
    return r ? toRun(r) : null;
  }

  listRuns(): TrainingRunRecord[] {
    return (this.sql('SELECT * FROM training_runs ORDER BY id').all() as Record<string, never>[]).map(toRun);
  }

  /** Updates a run's status (stamping start/finish times) and optionally its summary metrics/error. */
  updateRun(id: number, u: { status?: RunStatus; metrics?: JsonObject; error?: string | null; config?: JsonObject }): TrainingRunRecord {
    const cur = this.getRun(id);
    if (!cur) throw new StoreError(`no training run with id ${id}`);
    const status = u.status ?? cur.status;
    const t = now();
    const startedAt = cur.startedAt ?? (status === 'running' ? t : null);
    const finishedAt = ['completed', 'failed', 'cancelled'].includes(status) ? (cur.finishedAt ?? t) : null;
    this.db
      .prepare('UPDATE training_runs SET status = ?, metrics = ?, error = ?, config = ?, started_at = ?, finished_at = ? WHERE id = ?')
      .run(status, json(u.metrics ?? cur.metrics), u.error === undefined ? cur.error : u.error, json(u.config ?? cur.config), startedAt, finishedAt, id);
    return this.getRun(id)!;
  }

  /** Records (or replaces, if re-run after a resume) one epoch's metrics. */
  addRunEpoch(runId: number, epoch: number, metrics: JsonObject): RunEpochRecord {
    const t = now();
    this.sql('INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics, created_at) VALUES (?, ?, ?, ?)').run(runId, epoch, json(metrics), t);
    return { runId, epoch, metrics, createdAt: t };
  }

  listRunEpochs(runId: number): RunEpochRecord[] {
    return (this.sql('SELECT * FROM run_epochs WHERE run_id = ? ORDER BY epoch').all(runId) as { run_id: number; epoch: number; metrics: string; created_at: string }[]).map((r) => ({
      runId: r.run_id,
      epoch: r.epoch,
      metrics: parseJson(r.metrics),
      createdAt: r.created_at,
    }));
  }

  /** Records exactly which mask versions a run used, with the split each was used as. */
  setRunMaskVersions(runId: number, used: { maskVersionId: number; split: Split }[]): void {
    const ins = this.sql('INSERT OR REPLACE INTO run_mask_versions (run_id, mask_version_id, split) VALUES (?, ?, ?)');
    this.transaction(() => {
      for (const u of used) ins.run(runId, u.maskVersionId, u.split);
    });
  }

  runMaskVersions(runId: number): { maskVersionId: number; split: Split }[] {
    return (this.sql('SELECT mask_version_id, split FROM run_mask_versions WHERE run_id = ? ORDER BY mask_version_id').all(runId) as { mask_version_id: number; split: Split }[]).map((r) => ({
      maskVersionId: r.mask_version_id,
      split: r.split,
    }));
  }

  addCheckpoint(c: { runId?: number | null; epoch?: number | null; path: string; sha256?: string | null; metrics?: JsonObject }): CheckpointRecord {
    const id = Number(
      this.sql('INSERT INTO checkpoints (run_id, epoch, path, sha256, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(c.runId ?? null, c.epoch ?? null, c.path, c.sha256 ?? null, json(c.metrics), now()).lastInsertRowid,
    );
    return this.getCheckpoint(id)!;
  }

  getCheckpoint(id: number): CheckpointRecord | null {
    const r = this.sql('SELECT * FROM checkpoints WHERE id = ?').get(id) as Record<string, never> | undefined;
    return r ? toCheckpoint(r) : null;
  }

  listCheckpoints(runId?: number): CheckpointRecord[] {
    const rows = (runId === undefined ? this.sql('SELECT * FROM checkpoints ORDER BY id').all() : this.sql('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY id').all(runId)) as Record<string, never>[];
    return rows.map(toCheckpoint);
  }

  // ---- batch jobs ----------------------------------------------------------------------------

  createBatchJob(j: { kind: string; checkpointId?: number | null; source?: string | null; output?: string | null; config?: JsonObject; items?: string[] }): BatchJobRecord {
    return this.transaction(() => {
      const t = now();
      const id = Number(
        this.db
          .prepare('INSERT INTO batch_jobs (kind, status, checkpoint_id, source, output, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(j.kind, 'queued', j.checkpointId ?? null, j.source ?? null, j.output ?? null, json(j.config), t).lastInsertRowid,
      );
      const ins = this.sql('INSERT INTO batch_job_items (job_id, source_path, updated_at) VALUES (?, ?, ?)');
      for (const p of j.items ?? []) ins.run(id, p, t);
      return this.getBatchJob(id)!;
    });
  }

  getBatchJob(id: number): BatchJobRecord | null {
    const r = this.sql('SELECT * FROM batch_jobs WHERE id = ?').get(id) as Record<string, never> | undefined;
    return r ? toBatchJob(r) : null;
  }

  listBatchJobs(): BatchJobRecord[] {
    return (this.sql('SELECT * FROM batch_jobs ORDER BY id').all() as Record<string, never>[]).map(toBatchJob);
  }

  updateBatchJob(id: number, u: { status?: RunStatus; error?: string | null }): BatchJobRecord {
    const cur = this.getBatchJob(id);
    if (!cur) throw new StoreError(`no batch job with id ${id}`);
    const status = u.status ?? cur.status;
    const t = now();
    const startedAt = cur.startedAt ?? (status === 'running' ? t : null);
    const finishedAt = ['completed', 'failed', 'cancelled'].includes(status) ? (cur.finishedAt ?? t) : null;
    this.sql('UPDATE batch_jobs SET status = ?, error = ?, started_at = ?, finished_at = ? WHERE id = ?').run(status, u.error === undefined ? cur.error : u.error, startedAt, finishedAt, id);
    return this.getBatchJob(id)!;
  }

  addBatchJobItems(jobId: number, sourcePaths: string[]): number {
    const ins = this.sql('INSERT INTO batch_job_items (job_id, source_path, updated_at) VALUES (?, ?, ?)');
    const t = now();
    this.transaction(() => sourcePaths.forEach((p) => ins.run(jobId, p, t)));
    return sourcePaths.length;
  }

  listBatchJobItems(jobId: number, opts: { status?: BatchItemStatus; limit?: number; offset?: number } = {}): BatchJobItemRecord[] {
    const rows = (
      opts.status === undefined
        ? this.sql('SELECT * FROM batch_job_items WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?').all(jobId, opts.limit ?? -1, opts.offset ?? 0)
        : this.sql('SELECT * FROM batch_job_items WHERE job_id = ? AND status = ? ORDER BY id LIMIT ? OFFSET ?').all(jobId, opts.status, opts.limit ?? -1, opts.offset ?? 0)
    ) as Record<string, never>[];
    return rows.map(toBatchItem);
  }

  updateBatchJobItem(itemId: number, u: { status: BatchItemStatus; imageId?: number | null; result?: JsonObject | null; error?: string | null }): void {
    const r = this.db
      .prepare('UPDATE batch_job_items SET status = ?, image_id = COALESCE(?, image_id), result = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(u.status, u.imageId ?? null, u.result == null ? null : JSON.stringify(u.result), u.error ?? null, now(), itemId);
    if (r.changes === 0) throw new StoreError(`no batch job item with id ${itemId}`);
  }

  batchJobProgress(jobId: number): Record<BatchItemStatus, number> {
    const out: Record<BatchItemStatus, number> = { pending: 0, done: 0, failed: 0, skipped: 0 };
    for (const r of this.sql('SELECT status, COUNT(*) AS n FROM batch_job_items WHERE job_id = ? GROUP BY status').all(jobId) as { status: BatchItemStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  // ---- settings ------------------------------------------------------------------------------

  /** A project setting (JSON value), or null when unset. */
  getSetting(key: string): unknown {
    const r = this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as unknown) : null;
  }

  /** Sets (or with null, clears) a project setting. */
  setSetting(key: string, value: unknown): void {
    if (value === null || value === undefined) this.sql('DELETE FROM settings WHERE key = ?').run(key);
    else this.sql('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(key, JSON.stringify(value), now());
  }

  // ---- embedding cache bookkeeping ------------------------------------------------------------

  putEmbedding(e: { imageId: number; modelKey: string; path: string }): EmbeddingRecord {
    const t = now();
    this.sql('INSERT OR REPLACE INTO embeddings (image_id, model_key, path, created_at) VALUES (?, ?, ?, ?)').run(e.imageId, e.modelKey, e.path, t);
    return { ...e, createdAt: t };
  }

  getEmbedding(imageId: number, modelKey: string): EmbeddingRecord | null {
    const r = this.sql('SELECT * FROM embeddings WHERE image_id = ? AND model_key = ?').get(imageId, modelKey) as { image_id: number; model_key: string; path: string; created_at: string } | undefined;
    return r ? { imageId: r.image_id, modelKey: r.model_key, path: r.path, createdAt: r.created_at } : null;
  }

  deleteEmbeddings(modelKey?: string): number {
    return (modelKey === undefined ? this.sql('DELETE FROM embeddings').run() : this.sql('DELETE FROM embeddings WHERE model_key = ?').run(modelKey)).changes;
  }
}

type Row = Record<string, any>;

const toBaseModel = (r: Row): BaseModelRecord => ({ id: r.id, name: r.name, kind: r.kind, path: r.path, sha256: r.sha256, config: parseJson(r.config), createdAt: r.created_at });

const toRun = (r: Row): TrainingRunRecord => ({
  id: r.id,
  name: r.name,
  baseModelId: r.base_model_id,
  status: r.status,
  config: parseJson(r.config),
  metrics: parseJson(r.metrics),
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const toCheckpoint = (r: Row): CheckpointRecord => ({ id: r.id, runId: r.run_id, epoch: r.epoch, path: r.path, sha256: r.sha256, metrics: parseJson(r.metrics), createdAt: r.created_at });

const toBatchJob = (r: Row): BatchJobRecord => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  checkpointId: r.checkpoint_id,
  source: r.source,
  output: r.output,
  config: parseJson(r.config),
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const toBatchItem = (r: Row): BatchJobItemRecord => ({
  id: r.id,
  jobId: r.job_id,
  sourcePath: r.source_path,
  imageId: r.image_id,
  status: r.status,
  result: r.result == null ? null : (JSON.parse(r.result) as JsonObject),
  error: r.error,
  updatedAt: r.updated_at,
});
