// `folder` and `mask-png`: images, optionally with class-index PNG masks matched by file stem —
// either in a masks folder beside an images folder (images/x.jpg + masks/x.png) or beside the
// image as <stem>_mask.png. A manifest.csv with a split column sets splits (the NEU-Seg layout);
// classes.json ([{index, name, color}], what `pasam export --format mask-png` writes) names values.
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { decodeIndexMask } from '../maskDecode.js';
import { findChildDir, isImageFile, listFiles, readJsonFile, stemOf } from '../sourceFiles.js';
import { maskProblem, manifestGroup, manifestSplit, readBytes, readManifest, splitFromPath } from './common.js';
import type { ReadContext, Reader, ReaderCandidate, SourceClass } from './readerTypes.js';

export const IMAGE_DIR_NAMES = ['images', 'image', 'imgs', 'img'];
export const MASK_DIR_NAMES = ['masks', 'mask', 'labels', 'label', 'annotations', 'gt', 'ground_truth', 'groundtruth'];
const MASK_SUFFIX = /[_-]mask$/i;

export function isMaskStem(stem: string): boolean {
  return MASK_SUFFIX.test(stem);
}

/** classes.json beside the masks or at the root: [{ index, name, color? }]. */
export function readClassesJson(dir: string): SourceClass[] | null {
  const p = join(dir, 'classes.json');
  if (!existsSync(p)) return null;
  const parsed = readJsonFile(p);
  const list = Array.isArray(parsed) ? parsed : (parsed as { classes?: unknown }).classes;
  if (!Array.isArray(list)) throw new Error(`${p}: expected a list of {index, name}`);
  return list.map((c: { index?: unknown; name?: unknown; color?: unknown } | null) => {
    if (typeof c !== 'object' || c === null) throw new Error(`${p}: every class must be an object {index, name}`);
    if (!Number.isInteger(c.index) || typeof c.name !== 'string') throw new Error(`${p}: every class needs an integer index and a name`);
    return { value: c.index as number, name: c.name, ...(typeof c.color === 'string' ? { color: c.color } : {}) };
  });
}

export async function* readFolder(source: string, opts: { requireMasks: boolean }, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  const imagesDir = findChildDir(source, IMAGE_DIR_NAMES);
  const masksDir = findChildDir(source, MASK_DIR_NAMES);
  if (opts.requireMasks && !masksDir && !listFiles(source).some((f) => isMaskStem(stemOf(f)))) {
    throw new Error(`${source}: no masks folder (${MASK_DIR_NAMES.join('/')}) and no <stem>_mask files`);
  }
  const imageRoot = imagesDir ?? source;
  const images = listFiles(imageRoot).filter((f) => isImageFile(f) && !isMaskStem(stemOf(f)) && !(masksDir && f.startsWith(masksDir + '/')));
  // Masks by relative path without extension first, then by stem.
  const masksByRel = new Map<string, string>();
  const masksByStem = new Map<string, string[]>();
  const addMask = (f: string, root: string) => {
    const stem = stemOf(f).replace(MASK_SUFFIX, '');
    masksByRel.set(join(relative(root, dirname(f)), stem), f);
    masksByStem.set(stem, [...(masksByStem.get(stem) ?? []), f]);
  };
  if (masksDir) for (const f of listFiles(masksDir)) if (isImageFile(f)) addMask(f, masksDir);
  for (const f of listFiles(source)) if (isImageFile(f) && isMaskStem(stemOf(f)) && !(masksDir && f.startsWith(masksDir + '/'))) addMask(f, imageRoot);

  const manifest = readManifest(join(source, 'manifest.csv'));
  if (manifest) notes.push(`manifest.csv: ${manifest.rows.size} rows${manifest.columns.some((c) => c.toLowerCase() === 'split') ? ', split column used' : ''}`);
  const named = readClassesJson(masksDir ?? source) ?? readClassesJson(source);
  if (named) {
    notes.push(`classes.json names ${named.length} classes`);
    for (const c of named) ctx.declare(c);
  }
  const seenValues = new Set<number>();
  let unmatched = 0;
  for (const file of images) {
    const stem = stemOf(file);
    const rel = join(relative(imageRoot, dirname(file)), stem);
    const byStem = masksByStem.get(stem) ?? [];
    const maskFile = masksByRel.get(rel) ?? (byStem.length === 1 ? byStem[0] : undefined);
    const bytes = readBytes(file, problems);
    if (!bytes) continue;
    const c: ReaderCandidate = { sourcePath: file, originalName: basename(file), imageBytes: bytes };
    const split = manifestSplit(manifest, stem) ?? splitFromPath(imageRoot, file);
    if (split) c.split = split;
    const group = manifestGroup(manifest, stem);
    if (group) c.groupKey = group;
    if (maskFile) {
      const mb = readBytes(maskFile, problems);
      if (!mb) continue;
      try {
        const m = await decodeIndexMask(mb);
        for (const v of m.values) {
          if (v === 0 || seenValues.has(v)) continue;
          seenValues.add(v);
          if (!named?.some((n) => n.value === v)) ctx.declare({ value: v, name: null });
        }
        c.mask = { ...m, sourcePath: maskFile };
      } catch (err) {
        problems.push(maskProblem(maskFile, err));
        continue;
      }
    } else if (byStem.length > 1) {
      problems.push({ file, reason: 'invalid annotation', detail: `${byStem.length} masks share the stem '${stem}' (${byStem.map((f) => relative(source, f)).join(', ')}); put them beside their images` });
      continue;
    } else unmatched++;
    yield c;
  }
  if (unmatched && (masksDir || opts.requireMasks)) notes.push(`${unmatched} images have no mask and are imported unannotated`);
}
