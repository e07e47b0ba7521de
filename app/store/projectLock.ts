// A named write lock on a project, held across processes (CLI, serve, desktop). It is a row in the
// project's settings table, taken and checked inside one IMMEDIATE SQLite transaction, so two
// processes can never both believe they hold it; a holder that died (SIGKILL, crash) is detected
// by its process id and its lock taken over. Imports serialise on the 'import' lock; the content
// garbage collector takes the same lock, so it never sees an import's not-yet-committed files.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ProjectStore } from './projectStore.js';

export interface LockHolder {
  pid: number;
  /** Unique per acquisition: two holders in one process are told apart by it. */
  token: string;
  /** What the holder is doing, for the waiting message ('import of /data/batch7'). */
  what: string;
  since: string;
  /** The holder process's start time where the OS tells it (Linux), so a reused pid is not taken for it. */
  started?: string | null;
}

/** A process's start time in clock ticks after boot (/proc/<pid>/stat field 22), or null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const settingKey = (name: string): string => `lock.${name}`;

/** Tokens this process holds now (a row with our pid but an unknown token is a leftover). */
const heldHere = new Set<string>();

/** Whether the process behind a lock row is still running (same machine assumed: a project is a local folder). */
export function holderAlive(h: LockHolder): boolean {
  if (h.pid === process.pid) return heldHere.has(h.token);
  if (!processRunning(h.pid)) return false;
  // a process with that id runs; it is the holder unless its start time says the id was reused
  return !h.started || processStartTime(h.pid) === null || processStartTime(h.pid) === h.started;
}

/** Whether a process with this id exists (EPERM: it does, under another user). */
export function processRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function asHolder(v: unknown): LockHolder | null {
  if (typeof v !== 'object' || v === null) return null;
  const h = v as Partial<LockHolder>;
  return typeof h.pid === 'number' && typeof h.token === 'string'
    ? { pid: h.pid, token: h.token, what: String(h.what ?? '?'), since: String(h.since ?? '?'), started: typeof h.started === 'string' ? h.started : null }
    : null;
}

/** The current holder of a lock, alive or not (null when free). */
export function lockHolder(store: ProjectStore, name: string): LockHolder | null {
  return asHolder(store.getSetting(settingKey(name)));
}

export class ProjectLock {
  private released = false;

  constructor(
    private readonly store: ProjectStore,
    readonly name: string,
    readonly holder: LockHolder,
  ) {}

  /** Frees the lock (only if this acquisition still holds it). */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.holder.token);
    if (!this.store.db.open) return;
    this.store.transaction(() => {
      if (lockHolder(this.store, this.name)?.token === this.holder.token) this.store.setSetting(settingKey(this.name), null);
    });
  }
}

/**
 * Takes the lock if it is free or its holder is dead; otherwise returns the living holder.
 * `stale` tells the caller that a dead holder's lock was taken over (its work may need repair).
 */
export function tryLockProject(store: ProjectStore, name: string, what: string): { lock: ProjectLock; staleHolder: LockHolder | null } | { holder: LockHolder } {
  const me: LockHolder = { pid: process.pid, token: randomBytes(8).toString('hex'), what, since: new Date().toISOString(), started: processStartTime(process.pid) };
  return store.transaction(() => {
    const cur = lockHolder(store, name);
    if (cur && holderAlive(cur)) return { holder: cur };
    store.setSetting(settingKey(name), me);
    heldHere.add(me.token);
    return { lock: new ProjectLock(store, name, me), staleHolder: cur };
  });
}

export interface LockWaitOptions {
  /** Called once when the lock is busy (and again when the holder changes). */
  onWait?: (holder: LockHolder) => void;
  pollMs?: number;
}

/** Waits until the lock is free (or its holder dead) and takes it. */
export async function lockProject(store: ProjectStore, name: string, what: string, opts: LockWaitOptions = {}): Promise<{ lock: ProjectLock; staleHolder: LockHolder | null }> {
  let told: string | null = null;
  for (;;) {
    const r = tryLockProject(store, name, what);
    if ('lock' in r) return r;
    if (told !== r.holder.token) {
      told = r.holder.token;
      opts.onWait?.(r.holder);
    }
    await new Promise((res) => setTimeout(res, opts.pollMs ?? 200));
  }
}

/** "import of /data/x (process 123, since 22:50:01)" */
export function describeHolder(h: LockHolder): string {
  return `${h.what} (process ${h.pid}, since ${h.since.slice(11, 19)} UTC)`;
}
