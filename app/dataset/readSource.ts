// Reading any supported source as a stream of ImportCandidates for the store's import pipeline:
// format detection, the format's reader, class resolution against the project, and a mask/image
// size check. One candidate at a time, so large sources never sit in memory.
import type { ImportCandidate, ImportProblem } from './importTypes.js';
import { ClassResolver, type ClassMap, type ClassResolution, type ProjectClassRef } from './classMapping.js';
import { readClassFolders } from './formats/classFolders.js';
import { readCoco } from './formats/coco.js';
import { detectFormat, type Detection } from './formats/detect.js';
import { readFolder } from './formats/folder.js';
import { readLabelme } from './formats/labelme.js';
import { readMvtec } from './formats/mvtec.js';
import { FORMAT_NAMES, type FormatName, type ReadContext, type ReadOptions, type Reader } from './formats/readerTypes.js';
import { readVoc } from './formats/voc.js';
import { imageSize } from './sourceFiles.js';
import { InputLimitError } from '../images/inputLimits.js';

export type FormatOption = FormatName | 'auto';
export const FORMAT_OPTIONS: readonly FormatOption[] = ['auto', ...FORMAT_NAMES];

export function readFormat(source: string, format: FormatName, opts: ReadOptions, ctx: ReadContext): Reader {
  switch (format) {
    case 'folder': return readFolder(source, { requireMasks: false }, ctx);
    case 'mask-png': return readFolder(source, { requireMasks: true }, ctx);
    case 'class-folders': return readClassFolders(source, opts, ctx);
    case 'labelme': return readLabelme(source, ctx);
    case 'coco': return readCoco(source, ctx);
    case 'voc': return readVoc(source, opts, ctx);
    case 'mvtec': return readMvtec(source, opts, ctx);
  }
}

export interface PrepareOptions extends ReadOptions {
  format?: FormatOption;
  classMap?: ClassMap;
  /** The project's classes (index ≥ 1) that source classes resolve against. */
  projectClasses?: ProjectClassRef[];
}

export interface ImportStream {
  format: FormatName;
  detection?: Detection;
  candidates: AsyncGenerator<ImportCandidate, void, undefined>;
  /** Filled while candidates are consumed; complete once they are exhausted. */
  problems: ImportProblem[];
  notes: string[];
  /** Grows while candidates are consumed (a class is added before the first mask using it). */
  newClasses: ClassResolution['newClasses'];
  unusedMappings(): string[];
}

export function streamImport(source: string, opts: PrepareOptions = {}): ImportStream {
  const wanted = opts.format ?? 'auto';
  const detection = wanted === 'auto' ? detectFormat(source) : undefined;
  const format = detection?.format ?? (wanted as FormatName);
  const resolver = new ClassResolver(opts.classMap ?? new Map(), opts.projectClasses ?? []);
  const problems: ImportProblem[] = [];
  const notes: string[] = [];
  const ctx: ReadContext = { problems, notes, declare: (sc) => resolver.declare(sc) };
  async function* candidates(): AsyncGenerator<ImportCandidate, void, undefined> {
    for await (const rc of readFormat(source, format, opts, ctx)) {
      const r = resolver.apply(rc);
      if ('problem' in r) {
        problems.push(r.problem);
        continue;
      }
      const c = r.candidate;
      if (c.mask) {
        let size: { width: number; height: number };
        try {
          size = await imageSize(c.imageBytes, c.sourcePath);
        } catch (err) {
          if (err instanceof InputLimitError) {
            problems.push({ file: err.file, reason: 'over limit', detail: err.detail });
            continue;
          }
          problems.push({ file: c.sourcePath, reason: 'corrupt', detail: `cannot read image header (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
          continue;
        }
        if (size.width !== c.mask.width || size.height !== c.mask.height) {
          problems.push({ file: c.mask.sourcePath, reason: 'mask size mismatch', detail: `mask is ${c.mask.width}×${c.mask.height} but image ${c.originalName} is ${size.width}×${size.height}` });
          continue;
        }
      }
      yield c;
    }
    const unused = resolver.unusedMappings();
    if (unused.length) notes.push(`mapping entries that matched no source class: ${unused.join(', ')}`);
  }
  return { format, ...(detection ? { detection } : {}), candidates: candidates(), problems, notes, newClasses: resolver.newClasses, unusedMappings: () => resolver.unusedMappings() };
}

export interface PreparedImport {
  format: FormatName;
  detection?: Detection;
  candidates: ImportCandidate[];
  problems: ImportProblem[];
  resolution: ClassResolution;
  notes: string[];
}

/** The whole stream collected (for small sources, previews and tests). */
export async function prepareImport(source: string, opts: PrepareOptions = {}): Promise<PreparedImport> {
  const s = streamImport(source, opts);
  const candidates: ImportCandidate[] = [];
  for await (const c of s.candidates) candidates.push(c);
  return {
    format: s.format,
    ...(s.detection ? { detection: s.detection } : {}),
    candidates,
    problems: s.problems,
    resolution: { newClasses: s.newClasses, unusedMappings: s.unusedMappings() },
    notes: s.notes,
  };
}
