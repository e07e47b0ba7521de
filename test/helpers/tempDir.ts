// A fresh temporary folder per call, named for the test that made it (left for the OS to clean).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pasam-${prefix}-`));
}
