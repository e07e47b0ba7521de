// Reading any supported source into ImportCandidates for the store's import pipeline: format
// detection, the format's reader, class resolution against the project, and mask/image size checks.
import type { ImportCandidate, ImportProblem } from './importTypes.js';
import { applyClasses, resolveClasses, type ClassMap, type ClassResolution, type ProjectClassRef } from './classMapping.js';
import { readClassFolders } from './formats/classFolders.js';
import { readCoco } from './formats/coco.js';
import { detectFormat, type Detection } from './formats/detect.js';
import { readFolder } from './formats/folder.js';
import { readLabelme } from './formats/labelme.js';
import { readMvtec } from './formats/mvtec.js';
import { FORMAT_NAMES, type FormatName, type ReadOptions, type ReadResult } from './formats/readerTypes.js';
import { readVoc } from './formats/voc.js';
import { imageSize } from './sourceFiles.js';

export type FormatOption = FormatName | 'auto';
export const FORMAT_OPTIONS: readonly FormatOption[] = ['auto', ...FORMAT_NAMES];

export function readFormat(source: string, format: FormatName, opts: ReadOptions = {}): Promise<ReadResult> {
  switch (format) {
    case 'folder': return readFolder(source, { requireMasks: false });
    case 'mask-png': return readFolder(source, { requireMasks: true });
    case 'class-folders': return readClassFolders(source, opts);
    case 'labelme': return readLabelme(source);
    case 'coco': return readCoco(source);
    case 'voc': return readVoc(source, opts);
    case 'mvtec': return readMvtec(source, opts);
  }
}

export interface PreparedImport {
  format: FormatName;
  detection?: Detection;
  candidates: ImportCandidate[];
  problems: ImportProblem[];
  resolution: ClassResolution;
  notes: string[];
}

export interface PrepareOptions extends ReadOptions {
  format?: FormatOption;
  classMap?: ClassMap;
  /** The project's classes (index ≥ 1) that source classes resolve against. */
  projectClasses?: ProjectClassRef[];
}

export async function prepareImport(source: string, opts: PrepareOptions = {}): Promise<PreparedImport> {
  const wanted = opts.format ?? 'auto';
  const detection = wanted === 'auto' ? detectFormat(source) : undefined;
  const format = detection?.format ?? (wanted as FormatName);
  const read = await readFormat(source, format, opts);
  const resolution = resolveClasses(read.classes, opts.classMap ?? new Map(), opts.projectClasses ?? []);
  const applied = applyClasses(read.candidates, resolution, read.classes);
  const problems = [...read.problems, ...applied.problems];
  const candidates: ImportCandidate[] = [];
  for (const c of applied.candidates) {
    if (c.mask) {
      let size: { width: number; height: number };
      try {
        size = await imageSize(c.imageBytes);
      } catch (err) {
        problems.push({ file: c.sourcePath, reason: 'corrupt', detail: `cannot read image header (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
        continue;
      }
      if (size.width !== c.mask.width || size.height !== c.mask.height) {
        problems.push({ file: c.mask.sourcePath, reason: 'mask size mismatch', detail: `mask is ${c.mask.width}×${c.mask.height} but image ${c.originalName} is ${size.width}×${size.height}` });
        continue;
      }
    }
    candidates.push(c);
  }
  const notes = [...read.notes];
  if (resolution.unusedMappings.length) notes.push(`mapping entries that matched no source class: ${resolution.unusedMappings.join(', ')}`);
  return { format, ...(detection ? { detection } : {}), candidates, problems, resolution, notes };
}
