// `class-folders`: one folder per class holding images and binary 0/255 masks (e.g. the
// magnetic-tile set: MT_Crack/Imgs/x.jpg + x.png). The class is the top folder's name; a folder
// named like defect-free ("MT_Free", "good", "ok", "normal") gives its images empty masks.
import { basename, dirname, extname, join, relative } from 'node:path';
import { decodeBinaryMask } from '../maskDecode.js';
import type { ImportProblem } from '../importTypes.js';
import { imageSize, isImageFile, listDirs, listFiles, stemOf } from '../sourceFiles.js';
import { maskProblem, readBytes, splitFromPath } from './common.js';
import { MASK_DIR_NAMES, isMaskStem } from './folder.js';
import type { ReadContext, ReadOptions, Reader, ReaderCandidate, SourceMask } from './readerTypes.js';

const DEFECT_FREE = /(^|[_\-\s])(free|good|ok|normal|clean|no[_\-\s]?defects?|defect[_\-\s]?free|negative)$/i;


/**
 * The all-background mask of a defect-free image (its size from the header), or null with a
 * 'corrupt' problem when the header cannot be read. Shared by class folders and MVTec 'good'.
 */
export async function emptyMaskOf(image: string, bytes: Buffer, problems: ImportProblem[]): Promise<SourceMask | null> {
  try {
    const { width, height } = await imageSize(bytes);
    return { width, height, values: new Uint16Array(width * height), sourcePath: image };
  } catch (err) {
    problems.push({ file: image, reason: 'corrupt', detail: `cannot read image header (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
    return null;
  }
}

export function isDefectFreeName(name: string): boolean {
  return DEFECT_FREE.test(name);
}

/** Pairs images with their masks inside one class folder. */
export function pairImagesAndMasks(dir: string): { image: string; mask: string | null }[] {
  const files = listFiles(dir).filter(isImageFile);
  const inMaskDir = (f: string) => relative(dir, f).split('/').some((p) => MASK_DIR_NAMES.includes(p.toLowerCase()));
  const maskCandidates = new Map<string, string>();
  const images: string[] = [];
  // Same stem in one folder: the non-PNG (or the one without _mask) is the image.
  const byDirStem = new Map<string, string[]>();
  for (const f of files) {
    const key = join(dirname(f), stemOf(f).replace(/[_-]mask$/i, ''));
    byDirStem.set(key, [...(byDirStem.get(key) ?? []), f]);
  }
  for (const f of files) {
    const stem = stemOf(f);
    if (isMaskStem(stem) || inMaskDir(f)) {
      maskCandidates.set(stem.replace(/[_-]mask$/i, ''), f);
      continue;
    }
    const siblings = byDirStem.get(join(dirname(f), stem))!;
    if (siblings.length > 1 && extname(f).toLowerCase() === '.png' && siblings.some((s) => s !== f && extname(s).toLowerCase() !== '.png' && !isMaskStem(stemOf(s)))) {
      maskCandidates.set(stem, f);
      continue;
    }
    images.push(f);
  }
  return images.map((image) => ({ image, mask: maskCandidates.get(stemOf(image)) ?? null }));
}

export async function* readClassFolders(source: string, opts: ReadOptions, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  let classCount = 0;
  const folders = listDirs(source);
  if (folders.length === 0) throw new Error(`${source}: no class folders`);
  for (const folder of folders) {
    const name = basename(folder);
    const free = isDefectFreeName(name);
    let value = 0;
    if (!free) {
      value = ++classCount;
      ctx.declare({ value, name });
    }
    const pairs = pairImagesAndMasks(folder);
    let unannotated = 0;
    for (const { image, mask } of pairs) {
      const bytes = readBytes(image, problems);
      if (!bytes) continue;
      const c: ReaderCandidate = { sourcePath: image, originalName: basename(image), imageBytes: bytes };
      const split = splitFromPath(folder, image);
      if (split) c.split = split;
      if (mask) {
        const mb = readBytes(mask, problems);
        if (!mb) continue;
        try {
          const m = await decodeBinaryMask(mb, opts.binaryThreshold);
          let fg = 0;
          for (let i = 0; i < m.values.length; i++) if (m.values[i]) { m.values[i] = value; fg++; }
          if (free && fg > 0) {
            problems.push({ file: mask, reason: 'invalid annotation', detail: `mask of an image in defect-free folder '${name}' has ${fg} foreground pixels` });
            continue;
          }
          c.mask = { ...m, sourcePath: mask };
        } catch (err) {
          problems.push(maskProblem(mask, err));
          continue;
        }
      } else if (free) {
        const empty = await emptyMaskOf(image, bytes, problems);
        if (!empty) continue;
        c.mask = empty;
      } else unannotated++;
      yield c;
    }
    notes.push(`${name}: ${pairs.length} images${free ? ' (defect-free: empty masks)' : ''}${unannotated ? `, ${unannotated} without mask (unannotated)` : ''}`);
  }
}
