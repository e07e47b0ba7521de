// Every file under a folder with its bytes, to show that an action left the folder byte-identical.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Relative path → base64 of the bytes, for every file under `root`. */
export function folderSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath ?? e.path, e.name);
    out[relative(root, full)] = readFileSync(full).toString('base64');
  }
  return out;
}
