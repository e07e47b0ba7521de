// `coco`: instance JSON (images, annotations, categories). Segmentations are polygon lists
// (rasterised as pycocotools does) or RLE, compressed or uncompressed. Category
// ids are the source class values; annotations are painted in order, crowd regions included.
// Images listed without annotations are defect-free: they get empty masks.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ImportProblem } from '../importTypes.js';
import { RleError, rleDecode, rleFromString } from '../cocoRle.js';
import { ShapeError, checkInBounds } from '../raster.js';
import { paintCocoPolygons } from '../cocoPolygonRle.js';
import { listFiles, stemOf } from '../sourceFiles.js';
import { readBytes, splitFromWord } from './common.js';
import type { ReadContext, Reader, ReaderCandidate, SourceClass } from './readerTypes.js';

interface CocoImage { id: number; file_name: string; width: number; height: number }
interface CocoAnnotation { id?: number; image_id: number; category_id: number; segmentation: unknown; iscrowd?: number }
interface CocoCategory { id: number; name: string }

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

function findImageFile(source: string, jsonFile: string, fileName: string): string | null {
  const root = statSync(source).isFile() ? dirname(source) : source;
  const jdir = dirname(jsonFile);
  const tries = [join(jdir, fileName), join(jdir, 'images', fileName), join(dirname(jdir), 'images', fileName), join(root, 'images', fileName), join(root, fileName), join(dirname(jdir), fileName)];
  const split = splitOfJson(jsonFile);
  if (split) tries.push(join(root, 'images', split, fileName), join(root, split, fileName));
  return tries.find((p) => existsSync(p)) ?? null;
}

function paintSegmentation(values: Uint16Array, img: CocoImage, seg: unknown, value: number): void {
  const t = { width: img.width, height: img.height, data: values };
  if (Array.isArray(seg)) {
    // The polygons of one annotation are one region (their union), rasterised as pycocotools does.
    for (const [k, poly] of seg.entries()) {
      if (!Array.isArray(poly) || poly.length < 6 || poly.length % 2 !== 0 || poly.some((v) => !Number.isFinite(v))) {
        throw new ShapeError(`polygon ${k} is not a flat list of at least 3 x,y pairs`);
      }
      const pts: [number, number][] = [];
      for (let i = 0; i < poly.length; i += 2) pts.push([poly[i] as number, poly[i + 1] as number]);
      checkInBounds(pts, img.width, img.height);
    }
    paintCocoPolygons(t, seg as number[][], value);
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

export async function* readCoco(source: string, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  const files = findCocoFiles(source);
  if (files.length === 0) throw new Error(`${source}: no COCO JSON (with images, annotations and categories) found`);
  const classes = new Map<number, SourceClass>();
  let crowd = 0;
  for (const jf of files) {
    let doc: { images?: CocoImage[]; annotations?: CocoAnnotation[]; categories?: CocoCategory[] };
    try {
      doc = JSON.parse(readFileSync(jf, 'utf8'));
    } catch (err) {
      problems.push({ file: jf, reason: 'corrupt', detail: `malformed JSON (${err instanceof Error ? err.message : String(err)})` });
      continue;
    }
    if (!isCocoJson(doc) || !Array.isArray(doc.categories)) {
      problems.push({ file: jf, reason: 'unsupported', detail: 'not a COCO file (images, annotations, categories)' });
      continue;
    }
    const cats = new Map<number, string>();
    for (const c of doc.categories) {
      if (!Number.isInteger(c.id) || c.id <= 0 || c.id > 65535 || typeof c.name !== 'string') {
        problems.push({ file: jf, reason: 'invalid annotation', detail: `category ${JSON.stringify(c)} needs a positive integer id and a name` });
        continue;
      }
      cats.set(c.id, c.name);
      const known = [...classes.values()].find((s) => s.name === c.name);
      if (!known && !classes.has(c.id)) {
        classes.set(c.id, { value: c.id, name: c.name });
        ctx.declare({ value: c.id, name: c.name });
      } else if (!known) {
        problems.push({ file: jf, reason: 'invalid annotation', detail: `category id ${c.id} is '${c.name}' here but '${classes.get(c.id)!.name}' in an earlier file` });
      }
    }
    // The same name under a different id in another file keeps the first file's value.
    const valueOf = (catId: number) => [...classes.values()].find((s) => s.name === cats.get(catId))?.value;
    const byImage = new Map<number, CocoAnnotation[]>();
    for (const a of doc.annotations!) byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), a]);
    const imageIds = new Set(doc.images!.map((i) => i.id));
    for (const a of doc.annotations!) {
      if (!imageIds.has(a.image_id)) problems.push({ file: jf, reason: 'invalid annotation', detail: `annotation ${String(a.id)} refers to image_id ${a.image_id}, which is not listed` });
    }
    const split = splitOfJson(jf);
    for (const img of doc.images!) {
      const where = `${jf} (image ${img.id} '${img.file_name}')`;
      if (typeof img.file_name !== 'string' || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
        problems.push({ file: where, reason: 'invalid annotation', detail: 'image entry needs file_name, width and height' });
        continue;
      }
      const imageFile = findImageFile(source, jf, img.file_name);
      if (!imageFile) {
        problems.push({ file: where, reason: 'corrupt', detail: `image file '${img.file_name}' not found` });
        continue;
      }
      const bytes = readBytes(imageFile, problems);
      if (!bytes) continue;
      const values = new Uint16Array(img.width * img.height);
      let bad: ImportProblem | null = null;
      for (const a of byImage.get(img.id) ?? []) {
        const value = valueOf(a.category_id);
        if (value === undefined) {
          bad = { file: where, reason: 'unknown class value', detail: `annotation ${String(a.id)} has category_id ${a.category_id}, which is not among the categories` };
          break;
        }
        if (a.iscrowd) crowd++;
        try {
          paintSegmentation(values, img, a.segmentation, value);
        } catch (err) {
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
