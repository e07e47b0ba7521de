// What a format reader returns before classes are resolved against the project. Masks here hold
// the source's own class values (a palette index, a COCO category position, a folder's class);
// classMapping.ts turns them into project class indices and ImportCandidates.
import type { ImportCandidate, ImportProblem } from '../importTypes.js';

export interface SourceMask {
  width: number;
  height: number;
  /** Row-major source class values; 0 is background. */
  values: Uint16Array;
  sourcePath: string;
}

export interface ReaderCandidate extends Omit<ImportCandidate, 'mask'> {
  mask?: SourceMask;
}

/** A class as the source names it. value 0 is background and is never listed. */
export interface SourceClass {
  value: number;
  /** null when the source only has a number (class-index PNGs, unnamed palette entries). */
  name: string | null;
  /** '#rrggbb' when the source gives a colour. */
  color?: string;
}

/**
 * What a reader reports besides its candidates. Readers are async generators: they yield one
 * candidate at a time (so a large source never sits in memory) and fill problems and notes as
 * they go; a class must be declared before a candidate whose mask uses it is yielded.
 */
export interface ReadContext {
  problems: ImportProblem[];
  notes: string[];
  declare(sc: SourceClass): void;
}

export type Reader = AsyncGenerator<ReaderCandidate, void, undefined>;

export interface ReadOptions {
  /** Colour → source class name, for colour masks ('#rrggbb' keys, lower case). */
  colorMap?: Map<string, string>;
  /** Grey level from which a binary mask pixel counts as foreground (default 128). */
  binaryThreshold?: number;
}

export type FormatName = 'folder' | 'mask-png' | 'class-folders' | 'labelme' | 'coco' | 'voc' | 'mvtec';
export const FORMAT_NAMES: readonly FormatName[] = ['folder', 'mask-png', 'class-folders', 'labelme', 'coco', 'voc', 'mvtec'];
