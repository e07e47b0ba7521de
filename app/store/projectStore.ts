// One project (product line) = one folder: project.db (SQLite, WAL) beside content-addressed
// images/ and masks/, plus models/ and runs/. The store is synchronous (better-sqlite3); the serve
// process and the CLI may open the same project, hence WAL and a busy timeout.
// ProjectStore owns the connection, the migrations and the transactions; each kind of record has
// its module (classes, images, imports, masks, runs, batchJobs, settings, embeddings) and the
// annotation rules theirs (annotation.ts). The methods below delegate so callers keep one handle.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ContentStore } from './contentStore.js';
import { repairAfterKilledImport, type RepairReport } from './contentRepair.js';
import { LATEST_VERSION, migrate } from './migrations.js';
import { now, StoreError, type StoreContext } from './storeContext.js';
import * as classes from './classes.js';
import * as images from './images.js';
import * as imports from './imports.js';
import * as masks from './masks.js';
import * as annotation from './annotation.js';
import * as runs from './runs.js';
import * as batchJobs from './batchJobs.js';
import * as settings from './settings.js';
import * as embeddings from './embeddings.js';
import * as imageDeletion from './imageDeletion.js';
import type { ImageFilter, ImageStatus, JsonObject, ProjectInfo, RunStatus, Split, BatchItemStatus, MaskVersion, ImageRecord } from './storeTypes.js';

export { StoreError, UsageError } from './storeContext.js';
export { CLASS_PALETTE, MAX_CLASSES, validateClassName } from './classes.js';
export { classPixelCounts, type MaskSaveOptions } from './masks.js';
export type { NewImage } from './imports.js';
export type { RemoveClassResult } from './annotation.js';

export const DB_FILE = 'project.db';
export const PROJECT_DIRS = ['images', 'masks', 'models', 'runs'] as const;

export interface CreateProjectOptions {
  name: string;
  classes?: string[];
}

export class ProjectStore implements StoreContext {
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
    const names = (opts.classes ?? []).map(classes.validateClassName);
    const seen = new Set<string>();
    for (const c of names) {
      if (seen.has(c.toLowerCase())) throw new StoreError(`class '${c}' is listed twice`);
      seen.add(c.toLowerCase());
    }
    mkdirSync(root, { recursive: true });
    for (const d of PROJECT_DIRS) mkdirSync(join(root, d), { recursive: true });
    const store = new ProjectStore(root, ProjectStore.connect(root));
    store.db.transaction(() => {
      store.sql('INSERT INTO project (id, name, created_at) VALUES (1, ?, ?)').run(name, now());
      classes.insertInitialClasses(store, names);
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
    return imageDeletion.contentReferenced(this, kind, sha256);
  }

  info(): ProjectInfo {
    const r = this.sql('SELECT name, created_at FROM project WHERE id = 1').get() as { name: string; created_at: string };
    return { name: r.name, createdAt: r.created_at, schemaVersion: this.db.pragma('user_version', { simple: true }) as number };
  }

  // ---- records: one-line delegations to the record modules ----------------------------------

  listClasses = () => classes.listClasses(this);
  /** Number of defect classes K (mask values 0..K are valid). */
  classCount = () => classes.classCount(this);
  getClass = (name: string) => classes.getClass(this, name);
  addClass = (name: string, color?: string) => classes.addClass(this, name, color);
  renameClass = (oldName: string, newName: string) => classes.renameClass(this, oldName, newName);
  setClassColor = (name: string, color: string) => classes.setClassColor(this, name, color);
  /** Images whose latest mask contains class `index`. */
  imagesUsingClass = (index: number) => classes.imagesUsingClass(this, index);
  /** See annotation.removeClass: remaps or refuses, shifts indices, rewrites affected latest masks. */
  removeClass = (name: string, opts: { remapTo?: string } = {}) => annotation.removeClass(this, name, opts);

  getImage = (id: number) => images.getImage(this, id);
  findImageBySha = (sha256: string) => images.findImageBySha(this, sha256);
  listImages = (filter: ImageFilter = {}) => images.listImages(this, filter);
  countImages = (filter: ImageFilter = {}) => images.countImages(this, filter);
  /** Sets the split of images; `lock` marks it as a manual choice automatic splitting must keep. */
  setSplit = (ids: number[], split: Split, opts: { lock?: boolean } = {}) => images.setSplit(this, ids, split, opts);
  setStatus = (ids: number[], status: ImageStatus) => images.setStatus(this, ids, status);
  setGroup = (ids: number[], groupKey: string | null) => images.setGroup(this, ids, groupKey);
  imagePath = (record: Pick<ImageRecord, 'sha256' | 'ext'>) => images.imagePath(this, record);
  readImageBytes = (record: Pick<ImageRecord, 'sha256' | 'ext'>) => images.readImageBytes(this, record);
  counts = () => images.projectCounts(this);
  /** Moves images to the Trash: out of every listing, count, split, training, evaluation and export. */
  trashImages = (ids: number[]) => images.trashImages(this, ids);
  restoreImages = (ids: number[]) => images.restoreImages(this, ids);
  /** Deletes trashed images for good (rows and unreferenced files); images a run used are kept. */
  deleteTrashedImages = (ids: number[]) => imageDeletion.deleteTrashedImages(this, ids);

  /** Inserts validated images (files already stored) and an imports row in one transaction. */
  commitImport = (meta: imports.ImportMeta, list: imports.NewImage[], onInserted?: (done: number, total: number) => void) => imports.commitImport(this, meta, list, onInserted);
  listImports = () => imports.listImports(this);
  /** The stored report of an import (as the pipeline produced it). */
  importReport = (importId: number) => imports.importReport(this, importId);

  /** Saves a new mask version; a first manual mask marks a 'new' image 'annotated' (annotation.ts). */
  addMaskVersion = (imageId: number, mask: Uint8Array, opts: masks.MaskSaveOptions) => annotation.addMaskVersion(this, imageId, mask, opts);
  getMaskVersion = (id: number) => masks.getMaskVersion(this, id);
  latestMask = (imageId: number) => masks.latestMask(this, imageId);
  /** Every version of an image's mask, oldest first. */
  maskHistory = (imageId: number) => masks.maskHistory(this, imageId);
  /** Pixel count per class index (background excluded) of a mask version. */
  maskClassPixels = (maskVersionId: number) => masks.maskClassPixels(this, maskVersionId);
  maskPath = (version: Pick<MaskVersion, 'sha256'>) => masks.maskPath(this, version);
  /** The class-index values of a mask version (row-major, the image's size). */
  readMask = (version: Pick<MaskVersion, 'sha256'>) => masks.readMask(this, version);

  addBaseModel = (m: { name: string; kind: string; path: string; sha256?: string | null; config?: JsonObject }) => runs.addBaseModel(this, m);
  getBaseModel = (id: number) => runs.getBaseModel(this, id);
  listBaseModels = () => runs.listBaseModels(this);
  createRun = (r: { name: string; baseModelId?: number | null; config?: JsonObject; status?: RunStatus }) => runs.createRun(this, r);
  getRun = (id: number) => runs.getRun(this, id);
  /** Gives a run a new display name (its id and folder stay). */
  renameRun = (id: number, name: string) => runs.renameRun(this, id, name);
  /** Deletes a run's records (run, epochs, mask-version list, checkpoints); its id is never reused. */
  deleteRunRecords = (id: number) => runs.deleteRunRecords(this, id);
  listRuns = () => runs.listRuns(this);
  /** Updates a run's status (stamping start/finish times) and optionally its summary metrics/error. */
  updateRun = (id: number, u: { status?: RunStatus; metrics?: JsonObject; error?: string | null; config?: JsonObject }) => runs.updateRun(this, id, u);
  /** Records (or replaces, if re-run after a resume) one epoch's metrics. */
  addRunEpoch = (runId: number, epoch: number, metrics: JsonObject) => runs.addRunEpoch(this, runId, epoch, metrics);
  listRunEpochs = (runId: number) => runs.listRunEpochs(this, runId);
  /** Records exactly which mask versions a run used, with the split each was used as. */
  setRunMaskVersions = (runId: number, used: { maskVersionId: number; split: Split }[]) => runs.setRunMaskVersions(this, runId, used);
  runMaskVersions = (runId: number) => runs.runMaskVersions(this, runId);
  addCheckpoint = (c: { runId?: number | null; epoch?: number | null; path: string; sha256?: string | null; metrics?: JsonObject }) => runs.addCheckpoint(this, c);
  getCheckpoint = (id: number) => runs.getCheckpoint(this, id);
  listCheckpoints = (runId?: number) => runs.listCheckpoints(this, runId);

  createBatchJob = (j: { kind: string; checkpointId?: number | null; source?: string | null; output?: string | null; config?: JsonObject; items?: string[] }) => batchJobs.createBatchJob(this, j);
  getBatchJob = (id: number) => batchJobs.getBatchJob(this, id);
  listBatchJobs = () => batchJobs.listBatchJobs(this);
  updateBatchJob = (id: number, u: { status?: RunStatus; error?: string | null }) => batchJobs.updateBatchJob(this, id, u);
  addBatchJobItems = (jobId: number, sourcePaths: string[]) => batchJobs.addBatchJobItems(this, jobId, sourcePaths);
  listBatchJobItems = (jobId: number, opts: { status?: BatchItemStatus; limit?: number; offset?: number } = {}) => batchJobs.listBatchJobItems(this, jobId, opts);
  updateBatchJobItem = (itemId: number, u: { status: BatchItemStatus; imageId?: number | null; result?: JsonObject | null; error?: string | null }) => batchJobs.updateBatchJobItem(this, itemId, u);
  batchJobProgress = (jobId: number) => batchJobs.batchJobProgress(this, jobId);

  /** A project setting (JSON value), or null when unset. */
  getSetting = (key: string) => settings.getSetting(this, key);
  /** Sets (or with null, clears) a project setting. */
  setSetting = (key: string, value: unknown) => settings.setSetting(this, key, value);

  putEmbedding = (e: { imageId: number; modelKey: string; path: string }) => embeddings.putEmbedding(this, e);
  getEmbedding = (imageId: number, modelKey: string) => embeddings.getEmbedding(this, imageId, modelKey);
  deleteEmbeddings = (modelKey?: string) => embeddings.deleteEmbeddings(this, modelKey);
}
