// Walking a source folder: which files are images, their stems, their pixel size; reading its
// files safely (regular files only, within size limits; JSON within size and nesting limits).
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { checkHeaderPixels, checkImagePixels, enforceLimit, InputLimitError, inputLimit, sharpInputOptions, sharpLimitError } from '../images/inputLimits.js';
import type { SkipReason } from './importTypes.js';

/** A source file that cannot be used: `reason` is the import problem it becomes. */
export class SourceFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: SkipReason,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SourceFileError';
  }

  static from(err: unknown): SourceFileError | null {
    if (err instanceof SourceFileError) return err;
    if (err instanceof InputLimitError) return new SourceFileError(err.file, 'over limit', err.detail);
    return null;
  }
}

function kindOf(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  return st.isDirectory() ? 'a folder' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/**
 * Reads a whole source file, refusing anything but a regular file (devices such as /dev/zero,
 * FIFOs, sockets) and files over `limit`. The type is checked on the opened descriptor (opened
 * non-blocking, so a FIFO cannot stall us), so a file swapped after listing is caught too.
 */
export function readRegularFile(path: string, limit: 'fileBytes' | 'jsonBytes' = 'fileBytes'): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new SourceFileError(path, 'corrupt', `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SourceFileError(path, 'unsupported', `is ${kindOf(st)}; only regular files are read`);
    enforceLimit(limit, st.size, path, `file is ${st.size} bytes`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break; // shrank while reading
      off += n;
    }
    if (off === 0) throw new SourceFileError(path, 'corrupt', 'file is empty');
    return off < st.size ? buf.subarray(0, off) : buf;
  } catch (err) {
    throw SourceFileError.from(err) ?? new SourceFileError(path, 'corrupt', `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  } finally {
    closeSync(fd);
  }
}

/** Deepest [ / { nesting of JSON text (strings skipped); stops counting past `max`. */
function jsonDepth(bytes: Uint8Array, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return deepest;
}

/** Parses a JSON source file within the size and nesting limits; errors name the file. */
export function readJsonFile(path: string): unknown {
  const bytes = readRegularFile(path, 'jsonBytes');
  try {
    const depth = jsonDepth(bytes, inputLimit('jsonDepth'));
    enforceLimit('jsonDepth', depth, path, `JSON is nested ${depth}${depth > inputLimit('jsonDepth') ? '+' : ''} levels deep`);
  } catch (err) {
    throw SourceFileError.from(err) ?? err;
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new SourceFileError(path, 'corrupt', `malformed JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Whether `path` (resolved) lies inside `folder`: annotation files may not point elsewhere. */
export function isInsideFolder(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** File name without its extension. */
export function stemOf(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}

/** Every file under dir (recursive, sorted, hidden entries skipped). */
export function listFiles(dir: string, recursive = true): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    const st = statSync(full, { throwIfNoEntry: false });
    if (!st) continue; // a dangling symlink: nothing to read
    if (st.isDirectory()) {
      if (recursive) out.push(...listFiles(full, true));
    } else if (st.isFile()) out.push(full);
  }
  return out;
}

export function listDirs(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => !n.startsWith('.'))
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory());
}

/** Finds a child directory by case-insensitive name among candidates. */
export function findChildDir(dir: string, names: readonly string[]): string | null {
  const wanted = names.map((n) => n.toLowerCase());
  for (const d of listDirs(dir)) if (wanted.includes(basename(d).toLowerCase())) return d;
  return null;
}

/**
 * Pixel size from the header (sharp, or the BMP header sharp cannot read); throws on garbage and
 * an InputLimitError naming `file` when the image is over the pixel limit.
 */
export async function imageSize(bytes: Buffer, file = 'image'): Promise<{ width: number; height: number }> {
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const width = bytes.readInt32LE(18);
    const height = Math.abs(bytes.readInt32LE(22));
    if (!(width > 0 && height > 0)) throw new Error('BMP header has no valid size');
    checkImagePixels(width, height, file);
    return { width, height };
  }
  checkHeaderPixels(bytes, file);
  const meta = await sharp(bytes, sharpInputOptions())
    .metadata()
    .catch((err: unknown) => {
      throw sharpLimitError(err, file) ?? err;
    });
  if (!meta.width || !meta.height) throw new Error('image has no size');
  checkImagePixels(meta.width, meta.height, file);
  return { width: meta.width, height: meta.height };
}
