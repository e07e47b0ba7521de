// `labelme`: one JSON per image with polygon/rectangle/circle shapes, the image embedded as
// base64 imageData or referenced by imagePath. Shapes are painted in file order as labelme2voc
// does (later shapes win); label '_background_' paints background. Images in the folder
// without a JSON are imported unannotated.
import { existsSync } from 'node:fs';
import { enforceLimit, InputLimitError } from '../../images/inputLimits.js';
import { basename, dirname, resolve } from 'node:path';
import { LABELME_CONVENTION, ShapeError, checkInBounds, checkPoints, fillCircle, fillPolygon, fillRectangle } from '../raster.js';
import { imageSize, isImageFile, isInsideFolder, listFiles, readJsonFile, SourceFileError, stemOf } from '../sourceFiles.js';
import { readBytes, splitFromPath } from './common.js';
import { readClassesJson } from './folder.js';
import type { ReadContext, Reader, ReaderCandidate, SourceClass } from './readerTypes.js';

interface LabelmeShape {
  label?: unknown;
  points?: unknown;
  shape_type?: unknown;
}

interface LabelmeFile {
  shapes?: unknown;
  imagePath?: unknown;
  imageData?: unknown;
  imageWidth?: unknown;
  imageHeight?: unknown;
}

export function isLabelmeJson(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && Array.isArray((obj as LabelmeFile).shapes) && ('imagePath' in obj || 'imageData' in obj);
}

export async function* readLabelme(source: string, ctx: ReadContext): Reader {
  const { problems, notes } = ctx;
  const classes = new Map<string, SourceClass>();
  // classes.json (what our exporter writes) fixes the values so that a round trip keeps indices.
  for (const c of readClassesJson(source) ?? []) {
    classes.set(c.name!, c);
    ctx.declare(c);
  }
  let maxValue = 0;
  for (const c of classes.values()) maxValue = Math.max(maxValue, c.value);
  const files = listFiles(source);
  const jsons = files.filter((f) => f.toLowerCase().endsWith('.json'));
  const referenced = new Set<string>();
  let skippedShapes = 0;
  for (const jf of jsons) {
    let doc: LabelmeFile;
    try {
      doc = readJsonFile(jf) as LabelmeFile;
    } catch (err) {
      const e = SourceFileError.from(err);
      if (!e) throw err;
      problems.push({ file: jf, reason: e.reason === 'unsupported' ? 'corrupt' : e.reason, detail: e.detail });
      continue;
    }
    if (!isLabelmeJson(doc)) {
      if (basename(jf) !== 'classes.json') problems.push({ file: jf, reason: 'unsupported', detail: 'not a labelme file (no shapes/imagePath)' });
      continue;
    }
    let bytes: Buffer | null = null;
    let imageFile = jf;
    const embedded = typeof doc.imageData === 'string' && doc.imageData !== '';
    if (typeof doc.imagePath === 'string' && doc.imagePath) {
      const p = resolve(dirname(jf), doc.imagePath.replace(/\\/g, '/'));
      if (!isInsideFolder(source, p)) {
        // labelme often records where the image was on the annotator's machine; embedded data is then used
        if (!embedded) {
          problems.push({ file: jf, reason: 'invalid annotation', detail: `imagePath '${doc.imagePath}' points outside the source folder ${resolve(source)}; only images inside it are read` });
          continue;
        }
      } else if (existsSync(p)) {
        referenced.add(p);
        imageFile = p;
      }
    }
    if (!Array.isArray(doc.shapes)) continue; // (isLabelmeJson checked it; keeps the type narrow)
    try {
      enforceLimit('annotationsPerImage', doc.shapes.length, jf, `file has ${doc.shapes.length} shapes`);
    } catch (err) {
      if (!(err instanceof InputLimitError)) throw err;
      problems.push({ file: jf, reason: 'over limit', detail: err.detail });
      continue;
    }
    if (embedded) {
      bytes = Buffer.from(doc.imageData as string, 'base64');
      if (bytes.length === 0) {
        problems.push({ file: jf, reason: 'corrupt', detail: 'imageData is not base64 image data' });
        continue;
      }
    } else if (imageFile !== jf) {
      bytes = readBytes(imageFile, problems, jf);
      if (!bytes) continue;
    } else {
      problems.push({ file: jf, reason: 'corrupt', detail: `image '${String(doc.imagePath)}' not found and no imageData embedded` });
      continue;
    }
    let size: { width: number; height: number };
    try {
      size = await imageSize(bytes, imageFile);
    } catch (err) {
      if (err instanceof InputLimitError) {
        problems.push({ file: err.file, reason: 'over limit', detail: err.detail });
        continue;
      }
      problems.push({ file: imageFile, reason: 'corrupt', detail: `cannot read image header (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
      continue;
    }
    if ((doc.imageWidth !== undefined && doc.imageWidth !== null && doc.imageWidth !== size.width) || (doc.imageHeight !== undefined && doc.imageHeight !== null && doc.imageHeight !== size.height)) {
      problems.push({ file: jf, reason: 'mask size mismatch', detail: `annotation is for ${String(doc.imageWidth)}×${String(doc.imageHeight)} but the image is ${size.width}×${size.height}` });
      continue;
    }
    const values = new Uint16Array(size.width * size.height);
    const target = { width: size.width, height: size.height, data: values };
    let bad: { reason: 'invalid annotation' | 'over limit'; detail: string } | null = null;
    for (const [i, s] of (doc.shapes as (LabelmeShape | null)[]).entries()) {
      const label = typeof s?.label === 'string' ? s.label : null;
      if (!s || !label) {
        bad = { reason: 'invalid annotation', detail: `shape ${i} has no label` };
        break;
      }
      const type = s.shape_type ?? 'polygon';
      if (type !== 'polygon' && type !== 'rectangle' && type !== 'circle') {
        skippedShapes++;
        continue;
      }
      let value = 0;
      if (label !== '_background_') {
        let sc = classes.get(label);
        if (!sc) {
          classes.set(label, (sc = { value: ++maxValue, name: label }));
          ctx.declare(sc);
        }
        value = sc.value;
      }
      try {
        if (Array.isArray(s.points)) enforceLimit('polygonPoints', s.points.length, jf, `shape ${i} ('${label}') has ${s.points.length} points`);
        const pts = checkPoints(s.points, type === 'polygon' ? 3 : 2);
        checkInBounds(pts, size.width, size.height);
        if (type === 'polygon') fillPolygon(target, pts, value, LABELME_CONVENTION);
        else if (type === 'rectangle') fillRectangle(target, pts[0]!, pts[1]!, value, LABELME_CONVENTION);
        else fillCircle(target, pts[0]!, pts[1]!, value, LABELME_CONVENTION);
      } catch (err) {
        if (err instanceof InputLimitError) {
          bad = { reason: 'over limit', detail: err.detail };
          break;
        }
        if (!(err instanceof ShapeError)) throw err;
        bad = { reason: 'invalid annotation', detail: `shape ${i} ('${label}', ${String(type)}): ${err.message}` };
        break;
      }
    }
    if (bad) {
      problems.push({ file: jf, ...bad });
      continue;
    }
    const name = imageFile !== jf ? basename(imageFile) : typeof doc.imagePath === 'string' && doc.imagePath ? basename(doc.imagePath.replace(/\\/g, '/')) : `${stemOf(jf)}.png`;
    const c: ReaderCandidate = { sourcePath: imageFile, originalName: name, imageBytes: bytes, mask: { width: size.width, height: size.height, values, sourcePath: jf } };
    const split = splitFromPath(source, jf);
    if (split) c.split = split;
    yield c;
  }
  let unannotated = 0;
  for (const f of files) {
    if (!isImageFile(f) || referenced.has(resolve(f))) continue;
    const bytes = readBytes(f, problems);
    if (!bytes) continue;
    const c: ReaderCandidate = { sourcePath: f, originalName: basename(f), imageBytes: bytes };
    const split = splitFromPath(source, f);
    if (split) c.split = split;
    unannotated++;
    yield c;
  }
  if (unannotated) notes.push(`${unannotated} images without a labelme JSON imported unannotated`);
  if (skippedShapes) notes.push(`${skippedShapes} shapes of other types (line, point, mask) skipped`);
}

