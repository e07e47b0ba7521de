// The implementation of the typed API over the project store, the import pipeline and the SAM
// predictor. Runs in the serve process or the Electron main process, never in the renderer; both
// transports call `call(method, params)` and `binary(route)`.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ProjectStore, StoreError } from '../store/projectStore.js';
import { importFolder } from '../dataset/folderImport.js';
import { IMAGE_STATUSES, SPLITS, type ImageRecord, type MaskSource } from '../store/storeTypes.js';
import {
  API_METHODS,
  type ApiEvent,
  type ApiMethod,
  type ApiParams,
  type ApiResult,
  type BinaryRoute,
  type ImageRow,
  type ProjectSummary,
} from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { asObject, hexColor, intList, labelMask, oneOf, optBool, optInt, optOneOfList, optString, reqInt, reqString } from './paramCheck.js';
import { RecentProjects, pasamHome } from './recentProjects.js';
import { checkTileLevel, decodeLevel, encodeTile, renderThumbnail, type RawImage } from './imageRender.js';
import { SamWorkerClient } from './samWorkerClient.js';
import { activeRun } from './modelPrediction.js';
import { FineTuneService } from './fineTuneService.js';
import { datasetHandlers } from './datasetUseCases.js';

export interface ApiServiceOptions {
  transport: 'http' | 'electron';
  /** Project to open at start. */
  projectDir?: string;
  /** Folder whose sub-folders are listed as projects. */
  workspaceDir?: string;
  home?: string;
  /** Native folder picker (Electron); absent in the browser, whose UI browses with host.listDir. */
  pickDirectory?: (title: string) => Promise<string | null>;
}

type Handler<M extends ApiMethod> = (params: Record<string, unknown>) => Promise<ApiResult<M>> | ApiResult<M>;

const VERSION = '0.1.0';
const MASK_SOURCES: readonly MaskSource[] = ['import', 'manual', 'sam', 'model'];
const DECODED_LEVELS_KEPT = 4;

export class ApiService {
  private store: ProjectStore | null = null;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly recent: RecentProjects;
  private readonly levels = new Map<string, Promise<RawImage>>();
  readonly sam: SamWorkerClient;
  readonly fineTune: FineTuneService;
  private readonly handlers: { [M in ApiMethod]: Handler<M> };

  constructor(private readonly opts: ApiServiceOptions) {
    const home = opts.home ?? pasamHome();
    this.recent = RecentProjects.inHome(home);
    // SAM runs in a worker thread: the encoder's seconds must never delay a mask save.
    this.sam = new SamWorkerClient((e) => this.emit(e));
    this.fineTune = new FineTuneService({ requireStore: () => this.requireStore(), requireImage: (id) => this.requireImage(id), emit: (e) => this.emit(e) });
    if (opts.projectDir) this.openProject(opts.projectDir);
    this.handlers = {
      'host.info': () => ({
        version: VERSION,
        transport: this.opts.transport,
        projectDir: this.store?.dir ?? null,
        workspaceDir: this.opts.workspaceDir ? resolve(this.opts.workspaceDir) : null,
        homeDir: homedir(),
        nativeDialogs: Boolean(this.opts.pickDirectory),
      }),
      'host.listDir': (p) => this.listDir(reqString(p, 'path')),
      'host.pickDirectory': async (p) => ({ path: this.opts.pickDirectory ? await this.opts.pickDirectory(optString(p, 'title') ?? 'Choose a folder') : null }),
      'projects.recent': () => this.recentProjects(),
      'projects.create': (p) => {
        const dir = absolutePath(reqString(p, 'dir'));
        const name = reqString(p, 'name', 200);
        const classes = Array.isArray(p.classes) ? p.classes.map((c, i) => asObject(c, `classes[${i}]`)) : [];
        const store = ProjectStore.create(dir, { name, classes: classes.map((c) => reqString(c, 'name', 64)) });
        for (const c of classes) if (c.color !== undefined) store.setClassColor(reqString(c, 'name', 64), hexColor(c, 'color'));
        store.close();
        return this.openProject(dir);
      },
      'projects.open': (p) => this.openProject(absolutePath(reqString(p, 'dir'))),
      'projects.current': () => (this.store ? this.summary(this.store) : null),
      'classes.add': (p) => {
        const store = this.requireStore();
        store.addClass(reqString(p, 'name', 64), hexColor(p, 'color'));
        this.emit({ type: 'project.opened', project: this.summary(store) });
        return store.listClasses();
      },
      'classes.update': (p) => {
        const store = this.requireStore();
        const index = reqInt(p, 'index', 1);
        const current = store.listClasses().find((c) => c.index === index);
        if (!current) throw new ApiError('not-found', `no class with index ${index}`);
        const name = optString(p, 'name', 64);
        const color = p.color === undefined ? undefined : hexColor(p, 'color');
        store.transaction(() => {
          if (color) store.setClassColor(current.name, color);
          if (name && name !== current.name) store.renameClass(current.name, name);
        });
        this.emit({ type: 'project.opened', project: this.summary(store) });
        return store.listClasses();
      },
      'images.import': (p) => this.importImages(reqString(p, 'path'), optString(p, 'masks'), optString(p, 'format')),
      'images.list': (p) => this.listImages(asObject(p.filter, 'filter')),
      'images.get': (p) => {
        const store = this.requireStore();
        const image = this.requireImage(reqInt(p, 'id', 1));
        return { image, latestMask: store.latestMask(image.id) };
      },
      'images.setSplit': (p) => {
        const ids = intList(p, 'ids');
        const updated = this.requireStore().setSplit(ids, oneOf(p, 'split', SPLITS), { lock: true });
        this.emit({ type: 'images.changed', ids });
        return { updated };
      },
      'images.setStatus': (p) => {
        const ids = intList(p, 'ids');
        const updated = this.requireStore().setStatus(ids, oneOf(p, 'status', IMAGE_STATUSES));
        this.emit({ type: 'images.changed', ids });
        return { updated };
      },
      'masks.get': (p) => {
        const store = this.requireStore();
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        const versionId = optInt(p, 'versionId', 1);
        const version = versionId === undefined ? store.latestMask(image.id) : store.getMaskVersion(versionId);
        if (versionId !== undefined && (!version || version.imageId !== image.id)) throw new ApiError('not-found', `image ${image.id} has no mask version ${versionId}`);
        if (!version) return { version: null, mask: null };
        return { version, mask: { width: image.width, height: image.height, data: store.readMask(version) } };
      },
      'masks.versions': (p) => this.requireStore().maskHistory(this.requireImage(reqInt(p, 'imageId', 1)).id),
      'masks.save': (p) => {
        const store = this.requireStore();
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        const mask = labelMask(p, 'mask');
        if (mask.width !== image.width || mask.height !== image.height) {
          throw new ApiError('bad-request', `mask is ${mask.width}×${mask.height} but image ${image.id} (${image.originalName}) is ${image.width}×${image.height}`);
        }
        // The store writes the PNG (fsync + rename) and the row (SQLite WAL) before we answer.
        const source = oneOf(p, 'source', MASK_SOURCES);
        const runId = p.runId === undefined ? null : reqInt(p, 'runId', 1);
        if (runId !== null && !store.getRun(runId)) throw new ApiError('bad-request', `no training run with id ${runId}`);
        const version = store.addMaskVersion(image.id, mask.data, { source, note: optString(p, 'note', 500) ?? null, runId });
        // An accepted SAM mask is the user's annotation too (the store marks only manual saves).
        if (source === 'sam' && image.status === 'new') store.setStatus([image.id], 'annotated');
        this.emit({ type: 'mask.saved', imageId: image.id, version });
        return version;
      },
      'sam.status': () => this.sam.status(),
      'sam.setImage': async (p) => {
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        const store = this.requireStore();
        return this.sam.setImage(image, store.imagePath(image), store.dir);
      },
      'sam.predict': async (p) => {
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        const points = Array.isArray(p.points) ? p.points.map((x, i) => {
          const o = asObject(x, `points[${i}]`);
          const label = reqInt(o, 'label', 0);
          if (label > 1) throw new ApiError('bad-request', `points[${i}].label must be 0 or 1`);
          return { x: finite(o, 'x'), y: finite(o, 'y'), label: label as 0 | 1 };
        }) : [];
        let box: [number, number, number, number] | null = null;
        if (Array.isArray(p.box)) {
          if (p.box.length !== 4 || p.box.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new ApiError('bad-request', "'box' must be [x0, y0, x1, y1]");
          box = p.box as [number, number, number, number];
        }
        if (points.length === 0 && !box) throw new ApiError('bad-request', 'give at least one point or a box');
        const store = this.requireStore();
        return this.sam.predict(image, store.imagePath(image), store.dir, points, box);
      },
      // The active model predicts in the SAM worker thread, so the UI's saves never wait on it.
      'model.predict': async (p) => {
        const store = this.requireStore();
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        activeRun(store); // a clear error before starting the worker when there is no model
        return this.sam.modelPredict(store.dir, image.id);
      },
      ...this.fineTune.handlers,
      ...datasetHandlers({
        requireStore: () => this.requireStore(),
        absolutePath,
        emit: (e) => this.emit(e),
        imported: (store) => {
          this.emit({ type: 'images.changed', ids: null });
          this.emit({ type: 'project.opened', project: this.summary(store) });
        },
      }),
    };
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a broken listener must not break the API */
      }
    }
  }

  /** Typed call for in-process use (Electron main, tests). */
  async invoke<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    return (await this.call(method, params)) as ApiResult<M>;
  }

  async call(method: string, params: unknown): Promise<unknown> {
    if (!(API_METHODS as readonly string[]).includes(method)) throw new ApiError('not-found', `unknown API method '${method}'`);
    const handler = this.handlers[method as ApiMethod] as Handler<ApiMethod>;
    try {
      return await handler(asObject(params));
    } catch (err) {
      if (err instanceof StoreError) throw new ApiError('bad-request', err.message);
      throw err;
    }
  }

  async binary(route: BinaryRoute): Promise<{ contentType: string; body: Buffer }> {
    const store = this.requireStore();
    const image = this.requireImage(route.imageId);
    const file = store.imagePath(image);
    if (route.kind === 'thumb') return { contentType: 'image/jpeg', body: await this.thumbnail(store, image, file) };
    checkTileLevel(image.width, image.height, route.level);
    const level = await this.decodedLevel(image, file, route.level);
    return { contentType: 'image/png', body: await encodeTile(level, route.x, route.y) };
  }

  close(): void {
    this.fineTune.close();
    this.sam.dispose();
    this.store?.close();
    this.store = null;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private requireStore(): ProjectStore {
    if (!this.store) throw new ApiError('no-project', 'no project is open');
    return this.store;
  }

  private requireImage(id: number): ImageRecord {
    const image = this.requireStore().getImage(id);
    if (!image) throw new ApiError('not-found', `no image with id ${id}`);
    return image;
  }

  private summary(store: ProjectStore): ProjectSummary {
    return { dir: store.dir, name: store.info().name, classes: store.listClasses(), imageCount: store.countImages() };
  }

  private openProject(dir: string): ProjectSummary {
    const store = ProjectStore.open(dir);
    this.store?.close();
    this.store = store;
    this.levels.clear();
    this.sam.clearImage();
    const summary = this.summary(store);
    try {
      this.recent.touch(store.dir, summary.name);
    } catch {
      /* the recent list is a convenience; an unwritable home must not block opening */
    }
    this.emit({ type: 'project.opened', project: summary });
    return summary;
  }

  private recentProjects(): ApiResult<'projects.recent'> {
    const out = this.recent.list().filter((r) => ProjectStore.isProject(r.dir));
    const ws = this.opts.workspaceDir;
    if (ws && existsSync(ws)) {
      for (const name of readdirSync(ws).sort()) {
        const dir = resolve(ws, name);
        if (!out.some((r) => r.dir === dir) && ProjectStore.isProject(dir)) out.push({ dir, name, openedAt: null });
      }
    }
    return out;
  }

  private listDir(path: string): ApiResult<'host.listDir'> {
    const dir = absolutePath(path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw new ApiError('not-found', `${dir}: cannot list (${err instanceof Error ? err.message : String(err)})`);
    }
    const entries = names
      .filter((n) => !n.startsWith('.'))
      .map((name) => ({ name, path: join(dir, name) }))
      .filter((e) => {
        try {
          return statSync(e.path).isDirectory();
        } catch {
          return false;
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => ({ ...e, isProject: ProjectStore.isProject(e.path) }));
    const parent = dirname(dir);
    return { path: dir, parent: parent === dir ? null : parent, entries };
  }

  private listImages(f: Record<string, unknown>): ApiResult<'images.list'> {
    const store = this.requireStore();
    const records = store.listImages({
      split: optOneOfList(f, 'split', SPLITS),
      status: optOneOfList(f, 'status', IMAGE_STATUSES),
      classIndex: optInt(f, 'classIndex', 1),
      hasPrediction: optBool(f, 'hasPrediction'),
      nameContains: optString(f, 'nameContains', 200),
    });
    // One pass over the mask tables instead of a query per image (10,000 rows stay fast).
    const latest = new Map<number, { version: number; id: number; predicted: number }>();
    for (const r of store.db.prepare("SELECT image_id, MAX(version) AS version, MAX(id) AS id, MAX(source = 'model') AS predicted FROM mask_versions GROUP BY image_id").all() as {
      image_id: number;
      version: number;
      id: number;
      predicted: number;
    }[]) latest.set(r.image_id, r);
    const classes = new Map<number, number[]>();
    for (const r of store.db
      .prepare('SELECT l.image_id AS image_id, mc.class_idx AS idx FROM (SELECT image_id, MAX(id) AS id FROM mask_versions GROUP BY image_id) l JOIN mask_classes mc ON mc.mask_version_id = l.id ORDER BY mc.class_idx')
      .all() as { image_id: number; idx: number }[]) {
      const list = classes.get(r.image_id) ?? [];
      list.push(r.idx);
      classes.set(r.image_id, list);
    }
    const items: ImageRow[] = records.map((r) => ({
      id: r.id,
      name: r.originalName,
      width: r.width,
      height: r.height,
      split: r.split,
      status: r.status,
      maskVersion: latest.get(r.id)?.version ?? 0,
      hasPrediction: (latest.get(r.id)?.predicted ?? 0) > 0,
      classes: classes.get(r.id) ?? [],
    }));
    return { total: items.length, items };
  }

  private async importImages(path: string, masks: string | undefined, format: string | undefined): Promise<ApiResult<'images.import'>> {
    const store = this.requireStore();
    if (format !== undefined && format !== 'folder') throw new ApiError('bad-request', `import format '${format}' is not available here (use 'folder')`);
    const source = absolutePath(path);
    if (!existsSync(source) || !statSync(source).isDirectory()) throw new ApiError('not-found', `${source}: no such folder`);
    let last = 0;
    const report = await importFolder(store, source, {
      masks: masks === undefined ? undefined : absolutePath(masks),
      onProgress: (phase, done, total) => {
        const now = Date.now();
        if (now - last < 250 && done !== total) return;
        last = now;
        this.emit({ type: 'import.progress', done, total: total ?? 0, file: phase });
      },
    });
    this.emit({ type: 'images.changed', ids: null });
    this.emit({ type: 'project.opened', project: this.summary(store) });
    return report;
  }

  private async thumbnail(store: ProjectStore, image: ImageRecord, file: string): Promise<Buffer> {
    const mask = store.latestMask(image.id);
    const classes = store.listClasses();
    const colorKey = createHash('sha256').update(classes.map((c) => `${c.index}${c.color}`).join()).digest('hex').slice(0, 8);
    const cacheFile = join(store.dir, 'cache', 'thumbs', image.sha256.slice(0, 2), `${image.sha256.slice(0, 24)}-${mask ? mask.sha256.slice(0, 16) : 'none'}-${colorKey}.jpg`);
    if (existsSync(cacheFile)) return readFileSync(cacheFile);
    const body = await renderThumbnail(file, image.width, image.height, mask ? store.readMask(mask) : null, classes);
    try {
      // A cache, not data: rename for atomicity, no fsync (a lost thumbnail is simply redrawn).
      mkdirSync(dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, body);
      renameSync(tmp, cacheFile);
    } catch {
      /* a read-only project still shows thumbnails, just without the cache */
    }
    return body;
  }

  private decodedLevel(image: ImageRecord, file: string, level: number): Promise<RawImage> {
    const key = `${image.id}:${level}`;
    let p = this.levels.get(key);
    if (p) {
      this.levels.delete(key);
      this.levels.set(key, p);
      return p;
    }
    p = decodeLevel(file, image.width, image.height, level);
    p.catch(() => this.levels.delete(key));
    this.levels.set(key, p);
    while (this.levels.size > DECODED_LEVELS_KEPT) this.levels.delete(this.levels.keys().next().value as string);
    return p;
  }
}

function absolutePath(p: string): string {
  const expanded = p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
  if (!isAbsolute(expanded)) throw new ApiError('bad-request', `'${p}' must be an absolute path`);
  return resolve(expanded);
}

function finite(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiError('bad-request', `'${key}' must be a number`);
  return v;
}
