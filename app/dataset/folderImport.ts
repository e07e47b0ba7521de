// Folder import: every png/jpg/jpeg/bmp/tif/tiff under a folder (recursive), with optional
// class-index masks from a second folder matched by file stem. Files are read lazily, one
// candidate at a time, so a large folder does not have to fit in memory.
//
// Mask matching: the mask at the same relative path (any mask extension) wins, e.g.
// images/a/b.jpg ↔ masks/a/b.png; otherwise a mask anywhere in the masks folder with the same
// stem, if exactly one has it. An ambiguous stem is an 'invalid annotation' problem.
// Non-image files in the image folder are reported as 'unsupported' and skipped (see
// IMPORT_POLICY); hidden files and folders (.DS_Store, .git) are ignored silently.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { decodeMaskPng, ImageDecodeError } from '../images/imageIO.js';
import { readBytes } from './formats/common.js';
import { readRegularFile, SourceFileError } from './sourceFiles.js';
import type { ImportCandidate, ImportProblem, ImportReport } from './importTypes.js';
import { runImport, type ImportOptions } from './importPipeline.js';
import type { ProjectStore } from '../store/projectStore.js';
import type { Split } from '../store/storeTypes.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'];
export const MASK_EXTENSIONS = ['.png', '.bmp', '.tif', '.tiff'];

export interface ScannedFile {
  path: string;
  /** Relative to the scanned root, '/'-separated. */
  rel: string;
}

/** Files under `root`, sorted by relative path; hidden entries and `exclude` (absolute) skipped. */
export function walkFiles(root: string, exclude: string[] = []): ScannedFile[] {
  const out: ScannedFile[] = [];
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    const real = realpathSync(dir);
    if (seen.has(real)) return; // a symlink loop or a folder linked twice
    seen.add(real);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (exclude.includes(full)) continue;
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isDirectory());
      if (isDir) visit(full);
      else out.push({ path: full, rel: relative(root, full).split(sep).join('/') });
    }
  };
  visit(root);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

const stemOf = (rel: string): string => rel.slice(0, rel.length - extname(rel).length);
const baseStem = (rel: string): string => stemOf(rel).split('/').pop()!;
const hasExt = (rel: string, exts: string[]): boolean => exts.includes(extname(rel).toLowerCase());

export interface FolderScan {
  images: ScannedFile[];
  /** Image → its mask file, when one matched. */
  maskFor: Map<string, ScannedFile>;
  problems: ImportProblem[];
  unmatchedMasks: string[];
}

export function scanFolder(source: string, masksDir?: string): FolderScan {
  const root = resolve(source);
  const st = statSync(root, { throwIfNoEntry: false });
  if (!st) throw new Error(`${root}: no such folder`);
  if (!st.isDirectory()) throw new Error(`${root}: is not a folder`);
  const maskRoot = masksDir === undefined ? undefined : resolve(masksDir);
  if (maskRoot !== undefined && !statSync(maskRoot, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${maskRoot}: masks folder not found`);
  const problems: ImportProblem[] = [];
  const images: ScannedFile[] = [];
  for (const f of walkFiles(root, maskRoot ? [maskRoot] : [])) {
    if (hasExt(f.rel, IMAGE_EXTENSIONS)) images.push(f);
    else problems.push({ file: f.path, reason: 'unsupported', detail: `not an image file (${extname(f.rel) || 'no extension'}; expected ${IMAGE_EXTENSIONS.join(' ')}); skipped` });
  }
  const maskFor = new Map<string, ScannedFile>();
  const unmatchedMasks: string[] = [];
  if (maskRoot !== undefined) {
    const masks = walkFiles(maskRoot).filter((m) => {
      if (hasExt(m.rel, MASK_EXTENSIONS)) return true;
      problems.push({ file: m.path, reason: 'unsupported', detail: `not a mask file (expected ${MASK_EXTENSIONS.join(' ')}); skipped` });
      return false;
    });
    const byRelStem = new Map<string, ScannedFile[]>();
    const byStem = new Map<string, ScannedFile[]>();
    for (const m of masks) {
      byRelStem.set(stemOf(m.rel), [...(byRelStem.get(stemOf(m.rel)) ?? []), m]);
      byStem.set(baseStem(m.rel), [...(byStem.get(baseStem(m.rel)) ?? []), m]);
    }
    const imagesPerStem = new Map<string, number>();
    for (const img of images) imagesPerStem.set(baseStem(img.rel), (imagesPerStem.get(baseStem(img.rel)) ?? 0) + 1);
    const used = new Set<string>();
    for (const img of images) {
      const exact = byRelStem.get(stemOf(img.rel)) ?? [];
      const loose = byStem.get(baseStem(img.rel)) ?? [];
      const pick = exact.length ? exact : loose;
      if (!exact.length && loose.length && imagesPerStem.get(baseStem(img.rel))! > 1) {
        problems.push({ file: img.path, reason: 'invalid annotation', detail: `mask ${loose.map((m) => m.rel).join(', ')} matches several images named '${baseStem(img.rel)}'; put masks at the same relative paths as the images` });
        loose.forEach((m) => used.add(m.path));
      } else if (pick.length === 1) {
        maskFor.set(img.path, pick[0]!);
        used.add(pick[0]!.path);
      } else if (pick.length > 1) {
        problems.push({ file: img.path, reason: 'invalid annotation', detail: `several masks match this image by name: ${pick.map((m) => m.rel).join(', ')}` });
        pick.forEach((m) => used.add(m.path));
      }
    }
    for (const m of masks) if (!used.has(m.path)) unmatchedMasks.push(m.path);
  }
  return { images, maskFor, problems, unmatchedMasks };
}

async function* folderCandidates(scan: FolderScan, problems: ImportProblem[], split?: Split): AsyncGenerator<ImportCandidate> {
  for (const img of scan.images) {
    const imageBytes = readBytes(img.path, problems);
    if (!imageBytes) continue;
    let mask: ImportCandidate['mask'];
    const mf = scan.maskFor.get(img.path);
    if (mf) {
      try {
        const m = await decodeMaskPng(readRegularFile(mf.path), mf.path);
        mask = { ...m, sourcePath: mf.path };
      } catch (err) {
        // an unreadable mask of a wanted image is never just skipped: the image would lose its labels
        const known = err instanceof ImageDecodeError || err instanceof SourceFileError ? err : null;
        const detail = known ? known.detail : err instanceof Error ? err.message : String(err);
        const reason = known?.reason === 'corrupt' || known?.reason === 'over limit' ? known.reason : 'invalid annotation';
        problems.push({ file: mf.path, reason, detail: `mask of ${img.rel}: ${detail}` });
        continue;
      }
    }
    yield { sourcePath: img.path, originalName: img.rel, imageBytes, mask, ...(split ? { split } : {}) };
  }
}

export interface FolderImportOptions {
  masks?: string;
  split?: Split;
  onProgress?: ImportOptions['onProgress'];
  concurrency?: number;
  onLockWait?: ImportOptions['onLockWait'];
  holdsImportLock?: boolean;
}

/** `pasam import <dir> <source> [--masks <folder>] [--split …]` */
export async function importFolder(store: ProjectStore, source: string, opts: FolderImportOptions = {}): Promise<ImportReport> {
  const scan = scanFolder(source, opts.masks);
  const problems = [...scan.problems];
  return runImport(store, folderCandidates(scan, problems, opts.split), {
    format: 'folder',
    source: resolve(source),
    split: opts.split,
    problems,
    unmatchedMasks: scan.unmatchedMasks,
    onProgress: opts.onProgress,
    concurrency: opts.concurrency,
    onLockWait: opts.onLockWait,
    holdsImportLock: opts.holdsImportLock,
  });
}
