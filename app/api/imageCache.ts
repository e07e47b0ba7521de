// The image views the annotator and the dataset grid ask for, cached: thumbnails (with the latest
// mask drawn in the class colours) on disk under the project's cache/, decoded pyramid levels in
// memory (a few, least recently used first out), from which tiles are cut.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import type { ImageRecord } from '../store/storeTypes.js';
import { decodeLevel, renderThumbnail, type RawImage } from './imageRender.js';

const DECODED_LEVELS_KEPT = 4;

const thumbDir = (store: ProjectStore, sha256: string): string => join(store.dir, 'cache', 'thumbs', sha256.slice(0, 2));
const thumbPrefix = (sha256: string): string => `${sha256.slice(0, 24)}-`;

export async function thumbnail(store: ProjectStore, image: ImageRecord): Promise<Buffer> {
  const mask = store.latestMask(image.id);
  const classes = store.listClasses();
  const colorKey = createHash('sha256').update(classes.map((c) => `${c.index}${c.color}`).join()).digest('hex').slice(0, 8);
  const cacheFile = join(thumbDir(store, image.sha256), `${thumbPrefix(image.sha256)}${mask ? mask.sha256.slice(0, 16) : 'none'}-${colorKey}.jpg`);
  if (existsSync(cacheFile)) return readFileSync(cacheFile);
  const body = await renderThumbnail(store.imagePath(image), image.width, image.height, mask ? store.readMask(mask) : null, classes);
  try {
    // A cache, not data: rename for atomicity, no fsync (a lost thumbnail is simply redrawn).
    mkdirSync(dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, cacheFile);
  } catch {
    /* a read-only project still shows thumbnails, just without the cache */
  }
  return body;
}

/** Removes the cached thumbnails of an image deleted for good (they show the picture). */
export function removeThumbnails(store: ProjectStore, sha256: string): void {
  const dir = thumbDir(store, sha256);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith(thumbPrefix(sha256))) rmSync(join(dir, f), { force: true });
}

/** Decoded pyramid levels of the images being viewed, least recently used dropped first. */
export class DecodedLevels {
  private readonly levels = new Map<string, Promise<RawImage>>();

  get(image: ImageRecord, file: string, level: number): Promise<RawImage> {
    const key = `${image.id}:${level}`;
    let p = this.levels.get(key);
    if (p) {
      this.levels.delete(key);
      this.levels.set(key, p);
      return p;
    }
    p = decodeLevel(file, image.width, image.height, level);
    p.catch(() => this.levels.delete(key));
    this.levels.set(key, p);
    while (this.levels.size > DECODED_LEVELS_KEPT) this.levels.delete(this.levels.keys().next().value as string);
    return p;
  }

  clear(): void {
    this.levels.clear();
  }
}
