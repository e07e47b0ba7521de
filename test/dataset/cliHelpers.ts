// Running the real `pasam` dispatcher in this process (a spawned CLI costs seconds of start-up
// each on a busy machine) against real project stores.
import { join } from 'node:path';
import { main } from '../../app/cli/main.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { tempDir } from './fixtures.js';

/** The real `pasam` dispatcher, in this process (a spawned CLI costs seconds of start-up each). */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

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
