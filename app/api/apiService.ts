// The implementation of the typed API over the project store, the import pipeline and the SAM
// predictor. Runs in the serve process or the Electron main process, never in the renderer; both
// transports call `call(method, params)` and `binary(route)`.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ProjectStore, UsageError } from '../store/projectStore.js';
import { importFolder } from '../dataset/folderImport.js';
import { IMAGE_STATUSES, SPLITS, type ImageRecord, type MaskSource } from '../store/storeTypes.js';
import {
  API_METHODS,
  type ApiEvent,
  type ApiMethod,
  type ApiParams,
  type ApiResult,
  type BinaryRoute,
  type ProjectSummary,
} from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { asObject, hexColor, intList, labelMask, oneOf, optBool, optInt, optOneOfList, optString, reqInt, reqString } from './paramCheck.js';
import { RecentProjects, pasamHome } from './recentProjects.js';
import { checkTileLevel, encodeTile } from './imageRender.js';
import { DecodedLevels, thumbnail } from './imageCache.js';
import { absolutePath, listDir, recentProjects } from './hostFiles.js';
import { createProject, imageRows, maskOf, saveMask, updateClass } from './annotationUseCases.js';
import { SamWorkerClient } from './samWorkerClient.js';
import { activeRun } from './modelPrediction.js';
import { FineTuneService } from './fineTuneService.js';
import { datasetHandlers } from './datasetUseCases.js';
import { predictionReviewHandlers } from './predictionReviews.js';
import { trashHandlers } from './trashUseCases.js';

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

export class ApiService {
  private store: ProjectStore | null = null;
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly recent: RecentProjects;
  private readonly levels = new DecodedLevels();
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
      'host.listDir': (p) => listDir(reqString(p, 'path')),
      'host.pickDirectory': async (p) => ({ path: this.opts.pickDirectory ? await this.opts.pickDirectory(optString(p, 'title') ?? 'Choose a folder') : null }),
      'projects.recent': () => recentProjects(this.recent, this.opts.workspaceDir),
      'projects.create': (p) => {
        const dir = absolutePath(reqString(p, 'dir'));
        const classes = (Array.isArray(p.classes) ? p.classes : []).map((c, i) => {
          const o = asObject(c, `classes[${i}]`);
          return { name: reqString(o, 'name', 64), color: o.color === undefined ? undefined : hexColor(o, 'color') };
        });
        createProject(dir, reqString(p, 'name', 200), classes);
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
        const classes = updateClass(store, reqInt(p, 'index', 1), { name: optString(p, 'name', 64), color: p.color === undefined ? undefined : hexColor(p, 'color') });
        this.emit({ type: 'project.opened', project: this.summary(store) });
        return classes;
      },
      'images.import': (p) => this.importImages(reqString(p, 'path'), optString(p, 'masks'), optString(p, 'format')),
      'images.list': (p) => {
        const f = asObject(p.filter, 'filter');
        return imageRows(this.requireStore(), {
          split: optOneOfList(f, 'split', SPLITS),
          status: optOneOfList(f, 'status', IMAGE_STATUSES),
          classIndex: optInt(f, 'classIndex', 1),
          hasPrediction: optBool(f, 'hasPrediction'),
          nameContains: optString(f, 'nameContains', 200),
          trashed: optBool(f, 'trashed'),
        });
      },
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
      'masks.get': (p) => maskOf(this.requireStore(), this.requireImage(reqInt(p, 'imageId', 1)), optInt(p, 'versionId', 1)),
      'masks.versions': (p) => this.requireStore().maskHistory(this.requireImage(reqInt(p, 'imageId', 1)).id),
      'masks.save': (p) => {
        const image = this.requireImage(reqInt(p, 'imageId', 1));
        const runId = p.runId === undefined ? null : reqInt(p, 'runId', 1);
        const version = saveMask(this.requireStore(), image, labelMask(p, 'mask'), oneOf(p, 'source', MASK_SOURCES), optString(p, 'note', 500) ?? null, runId);
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
      ...predictionReviewHandlers({ requireStore: () => this.requireStore(), requireImage: (id) => this.requireImage(id) }),
      ...trashHandlers({ requireStore: () => this.requireStore(), emit: (e) => this.emit(e), countsChanged: (store) => this.emit({ type: 'project.opened', project: this.summary(store) }) }),
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
      if (err instanceof UsageError) throw new ApiError('bad-request', err.message);
      throw err;
    }
  }

  async binary(route: BinaryRoute): Promise<{ contentType: string; body: Buffer }> {
    const store = this.requireStore();
    const image = this.requireImage(route.imageId);
    const file = store.imagePath(image);
    if (route.kind === 'thumb') return { contentType: 'image/jpeg', body: await thumbnail(store, image) };
    checkTileLevel(image.width, image.height, route.level);
    const level = await this.levels.get(image, file, route.level);
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

}

function finite(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiError('bad-request', `'${key}' must be a number`);
  return v;
}
