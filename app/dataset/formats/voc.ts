// `voc`: JPEGImages/ + SegmentationClass/ palette PNGs (+ ImageSets/Segmentation/<split>.txt).
// Classes come from a colour map when there is one (labelmap.txt as CVAT writes it, or the
// caller's colorMap), else from the palette index. VOC's 255 'void' border becomes background.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Split } from '../../store/storeTypes.js';
import { decodeColorMask, decodeIndexMask } from '../maskDecode.js';
import { findChildDir, isImageFile, listFiles, readRegularFile, SourceFileError, stemOf } from '../sourceFiles.js';
import { maskProblem, readBytes, splitFromWord } from './common.js';
import type { ReadContext, ReadOptions, Reader, ReaderCandidate } from './readerTypes.js';

const VOID_INDEX = 255;

/** CVAT labelmap.txt: `name:r,g,b:parts:actions` per line, '#' comments. Returns colour → name. */
export function parseLabelmap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, rgb] = line.split(':');
    const parts = (rgb ?? '').split(',').map(Number);
    if (!name || parts.length !== 3 || parts.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) throw new Error(`labelmap line '${line}' is not name:r,g,b`);
    map.set('#' + parts.map((v) => v.toString(16).padStart(2, '0')).join(''), name);
  }
  return map;
}

function readSplitLists(root: string): Map<string, Split> {
  const dir = join(root, 'ImageSets', 'Segmentation');
  const out = new Map<string, Split>();
  if (!existsSync(dir)) return out;
  for (const f of listFiles(dir, false)) {
    const split = splitFromWord(stemOf(f));
    if (!split) continue; // trainval.txt repeats train + val
    for (const line of readRegularFile(f).toString('utf8').split(/\r?\n/)) {
      // One image name per line (names may contain spaces).
      const t = line.trim();
      if (t) out.set(t, split);
    }
  }
  return out;
}

export async function* readVoc(source: string, opts: ReadOptions, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  const imagesDir = findChildDir(source, ['JPEGImages', 'images']);
  const masksDir = findChildDir(source, ['SegmentationClass', 'SegmentationClassPNG', 'masks']);
  if (!imagesDir || !masksDir) throw new Error(`${source}: a VOC layout needs JPEGImages/ and SegmentationClass/`);
  let colorMap = opts.colorMap;
  const labelmap = join(source, 'labelmap.txt');
  if (!colorMap && existsSync(labelmap)) {
    try {
      colorMap = parseLabelmap(readRegularFile(labelmap).toString('utf8'));
    } catch (err) {
      throw err instanceof SourceFileError ? err : new Error(`${labelmap}: ${err instanceof Error ? err.message : String(err)}`);
    }
    notes.push(`labelmap.txt: ${colorMap.size} colours`);
  }
  const splits = readSplitLists(source);
  if (splits.size) notes.push(`ImageSets/Segmentation: ${splits.size} images with a split`);
  const masks = new Map(listFiles(masksDir).filter(isImageFile).map((f) => [stemOf(f), f]));
  const declared = new Set<number>();
  let named = 0;
  const classByColour = new Map<string, number>();
  if (colorMap) {
    for (const [colour, name] of colorMap) {
      if (name.toLowerCase() === 'background' || colour === '#000000') classByColour.set(colour, 0);
      else {
        const value = ++named;
        ctx.declare({ value, name, color: colour });
        classByColour.set(colour, value);
      }
    }
  }
  let voidPixels = 0;
  for (const image of listFiles(imagesDir).filter(isImageFile)) {
    const stem = stemOf(image);
    const maskFile = masks.get(stem);
    if (!maskFile && splits.size && !splits.has(stem)) continue; // not part of the segmentation set
    const bytes = readBytes(image, problems);
    if (!bytes) continue;
    const c: ReaderCandidate = { sourcePath: image, originalName: basename(image), imageBytes: bytes };
    const split = splits.get(stem);
    if (split) c.split = split;
    if (maskFile) {
      const mb = readBytes(maskFile, problems);
      if (!mb) continue;
      try {
        if (colorMap) {
          const m = await decodeColorMask(mb);
          const lut = m.colors.map((col) => classByColour.get(col));
          const unknown = m.colors.filter((_, i) => lut[i] === undefined);
          if (unknown.length) {
            problems.push({ file: maskFile, reason: 'unknown class value', detail: `colour${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the class colour map` });
            continue;
          }
          for (let i = 0; i < m.values.length; i++) m.values[i] = lut[m.values[i]!]!;
          c.mask = { width: m.width, height: m.height, values: m.values, sourcePath: maskFile };
        } else {
          const m = await decodeIndexMask(mb);
          for (let i = 0; i < m.values.length; i++) {
            const v = m.values[i]!;
            if (v === VOID_INDEX) {
              m.values[i] = 0;
              voidPixels++;
            } else if (v && !declared.has(v)) {
              declared.add(v);
              ctx.declare({ value: v, name: null });
            }
          }
          c.mask = { ...m, sourcePath: maskFile };
        }
      } catch (err) {
        problems.push(maskProblem(maskFile, err));
        continue;
      }
    }
    yield c;
  }
  if (voidPixels) notes.push(`${voidPixels} void (255) pixels became background`);
}
