// The lock file of one training run or batch job inside a project folder: it holds the pid of the
// process running it, so a second process (another serve, the CLI) refuses to run it too and the
// UI can tell a live run from one left behind by a killed process. A dead owner's lock is taken over.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { processRunning } from './projectLock.js';

/** The pid in a lock file when that process is alive and is not this one; null otherwise. */
export function lockOwner(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  // One liveness rule with the project lock (a process of another user, EPERM, is alive).
  return processRunning(pid) ? pid : null;
}

/** Whether another live process holds the lock file. */
export function lockHeldElsewhere(file: string): boolean {
  return lockOwner(file) !== null;
}

/**
 * Takes the lock file for this process (creating its folder), or throws `busy(pid)` while another
 * live process holds it. Returns the release function.
 */
export function acquireRunLock(file: string, busy: (pid: number) => string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const owner = lockOwner(file);
  if (owner !== null) throw new Error(busy(owner));
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
