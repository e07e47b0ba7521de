// `coco`: instance JSON (images, annotations, categories). Segmentations are polygon lists
// (rasterised with COCO's pixel-centre convention) or RLE, compressed or uncompressed. Category
// ids are the source class values; annotations are painted in order, crowd regions included.
// Images listed without annotations are defect-free: they get empty masks.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { enforceLimit, InputLimitError } from '../../images/inputLimits.js';
import type { ImportProblem } from '../importTypes.js';
import { RleError, rleDecode, rleFromString } from '../cocoRle.js';
import { COCO_CONVENTION, ShapeError, checkInBounds, fillPolygon } from '../raster.js';
import { imageSize, isInsideFolder, listFiles, readJsonFile, SourceFileError, stemOf } from '../sourceFiles.js';
import { readBytes, splitFromWord } from './common.js';
import type { ReadContext, Reader, ReaderCandidate, SourceClass } from './readerTypes.js';

interface CocoImage { id: number; file_name: string; width: number; height: number }
interface CocoAnnotation { id?: number; image_id: number; category_id: number; segmentation: unknown; iscrowd?: number }

export function isCocoJson(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && Array.isArray((obj as { images?: unknown }).images) && Array.isArray((obj as { annotations?: unknown }).annotations);
}

/** Sniffs the first 64 KiB: COCO's top-level keys, and no labelme 'shapes' (big files are not read whole). */
function looksLikeCoco(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.toString('utf8', 0, n);
    return /"(images|annotations|categories)"\s*:/.test(head) && !/"shapes"\s*:/.test(head);
  } catch {
    return false; // unreadable files are reported when read
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** COCO JSON files in a source: the file itself, or *.json at the top level and in annotations/. */
export function findCocoFiles(source: string): string[] {
  if (statSync(source).isFile()) return [source];
  const dirs = [source, join(source, 'annotations')].filter((d) => existsSync(d));
  const out: string[] = [];
  for (const d of dirs) {
    for (const f of listFiles(d, false)) {
      if (!f.toLowerCase().endsWith('.json')) continue;
      if (looksLikeCoco(f)) out.push(f);
    }
  }
  return out;
}

function splitOfJson(file: string) {
  for (const word of stemOf(file).split(/[^a-zA-Z]+/)) {
    const s = splitFromWord(word);
    if (s) return s;
  }
  return undefined;
}

/**
 * The folder a COCO source may read images from: the source folder, or for a single JSON file its
 * folder — the dataset root when that folder is the standard annotations/.
 */
function cocoRoot(source: string): string {
  if (!statSync(source).isFile()) return source;
  const dir = dirname(source);
  return basename(dir).toLowerCase() === 'annotations' ? dirname(dir) : dir;
}

/** The image a file_name names (the usual COCO places, inside `root` only), or why there is none. */
function findImageFile(root: string, jsonFile: string, fileName: string): { file: string } | { problem: string } {
  const jdir = dirname(jsonFile);
  const tries = [join(jdir, fileName), join(jdir, 'images', fileName), join(dirname(jdir), 'images', fileName), join(root, 'images', fileName), join(root, fileName), join(dirname(jdir), fileName)];
  const split = splitOfJson(jsonFile);
  if (split) tries.push(join(root, 'images', split, fileName), join(root, split, fileName));
  const found = tries.find((p) => isInsideFolder(root, p) && existsSync(p));
  if (found) return { file: found };
  if (isAbsolute(fileName) || normalize(fileName).split(/[\\/]/)[0] === '..') return { problem: `file_name '${fileName}' points outside the source folder ${root}; only images inside it are read` };
  return { problem: `image file '${fileName}' not found` };
}

function paintSegmentation(values: Uint16Array, img: CocoImage, seg: unknown, value: number, where: string): void {
  const t = { width: img.width, height: img.height, data: values };
  if (Array.isArray(seg)) {
    for (const [k, poly] of seg.entries()) {
      if (Array.isArray(poly)) enforceLimit('polygonPoints', Math.floor(poly.length / 2), where, `polygon ${k} has ${Math.floor(poly.length / 2)} points`);
      if (!Array.isArray(poly) || poly.length < 6 || poly.length % 2 !== 0 || poly.some((v) => !Number.isFinite(v))) {
        throw new ShapeError(`polygon ${k} is not a flat list of at least 3 x,y pairs`);
      }
      const pts: [number, number][] = [];
      for (let i = 0; i < poly.length; i += 2) pts.push([poly[i] as number, poly[i + 1] as number]);
      checkInBounds(pts, img.width, img.height);
      fillPolygon(t, pts, value, COCO_CONVENTION);
    }
    return;
  }
  const rle = seg as { size?: unknown; counts?: unknown } | null;
  if (!rle || !Array.isArray(rle.size) || rle.counts === undefined) throw new ShapeError('segmentation is neither polygons nor RLE');
  const [h, w] = rle.size as number[];
  if (h !== img.height || w !== img.width) throw new ShapeError(`RLE size ${String(w)}×${String(h)} differs from the image's ${img.width}×${img.height}`);
  const counts = typeof rle.counts === 'string' ? rleFromString(rle.counts) : (rle.counts as number[]);
  if (!Array.isArray(counts)) throw new ShapeError('RLE counts are neither a string nor a list');
  const bits = rleDecode(counts, img.width, img.height);
  for (let i = 0; i < bits.length; i++) if (bits[i]) values[i] = value;
}

/** JSON files where COCO files are looked for that do not parse (reported instead of "no COCO found"). */
function brokenJsonFiles(source: string): ImportProblem[] {
  const dirs = statSync(source).isFile() ? [] : [source, join(source, 'annotations')].filter((d) => existsSync(d));
  const out: ImportProblem[] = [];
  for (const f of dirs.flatMap((d) => listFiles(d, false)).filter((f) => f.toLowerCase().endsWith('.json'))) {
    try {
      readJsonFile(f);
    } catch (err) {
      const e = SourceFileError.from(err);
      if (!e) throw err;
      out.push({ file: f, reason: e.reason === 'unsupported' ? 'corrupt' : e.reason, detail: e.detail });
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const brief = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 120);

export async function* readCoco(source: string, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  const files = findCocoFiles(source);
  if (files.length === 0) {
    const broken = brokenJsonFiles(source);
    if (broken.length) {
      problems.push(...broken);
      return;
    }
    throw new Error(`${source}: no COCO JSON (with images, annotations and categories) found`);
  }
  const root = cocoRoot(source);
  const classes = new Map<number, SourceClass>();
  const classByName = new Map<string, SourceClass>();
  let crowd = 0;
  for (const jf of files) {
    let doc: { images?: unknown[]; annotations?: unknown[]; categories?: unknown[] };
    try {
      doc = readJsonFile(jf) as typeof doc;
    } catch (err) {
      const e = SourceFileError.from(err);
      if (!e) throw err;
      problems.push({ file: jf, reason: e.reason === 'unsupported' ? 'corrupt' : e.reason, detail: e.detail });
      continue;
    }
    if (!isCocoJson(doc) || !Array.isArray(doc.categories)) {
      problems.push({ file: jf, reason: 'unsupported', detail: 'not a COCO file (images, annotations, categories)' });
      continue;
    }
    const cats = new Map<number, string>();
    for (const c of doc.categories) {
      if (!isObject(c) || !Number.isInteger(c.id) || (c.id as number) <= 0 || (c.id as number) > 65535 || typeof c.name !== 'string') {
        problems.push({ file: jf, reason: 'invalid annotation', detail: `category ${brief(c)} needs a positive integer id and a name` });
        continue;
      }
      const id = c.id as number;
      const name = c.name;
      cats.set(id, name);
      const known = classByName.get(name);
      if (!known && !classes.has(id)) {
        const sc = { value: id, name };
        classes.set(id, sc);
        classByName.set(name, sc);
        ctx.declare(sc);
      } else if (!known) {
        problems.push({ file: jf, reason: 'invalid annotation', detail: `category id ${id} is '${name}' here but '${classes.get(id)!.name}' in an earlier file` });
      }
    }
    // The same name under a different id in another file keeps the first file's value.
    const valueOf = (catId: unknown): number | undefined => (typeof catId === 'number' ? classByName.get(cats.get(catId) ?? '')?.value : undefined);
    // one pass, one list per image: linear in the number of annotations
    const byImage = new Map<unknown, CocoAnnotation[]>();
    for (const [k, a] of doc.annotations!.entries()) {
      if (!isObject(a)) {
        problems.push({ file: jf, reason: 'invalid annotation', detail: `annotation #${k} is ${brief(a)}, not an object` });
        continue;
      }
      const list = byImage.get(a.image_id);
      if (list) list.push(a as unknown as CocoAnnotation);
      else byImage.set(a.image_id, [a as unknown as CocoAnnotation]);
    }
    const images = doc.images!.filter((img, k) => {
      if (isObject(img)) return true;
      problems.push({ file: jf, reason: 'invalid annotation', detail: `image #${k} is ${brief(img)}, not an object` });
      return false;
    }) as unknown as CocoImage[];
    const imageIds = new Set(images.map((i) => i.id));
    for (const [id, anns] of byImage) {
      if (!imageIds.has(id as number)) problems.push({ file: jf, reason: 'invalid annotation', detail: `annotation ${String(anns[0]!.id)} refers to image_id ${brief(id)}, which is not listed` });
    }
    const split = splitOfJson(jf);
    for (const img of images) {
      const where = `${jf} (image ${brief(img.id)} '${String(img.file_name)}')`;
      if (typeof img.file_name !== 'string' || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
        problems.push({ file: where, reason: 'invalid annotation', detail: 'image entry needs file_name, width and height' });
        continue;
      }
      const anns = byImage.get(img.id) ?? [];
      const found = findImageFile(root, jf, img.file_name);
      if ('problem' in found) {
        problems.push({ file: where, reason: found.problem.includes('outside') ? 'invalid annotation' : 'corrupt', detail: found.problem });
        continue;
      }
      const imageFile = found.file;
      let values: Uint16Array;
      let bytes: Buffer | null;
      try {
        enforceLimit('annotationsPerImage', anns.length, where, `image has ${anns.length} annotations`);
        bytes = readBytes(imageFile, problems, where);
        if (!bytes) continue;
        // the declared size is checked against the image's header before anything is allocated
        const size = await imageSize(bytes, imageFile);
        if (size.width !== img.width || size.height !== img.height) {
          problems.push({ file: where, reason: 'mask size mismatch', detail: `declared ${img.width}×${img.height} but ${imageFile} is ${size.width}×${size.height}` });
          continue;
        }
        values = new Uint16Array(img.width * img.height);
      } catch (err) {
        if (err instanceof InputLimitError) problems.push({ file: err.file, reason: 'over limit', detail: err.detail });
        else problems.push({ file: imageFile, reason: 'corrupt', detail: `cannot read image header (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
        continue;
      }
      let bad: ImportProblem | null = null;
      for (const a of anns) {
        const value = valueOf(a.category_id);
        if (value === undefined) {
          bad = { file: where, reason: 'unknown class value', detail: `annotation ${String(a.id)} has category_id ${brief(a.category_id)}, which is not among the categories` };
          break;
        }
        if (a.iscrowd) crowd++;
        try {
          paintSegmentation(values, img, a.segmentation, value, where);
        } catch (err) {
          if (err instanceof InputLimitError) {
            bad = { file: where, reason: 'over limit', detail: `annotation ${String(a.id)}: ${err.detail}` };
            break;
          }
          if (!(err instanceof ShapeError || err instanceof RleError)) throw err;
          bad = { file: where, reason: 'invalid annotation', detail: `annotation ${String(a.id)}: ${err.message}` };
          break;
        }
      }
      if (bad) {
        problems.push(bad);
        continue;
      }
      const c: ReaderCandidate = { sourcePath: imageFile, originalName: basename(img.file_name), imageBytes: bytes, mask: { width: img.width, height: img.height, values, sourcePath: jf } };
      if (split) c.split = split;
      yield c;
    }
    notes.push(`${basename(jf)}: ${doc.images!.length} images, ${doc.annotations!.length} annotations, ${cats.size} categories${split ? `, split ${split}` : ''}`);
  }
  if (crowd) notes.push(`${crowd} iscrowd annotations painted as their category`);
}
