// Walking a source folder: which files are images, their stems, their pixel size.
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';

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
    const st = statSync(full);
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

/** Pixel size from the header (sharp, or the BMP header sharp cannot read); throws on garbage. */
export async function imageSize(bytes: Buffer): Promise<{ width: number; height: number }> {
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const width = bytes.readInt32LE(18);
    const height = Math.abs(bytes.readInt32LE(22));
    if (width > 0 && height > 0) return { width, height };
    throw new Error('BMP header has no valid size');
  }
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size');
  return { width: meta.width, height: meta.height };
}
