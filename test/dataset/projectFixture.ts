// Real project stores for the dataset CLI tests: a fresh project, and the store opened around a
// check. The CLI itself runs through test/helpers/cli.ts (runCliInProcess).
import { join } from 'node:path';
import { ProjectStore } from '../../app/store/projectStore.js';
import { tempDir } from './fixtures.js';

export function newProject(classes?: string): string {
  const dir = join(tempDir(), 'project');
  ProjectStore.create(dir, { name: 'test', ...(classes ? { classes: classes.split(',') } : {}) }).close();
  return dir;
}

export async function withStoreAsync<T>(dir: string, fn: (s: ProjectStore) => Promise<T>): Promise<T> {
  const s = ProjectStore.open(dir);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

export function withStore<T>(dir: string, fn: (s: ProjectStore) => T): T {
  const s = ProjectStore.open(dir);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}
