// Preparing a batch segmentation job before any image is read: the folder rules (the output can
// never be the input folder, lie inside it, or contain it), the files to segment, the mask names
// they get, whether an unfinished twin is resumed, and the output guard (a new job never replaces
// files it finds unless told to). `planBatchJob` answers all of it without writing anything.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import type { BatchJobRecord } from '../store/storeTypes.js';
import { walkFiles } from '../dataset/folderImport.js';
import { toJsonObject } from '../engine/runRecord.js';
import { BATCH_JOB_KIND, readBatchJobConfigOrNull, type BatchJobConfig, type BatchModelSource } from './batchJobRecord.js';
import { reportFiles } from './batchReport.js';
import { BatchUsageError } from './batchUsageError.js';
import { BatchOutputExistsError, existingOutputFiles, freeOutputFolder, type ExistingOutput, type PlannedOutput } from './batchOutputGuard.js';

/** Files the job segments (the store's decoders read all of them; BMP through our own decoder). */
export const BATCH_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp'];

export interface BatchJobOptions {
  input: string;
  output: string;
  model: BatchModelSource;
  overlay?: boolean;
  recursive?: boolean;
  /** Report path (`x.csv`, `x.json` or a stem); null: no report files. */
  report?: string | null;
}

const realOrResolved = (p: string): string => {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
};

const inside = (child: string, parent: string): boolean => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** Resolved folders, refusing an output that is, lies inside, or contains the input. */
export function checkBatchFolders(input: string, output: string): { input: string; output: string } {
  const inAbs = realOrResolved(input);
  if (!existsSync(inAbs) || !statSync(inAbs).isDirectory()) throw new BatchUsageError(`${resolve(input)}: no such folder`);
  const outAbs = realOrResolved(output);
  if (existsSync(outAbs) && !statSync(outAbs).isDirectory()) throw new BatchUsageError(`${outAbs}: exists and is not a folder`);
  if (outAbs === inAbs) throw new BatchUsageError(`the output folder must differ from the input folder (${inAbs})`);
  if (inside(outAbs, inAbs)) throw new BatchUsageError(`the output folder ${outAbs} lies inside the input folder ${inAbs}; choose a folder outside it`);
  if (inside(inAbs, outAbs)) throw new BatchUsageError(`the input folder ${inAbs} lies inside the output folder ${outAbs}; choose another output folder`);
  return { input: inAbs, output: outAbs };
}

export interface ScannedInput {
  rel: string;
  supported: boolean;
}

/** Files of the input folder ('/'-separated relative paths, sorted); hidden files are ignored. */
export function scanBatchInput(input: string, recursive: boolean): ScannedInput[] {
  const rels = recursive
    ? walkFiles(input).map((f) => f.rel)
    : readdirSync(input, { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.') && (e.isFile() || (e.isSymbolicLink() && statSync(join(input, e.name), { throwIfNoEntry: false })?.isFile())))
        .map((e) => e.name)
        .sort();
  return rels.map((rel) => ({ rel, supported: BATCH_IMAGE_EXTENSIONS.includes(extname(rel).toLowerCase()) }));
}

/** Mask paths (relative) for the items in id order: `a/b.jpg` → `a/b.png`; a later clash keeps the full name (`a/b.jpg.png`). */
export function maskPaths(rels: readonly string[]): string[] {
  const taken = new Set<string>();
  return rels.map((rel) => {
    let out = rel.slice(0, rel.length - extname(rel).length) + '.png';
    if (taken.has(out)) out = rel + '.png';
    taken.add(out);
    return out;
  });
}

function modelKey(m: BatchModelSource): string {
  return m.kind === 'run' ? `run:${m.runId}:${m.checkpoint ?? 'auto'}` : `model:${realOrResolved(m.path)}`;
}

/** The unfinished job of the same folders, model and options, if any (it is resumed, not restarted). */
export function findResumableJob(store: ProjectStore, input: string, output: string, cfg: Pick<BatchJobConfig, 'model' | 'recursive' | 'overlay'>): BatchJobRecord | null {
  const jobs = store.listBatchJobs().filter((j) => j.kind === BATCH_JOB_KIND && j.status !== 'completed' && j.source === input && j.output === output);
  for (const j of jobs.reverse()) {
    const c = readBatchJobConfigOrNull(j);
    if (c && c.model.key === cfg.model.key && c.recursive === cfg.recursive && c.overlay === cfg.overlay) return j;
  }
  return null;
}

/** What starting `opts` would do, before anything is written. */
export interface BatchJobPlan {
  input: string;
  output: string;
  /** The unfinished job that starting would resume (it writes over its own files; not checked). */
  resumes: number | null;
  /** The newest earlier job over the same two folders, whatever its model or options. */
  previous: { id: number; status: BatchJobRecord['status']; finishedAt: string | null } | null;
  /** Files a new job would write that are there already (all zero when it resumes). */
  existing: ExistingOutput;
  /** A sibling of the output folder that is free: where "write to a new folder" goes. */
  freeOutput: string;
}

interface ResolvedJob {
  input: string;
  output: string;
  files: ScannedInput[];
  resumable: BatchJobRecord | null;
  config: BatchJobConfig;
}

function resolveJob(store: ProjectStore, opts: BatchJobOptions): ResolvedJob {
  const { input, output } = checkBatchFolders(opts.input, opts.output);
  const recursive = opts.recursive ?? false;
  const overlay = opts.overlay ?? false;
  const model = { ...opts.model, key: modelKey(opts.model) } as BatchJobConfig['model'];
  if (model.kind === 'model') model.path = realOrResolved(model.path);
  else if (!store.getRun(model.runId)) throw new BatchUsageError(`no training run with id ${model.runId} in ${store.dir}`);
  const files = scanBatchInput(input, recursive);
  if (files.length === 0) throw new BatchUsageError(`${input}: no files to segment${recursive ? '' : ' (sub-folders are read with --recursive)'}`);
  const topLevel = new Set(files.map((f) => f.rel.split('/')[0]!));
  let overlayDir = 'overlays';
  for (let n = 2; topLevel.has(overlayDir); n++) overlayDir = `overlays-${n}`;
  const config: BatchJobConfig = { model, recursive, overlay, overlayDir, report: opts.report ? resolve(opts.report) : null };
  return { input, output, files, resumable: findResumableJob(store, input, output, config), config };
}

/** The files a new job over `files` writes: the same names runBatchJob gives them. */
function plannedOutput(files: readonly ScannedInput[], config: BatchJobConfig): PlannedOutput {
  const masks = maskPaths(files.map((f) => f.rel)).filter((_, k) => files[k]!.supported);
  const r = config.report ? reportFiles(config.report) : null;
  return { masks, overlays: config.overlay ? masks.map((m) => `${config.overlayDir}/${m}`) : [], reports: r ? [r.csv, r.classesCsv, r.json] : [] };
}

const NOTHING_EXISTS: ExistingOutput = { masks: 0, overlays: 0, reports: 0, total: 0, summary: 'no files', examples: [] };

function planOf(store: ProjectStore, job: ResolvedJob): BatchJobPlan {
  const earlier = store.listBatchJobs().filter((j) => j.kind === BATCH_JOB_KIND && j.source === job.input && j.output === job.output);
  const last = earlier[earlier.length - 1];
  return {
    input: job.input,
    output: job.output,
    resumes: job.resumable?.id ?? null,
    previous: last ? { id: last.id, status: last.status, finishedAt: last.finishedAt } : null,
    existing: job.resumable ? NOTHING_EXISTS : existingOutputFiles(job.output, plannedOutput(job.files, job.config)),
    freeOutput: freeOutputFolder(job.output),
  };
}

/** What prepareBatchJob would do for `opts` (resume, or a new job and the files it would replace); writes nothing. */
export function planBatchJob(store: ProjectStore, opts: BatchJobOptions): BatchJobPlan {
  return planOf(store, resolveJob(store, opts));
}

/**
 * Creates the job for `opts`, or reopens the unfinished job with the same folders, model and
 * options (adding files that appeared since). Unsupported files become 'skipped' items. A new job
 * whose output folder already holds files it would write is refused (BatchOutputExistsError)
 * unless `overwrite` is set.
 */
export function prepareBatchJob(store: ProjectStore, opts: BatchJobOptions & { overwrite?: boolean }): { job: BatchJobRecord; resumed: boolean; added: number } {
  const resolved = resolveJob(store, opts);
  const { files, resumable: existing, config } = resolved;
  if (existing) {
    const known = new Set(store.listBatchJobItems(existing.id).map((i) => i.sourcePath));
    const fresh = files.filter((f) => !known.has(f.rel));
    addItems(store, existing.id, fresh);
    return { job: existing, resumed: true, added: fresh.length };
  }
  if (!opts.overwrite) {
    const plan = planOf(store, resolved);
    if (plan.existing.total > 0) throw new BatchOutputExistsError(plan.output, plan.existing, plan.freeOutput);
  }
  const job = store.transaction(() => {
    const j = store.createBatchJob({ kind: BATCH_JOB_KIND, source: resolved.input, output: resolved.output, config: toJsonObject(config) });
    addItems(store, j.id, files);
    return j;
  });
  return { job, resumed: false, added: files.length };
}

function addItems(store: ProjectStore, jobId: number, files: readonly ScannedInput[]): void {
  if (files.length === 0) return;
  store.transaction(() => {
    store.addBatchJobItems(jobId, files.map((f) => f.rel));
    const unsupported = new Set(files.filter((f) => !f.supported).map((f) => f.rel));
    if (unsupported.size === 0) return;
    for (const it of store.listBatchJobItems(jobId, { status: 'pending' })) {
      if (unsupported.has(it.sourcePath)) store.updateBatchJobItem(it.id, { status: 'skipped', error: `${it.sourcePath}: unsupported file type '${extname(it.sourcePath) || '(none)'}' (expected ${BATCH_IMAGE_EXTENSIONS.join(' ')})` });
    }
  });
}

