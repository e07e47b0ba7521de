// The host's folders as the UI sees them: absolute paths (with ~), folder listings that mark
// project folders, and the recent / workspace projects of the Projects page.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ProjectStore } from '../store/projectStore.js';
import type { ApiResult } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import type { RecentProjects } from './recentProjects.js';

/** An absolute path from the UI ('~' and '~/…' expand to the home folder); relative paths are refused. */
export function absolutePath(p: string): string {
  const expanded = p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
  if (!isAbsolute(expanded)) throw new ApiError('bad-request', `'${p}' must be an absolute path`);
  return resolve(expanded);
}

/** The sub-folders of `path` (hidden ones left out), each marked when it holds a project. */
export function listDir(path: string): ApiResult<'host.listDir'> {
  const dir = absolutePath(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new ApiError('not-found', `${dir}: cannot list (${err instanceof Error ? err.message : String(err)})`);
  }
  const entries = names
    .filter((n) => !n.startsWith('.'))
    .map((name) => ({ name, path: join(dir, name) }))
    .filter((e) => {
      try {
        return statSync(e.path).isDirectory();
      } catch {
        return false;
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((e) => ({ ...e, isProject: ProjectStore.isProject(e.path) }));
  const parent = dirname(dir);
  return { path: dir, parent: parent === dir ? null : parent, entries };
}

/** Recently opened projects that still exist, then the workspace's other project folders. */
export function recentProjects(recent: RecentProjects, workspaceDir: string | undefined): ApiResult<'projects.recent'> {
  const out = recent.list().filter((r) => ProjectStore.isProject(r.dir));
  if (workspaceDir && existsSync(workspaceDir)) {
    for (const name of readdirSync(workspaceDir).sort()) {
      const dir = resolve(workspaceDir, name);
      if (!out.some((r) => r.dir === dir) && ProjectStore.isProject(dir)) out.push({ dir, name, openedAt: null });
    }
  }
  return out;
}
