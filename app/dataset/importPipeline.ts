// Adds import candidates (from any format reader) to a project: decode and validate every file,
// store the content files, then insert all rows in ONE transaction. A failing import adds nothing.
import { existsSync } from 'node:fs';
import type { ImportCandidate, ImportProblem, ImportReport, SkipReason } from './importTypes.js';
import type { ProjectStore, NewImage } from '../store/projectStore.js';
import { classPixelCounts } from '../store/projectStore.js';
import { sha256Hex } from '../store/contentStore.js';
import type { Split } from '../store/storeTypes.js';
import { SPLITS } from '../store/storeTypes.js';
import { decodeImage, encodeMaskPng, ImageDecodeError, storableImage } from '../images/imageIO.js';
import { IMPORT_LOCK } from '../store/contentRepair.js';
import { lockProject, type LockHolder } from '../store/projectLock.js';
import { StoreError } from '../store/projectStore.js';

/**
 * What each kind of problem does to an import. 'fail': the whole import is refused (nothing
 * added, every such file listed). 'skip': the file is left out and reported, the rest goes in.
 * Unsupported = a file we cannot read by design (a .txt in the folder, GIF, RLE BMP); corrupt = a
 * damaged file that claims to be an image — the user must fix it, so it fails the import.
 */
export const IMPORT_POLICY: Record<SkipReason, 'fail' | 'skip'> = {
  corrupt: 'fail',
  'mask size mismatch': 'fail',
  'unknown class value': 'fail',
  'invalid annotation': 'fail',
  'over limit': 'fail',
  unsupported: 'skip',
  duplicate: 'skip',
};

export function isFatal(p: ImportProblem): boolean {
  return IMPORT_POLICY[p.reason] === 'fail';
}

export type ImportPhase = 'validate' | 'commit';

export interface ImportOptions {
  /** Format name recorded with the import ('folder', 'coco', ...). */
  format: string;
  /** Source path recorded with the import. */
  source: string;
  detected?: string;
  /** Split for candidates that carry none (default 'unassigned'). */
  split?: Split;
  /**
   * Problems the reader found (non-image files, unreadable annotations). The pipeline reads it
   * after it has consumed every candidate, so a lazy reader may keep appending while it yields.
   */
  problems?: ImportProblem[];
  unmatchedMasks?: string[];
  /** Files decoded in parallel (libvips runs off the main thread). */
  concurrency?: number;
  onProgress?: (phase: ImportPhase, done: number, total: number | null) => void;
  /**
   * Classes the import brings (indices K+1, K+2, ... in order): masks may use them, and they are
   * added in the same transaction as the images, so a failed or killed import adds no class.
   * A lazy reader may append to it while it yields (before yielding a mask that uses the class).
   */
  newClasses?: { name: string; color?: string }[];
  /** Told when another import into this project is running and this one waits for it. */
  onLockWait?: (holder: LockHolder) => void;
  /** The caller already holds the project's import lock (see withImportLock). */
  holdsImportLock?: boolean;
}

/**
 * Runs `fn` holding the project's import lock. Imports into one project run one after another:
 * a failing import's clean-up then never races another import's use of the same content files,
 * and classes are resolved against the project as the previous import left it.
 */
export async function withImportLock<T>(store: ProjectStore, source: string, onWait: ImportOptions['onLockWait'], fn: () => Promise<T>): Promise<T> {
  const { lock } = await lockProject(store, IMPORT_LOCK, `import of ${source}`, { onWait });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

interface Checked {
  order: number;
  candidate: Pick<ImportCandidate, 'sourcePath' | 'originalName' | 'split' | 'groupKey'>;
  image?: NewImage;
  problems: ImportProblem[];
  /** Files this import created in the content store (deleted again if it fails). */
  created: { kind: 'images' | 'masks'; sha256: string; ext: string }[];
}

async function checkCandidate(store: ProjectStore, c: ImportCandidate, order: number, classCount: number, defaultSplit: Split): Promise<Checked> {
  const out: Checked = { order, candidate: { sourcePath: c.sourcePath, originalName: c.originalName, split: c.split, groupKey: c.groupKey }, problems: [], created: [] };
  let decoded;
  try {
    decoded = await decodeImage(c.imageBytes, c.sourcePath);
  } catch (err) {
    if (err instanceof ImageDecodeError) out.problems.push({ file: c.sourcePath, reason: err.reason, detail: err.detail });
    else out.problems.push({ file: c.sourcePath, reason: 'corrupt', detail: err instanceof Error ? err.message : String(err) });
    return out;
  }
  let mask: NewImage['mask'];
  let maskPng: Buffer | null = null;
  if (c.mask) {
    const m = c.mask;
    if (m.width !== decoded.width || m.height !== decoded.height) {
      out.problems.push({ file: m.sourcePath, reason: 'mask size mismatch', detail: `mask is ${m.width}×${m.height} but image ${c.sourcePath} is ${decoded.width}×${decoded.height}` });
    } else if (m.data.length !== m.width * m.height) {
      out.problems.push({ file: m.sourcePath, reason: 'invalid annotation', detail: `mask has ${m.data.length} values for ${m.width}×${m.height}` });
    } else {
      const counts = classPixelCounts(m.data);
      const unknown = [...counts.keys()].filter((v) => v > classCount);
      if (unknown.length) {
        out.problems.push({
          file: m.sourcePath,
          reason: 'unknown class value',
          detail: `mask has value(s) ${unknown.join(', ')} (${unknown.map((v) => counts.get(v)).join(', ')} px) but the project has ${classCount} class(es) (values 0..${classCount}); add classes first`,
        });
      } else {
        maskPng = encodeMaskPng(m.data, m.width, m.height);
        mask = { sha256: sha256Hex(maskPng), classPixels: counts };
      }
    }
  }
  if (out.problems.length) return out;
  const stored = await storableImage(c.imageBytes, decoded);
  const sha256 = sha256Hex(stored.bytes);
  const [img, msk] = await Promise.all([
    store.content.putAsync('images', stored.bytes, stored.ext, sha256),
    maskPng && mask ? store.content.putAsync('masks', maskPng, 'png', mask.sha256) : null,
  ]);
  if (img.created) out.created.push({ kind: 'images', sha256, ext: stored.ext });
  if (msk?.created) out.created.push({ kind: 'masks', sha256: mask!.sha256, ext: 'png' });
  out.image = {
    sha256,
    ext: stored.ext,
    originalName: c.originalName,
    sourcePath: c.sourcePath,
    width: decoded.width,
    height: decoded.height,
    split: c.split ?? defaultSplit,
    groupKey: c.groupKey ?? null,
    conversion: decoded.conversion,
    status: mask ? 'annotated' : 'new',
    mask,
  };
  return out;
}

/**
 * Validates and adds `candidates` to the project. Returns the report; `report.failed` is true when
 * a fatal problem (see IMPORT_POLICY) refused the import, in which case nothing was added.
 * Throws only for errors of the project itself (disk full, database locked).
 */
export async function runImport(store: ProjectStore, candidates: Iterable<ImportCandidate> | AsyncIterable<ImportCandidate>, opts: ImportOptions): Promise<ImportReport> {
  if (!opts.holdsImportLock) return withImportLock(store, opts.source, opts.onLockWait, () => runImport(store, candidates, { ...opts, holdsImportLock: true }));
  const defaultSplit = opts.split ?? 'unassigned';
  if (!SPLITS.includes(defaultSplit)) throw new Error(`unknown split '${defaultSplit}' (use ${SPLITS.join(', ')})`);
  const baseClassCount = store.classCount();
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const results: Checked[] = [];
  const inFlight = new Set<Promise<void>>();
  let order = 0;
  let done = 0;
  const allCreated: Checked['created'] = [];
  const undoFiles = (): void => {
    // Decided inside a write transaction: a mask save stores its file and row in one such
    // transaction, so a file it has just (re)used is seen as referenced here and kept.
    store.transaction(() => {
      for (const f of allCreated) if (!store.contentReferenced(f.kind, f.sha256)) store.content.remove(f.kind, f.sha256, f.ext);
    });
  };
  try {
    for await (const c of candidates as AsyncIterable<ImportCandidate>) {
      const p: Promise<void> = checkCandidate(store, c, order++, baseClassCount + (opts.newClasses?.length ?? 0), defaultSplit).then((r) => {
        results.push(r);
        allCreated.push(...r.created);
        opts.onProgress?.('validate', ++done, null);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (err) {
    await Promise.allSettled(inFlight);
    undoFiles();
    throw err;
  }
  results.sort((a, b) => a.order - b.order);

  const problems: ImportProblem[] = [...(opts.problems ?? [])];
  const unique: NewImage[] = [];
  const firstBySha = new Map<string, string>();
  for (const r of results) {
    problems.push(...r.problems);
    if (!r.image) continue;
    const earlier = firstBySha.get(r.image.sha256);
    if (earlier !== undefined) {
      problems.push({ file: r.candidate.sourcePath, reason: 'duplicate', detail: `same image content as ${earlier} in this import; skipped` });
      continue;
    }
    firstBySha.set(r.image.sha256, r.candidate.sourcePath);
    unique.push(r.image);
  }
  const makeReport = (accepted: NewImage[], failed: boolean): ImportReport => ({
    format: opts.format,
    ...(opts.detected ? { detected: opts.detected } : {}),
    added: accepted.length,
    withMasks: accepted.filter((i) => i.mask).length,
    problems,
    conversions: accepted.filter((i) => i.conversion).map((i) => ({ file: i.sourcePath ?? i.originalName, conversion: i.conversion! })),
    failed,
    skipped: problems.filter((p) => !isFatal(p)).length,
    importId: null,
    unmatchedMasks: opts.unmatchedMasks ?? [],
  });
  if (problems.some(isFatal)) {
    undoFiles();
    return makeReport([], true);
  }
  try {
    store.content.syncDirs();
    // Checking for images already in the project inside the (immediate) write transaction means
    // a concurrent import of the same files by another process cannot make this one fail.
    return store.transaction(() => {
      // Every file a row will reference must exist now; deleters re-check references inside
      // their own transaction, so once committed the file stays.
      for (const image of unique) {
        const missing = [store.content.path('images', image.sha256, image.ext), ...(image.mask ? [store.content.path('masks', image.mask.sha256, 'png')] : [])].find((p) => !existsSync(p));
        if (missing) throw new StoreError(`${missing}: stored file of ${image.sourcePath ?? image.originalName} disappeared before the import committed; nothing was added, run the import again`);
      }
      const accepted: NewImage[] = [];
      for (const image of unique) {
        const existing = store.findImageBySha(image.sha256);
        if (existing) problems.push({ file: image.sourcePath ?? image.originalName, reason: 'duplicate', detail: `already in the project as image #${existing.id} (${existing.originalName})${existing.trashedAt ? ', in the Trash: restore it from there' : ''}; skipped` });
        else accepted.push(image);
      }
      const report = makeReport(accepted, false);
      if (accepted.length) report.importId = store.commitImport({ source: opts.source, format: opts.format, report, newClasses: opts.newClasses }, accepted, (n, total) => opts.onProgress?.('commit', n, total)).importId;
      return report;
    });
  } catch (err) {
    undoFiles();
    throw err;
  }
}
