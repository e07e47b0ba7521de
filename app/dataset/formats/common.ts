// Plumbing shared by the format readers.
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { ImportProblem } from '../importTypes.js';
import type { Split } from '../../store/storeTypes.js';
import { MaskDecodeError } from '../maskDecode.js';
import { InputLimitError } from '../../images/inputLimits.js';
import { readRegularFile, SourceFileError, stemOf } from '../sourceFiles.js';

/**
 * A source file's bytes (regular files only, within the file size limit), or null with the
 * problem recorded. `referencedBy`: the annotation that names this file — then a file that cannot
 * be used fails the import (an annotation without its image), whatever the reason.
 */
export function readBytes(path: string, problems: ImportProblem[], referencedBy?: string): Buffer | null {
  try {
    return readRegularFile(path);
  } catch (err) {
    const e = SourceFileError.from(err);
    if (!e) throw err;
    const reason = referencedBy && e.reason === 'unsupported' ? 'invalid annotation' : e.reason;
    problems.push({ file: path, reason, detail: referencedBy ? `${e.detail} (referenced by ${referencedBy})` : e.detail });
    return null;
  }
}

/** A mask decoding failure as a problem; anything else is a bug and propagates. */
export function maskProblem(file: string, err: unknown): ImportProblem {
  if (err instanceof InputLimitError) return { file, reason: 'over limit', detail: err.detail };
  if (err instanceof MaskDecodeError) {
    const unsupported = /are not supported|unsupported PNG/.test(err.message);
    return { file, reason: unsupported ? 'unsupported' : 'corrupt', detail: err.message };
  }
  throw err;
}

const SPLIT_WORDS: Record<string, Split> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

export function splitFromWord(word: string): Split | undefined {
  return SPLIT_WORDS[word.toLowerCase()];
}

/** A split named by a folder on the way from root to file (e.g. images/train/x.jpg). */
export function splitFromPath(root: string, file: string): Split | undefined {
  const parts = relative(root, dirname(file)).split(sep);
  for (const p of parts) {
    const s = splitFromWord(p);
    if (s) return s;
  }
  return undefined;
}

/** Minimal RFC 4180 CSV: quoted fields, doubled quotes, CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface Manifest {
  file: string;
  /** Row keyed by the stem of its id/image/file column. */
  rows: Map<string, Record<string, string>>;
  columns: string[];
}

const KEY_COLUMNS = ['id', 'image', 'file', 'filename', 'file_name', 'name', 'stem', 'path'];

/** manifest.csv (or the given csv) in dir, keyed by image stem. */
export function readManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  const rows = parseCsv(readRegularFile(path).toString('utf8'));
  if (rows.length < 2) return null;
  const columns = rows[0]!.map((c) => c.trim());
  const keyCol = KEY_COLUMNS.map((k) => columns.findIndex((c) => c.toLowerCase() === k)).find((i) => i >= 0);
  if (keyCol === undefined) return null;
  const map = new Map<string, Record<string, string>>();
  for (const r of rows.slice(1)) {
    const rec: Record<string, string> = {};
    columns.forEach((c, i) => (rec[c] = (r[i] ?? '').trim()));
    map.set(stemOf(basename(r[keyCol] ?? '')), rec);
  }
  return { file: path, rows: map, columns };
}

export function manifestSplit(m: Manifest | null, stem: string): Split | undefined {
  const rec = m?.rows.get(stem);
  const col = rec && Object.keys(rec).find((k) => k.toLowerCase() === 'split');
  return col ? splitFromWord(rec[col]!) : undefined;
}

export function manifestGroup(m: Manifest | null, stem: string): string | undefined {
  const rec = m?.rows.get(stem);
  const col = rec && Object.keys(rec).find((k) => ['group', 'group_key', 'groupkey', 'part', 'part_id'].includes(k.toLowerCase()));
  return col && rec[col] ? rec[col] : undefined;
}

export function joinIfExists(...parts: string[]): string | null {
  const p = join(...parts);
  return existsSync(p) ? p : null;
}
