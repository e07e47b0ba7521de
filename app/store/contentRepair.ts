// Garbage collection of a project's content-addressed files: orphans (files no committed row
// references, left by an import killed between writing files and committing rows) and stale
// temporary files (a write killed before its rename). Safe against every other writer because
//  - it runs under the project's 'import' lock, so no import has written-but-uncommitted files;
//  - each orphan is re-checked and deleted inside one IMMEDIATE transaction, and the only other
//    writer (a mask save) stores its file and its row inside one such transaction too.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentKind } from './contentStore.js';
import { describeHolder, holderAlive, lockHolder, lockProject, processRunning, tryLockProject, type LockWaitOptions } from './projectLock.js';
import type { ProjectStore } from './projectStore.js';

export const IMPORT_LOCK = 'import';

/** A temp file of a process that is still running is left alone unless it is this old. */
const TMP_MAX_AGE_MS = 24 * 3600_000;

export interface RepairReport {
  orphanImages: number;
  orphanMasks: number;
  tmpFiles: number;
  bytesFreed: number;
  /** Every removed file (project-relative). */
  removed: string[];
}

const CONTENT_FILE = /^([0-9a-f]{64})\.[a-z0-9]+$/;
const TMP_FILE = /^\.tmp-(\d+)-|\.tmp$/;

interface Found {
  kind: ContentKind;
  rel: string;
  name: string;
  size: number;
}

function scan(store: ProjectStore): { content: Found[]; tmp: Found[] } {
  const content: Found[] = [];
  const tmp: Found[] = [];
  const now = Date.now();
  for (const kind of ['images', 'masks'] as const) {
    const root = join(store.dir, kind);
    let subs: string[];
    try {
      subs = readdirSync(root);
    } catch {
      continue;
    }
    for (const sub of subs) {
      const dir = join(root, sub);
      let names: string[];
      try {
        if (!statSync(dir).isDirectory()) continue;
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const st = statSync(join(dir, name), { throwIfNoEntry: false });
        if (!st?.isFile()) continue;
        const f: Found = { kind, rel: `${kind}/${sub}/${name}`, name, size: st.size };
        const t = TMP_FILE.exec(name);
        if (t) {
          const pid = t[1] ? Number(t[1]) : null;
          if (pid === null || !processRunning(pid) || now - st.mtimeMs > TMP_MAX_AGE_MS) tmp.push(f);
        } else if (CONTENT_FILE.test(name)) content.push(f);
      }
    }
  }
  return { content, tmp };
}

/** Removes orphans and stale temp files. The caller holds the 'import' lock. */
function collect(store: ProjectStore): RepairReport {
  const report: RepairReport = { orphanImages: 0, orphanMasks: 0, tmpFiles: 0, bytesFreed: 0, removed: [] };
  const { content, tmp } = scan(store);
  for (const f of tmp) {
    rmSync(join(store.dir, f.rel), { force: true });
    report.tmpFiles++;
    report.bytesFreed += f.size;
    report.removed.push(f.rel);
  }
  if (content.length === 0) return report;
  store.transaction(() => {
    // references read inside the transaction: no writer can add one before we finish deleting
    const images = new Set((store.db.prepare('SELECT sha256, ext FROM images').all() as { sha256: string; ext: string }[]).map((r) => `${r.sha256}.${r.ext}`));
    const masks = new Set((store.db.prepare('SELECT DISTINCT sha256 FROM mask_versions').all() as { sha256: string }[]).map((r) => `${r.sha256}.png`));
    for (const f of content) {
      if ((f.kind === 'images' ? images : masks).has(f.name)) continue;
      rmSync(join(store.dir, f.rel), { force: true });
      if (f.kind === 'images') report.orphanImages++;
      else report.orphanMasks++;
      report.bytesFreed += f.size;
      report.removed.push(f.rel);
    }
  });
  return report;
}

/** `pasam check --repair`: waits for a running import, then collects. */
export async function repairProjectContent(store: ProjectStore, opts: LockWaitOptions = {}): Promise<RepairReport> {
  const { lock } = await lockProject(store, IMPORT_LOCK, 'content repair', opts);
  try {
    return collect(store);
  } finally {
    lock.release();
  }
}

/**
 * The cheap check at project open: only when an import died holding the lock (the one way
 * orphans appear) is the content folder walked. A running import is never disturbed.
 */
export function repairAfterKilledImport(store: ProjectStore): RepairReport | null {
  const h = lockHolder(store, IMPORT_LOCK);
  if (!h || holderAlive(h)) return null;
  const r = tryLockProject(store, IMPORT_LOCK, `repair after ${describeHolder(h)} died`);
  if (!('lock' in r)) return null;
  try {
    return collect(store);
  } finally {
    r.lock.release();
  }
}

export function formatRepairReport(r: RepairReport): string {
  const mb = (r.bytesFreed / 1048576).toFixed(1);
  return `repair: removed ${r.orphanImages} orphan image file(s), ${r.orphanMasks} orphan mask file(s), ${r.tmpFiles} stale temporary file(s) (${mb} MB)`;
}
