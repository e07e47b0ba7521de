// Recently opened projects, kept in <PASAM_HOME>/recent-projects.json (most recent first).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RecentProject } from './apiTypes.js';

const MAX_RECENT = 20;

/** The per-user folder of PA-SAM Workstation (model library, recent projects). */
export function pasamHome(): string {
  return process.env.PASAM_HOME || join(homedir(), ".pasam");
}

export class RecentProjects {
  constructor(private readonly file: string) {}

  static inHome(home = pasamHome()): RecentProjects {
    return new RecentProjects(join(home, 'recent-projects.json'));
  }

  list(): RecentProject[] {
    if (!existsSync(this.file)) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      if (!Array.isArray(parsed)) return [];
      return parsed.filter((r): r is RecentProject => typeof r?.dir === 'string' && typeof r?.name === 'string');
    } catch {
      // A damaged list only costs the user the list itself; never fail opening a project over it.
      return [];
    }
  }

  touch(dir: string, name: string): void {
    const rest = this.list().filter((r) => r.dir !== dir);
    const next = [{ dir, name, openedAt: new Date().toISOString() }, ...rest].slice(0, MAX_RECENT);
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(next, null, 2));
    renameSync(tmp, this.file);
  }
}
