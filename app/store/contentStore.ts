// Content-addressed files of a project: <root>/<kind>/<aa>/<sha256>.<ext>. A file is written once
// (identical content is stored once) and atomically: temp file in the same folder, fsync, rename.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type ContentKind = 'images' | 'masks';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface StoredContent {
  sha256: string;
  path: string;
  /** false when identical content was already stored. */
  created: boolean;
}

export class ContentStore {
  constructor(readonly root: string) {}

  path(kind: ContentKind, sha256: string, ext: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: '${sha256}'`);
    return join(this.root, kind, sha256.slice(0, 2), `${sha256}.${ext}`);
  }

  has(kind: ContentKind, sha256: string, ext: string): boolean {
    return existsSync(this.path(kind, sha256, ext));
  }

  put(kind: ContentKind, bytes: Uint8Array, ext: string, sha256 = sha256Hex(bytes)): StoredContent {
    const target = this.path(kind, sha256, ext);
    if (existsSync(target)) return { sha256, path: target, created: false };
    writeFileAtomic(target, bytes);
    return { sha256, path: target, created: true };
  }

  /**
   * Like put, but asynchronous (several writes overlap their fsyncs) and without syncing the
   * folder: call syncDirs() once before committing rows that reference the new files.
   */
  async putAsync(kind: ContentKind, bytes: Uint8Array, ext: string, sha256 = sha256Hex(bytes)): Promise<StoredContent> {
    const target = this.path(kind, sha256, ext);
    if (existsSync(target)) return { sha256, path: target, created: false };
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, target);
    this.dirtyDirs.add(dir);
    return { sha256, path: target, created: true };
  }

  private readonly dirtyDirs = new Set<string>();

  /** Makes the renames of putAsync durable (one fsync per touched folder). */
  syncDirs(): void {
    for (const dir of this.dirtyDirs) fsyncDir(dir);
    this.dirtyDirs.clear();
  }

  read(kind: ContentKind, sha256: string, ext: string): Buffer {
    return readFileSync(this.path(kind, sha256, ext));
  }

  /** Deletes a stored file (used to undo files written for an import that then failed). */
  remove(kind: ContentKind, sha256: string, ext: string): void {
    rmSync(this.path(kind, sha256, ext), { force: true });
  }
}

/** Writes `bytes` to `target` so that readers see either the old state or the whole new file. */
export function writeFileAtomic(target: string, bytes: Uint8Array): void {
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dir);
}

/** Makes renames in `dir` durable (not possible on every platform; best effort). */
function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directories cannot be fsynced on Windows */
  }
}
