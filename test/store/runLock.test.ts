// The run / batch-job lock file: refused while another live process holds it, taken over from a
// dead one, ignored when it names this process, released by its release function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, lockHeldElsewhere, lockOwner } from '../../app/store/runLock.js';

test('a live owner blocks, a dead owner is taken over, release removes the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pasam-lock-'));
  const file = join(dir, 'runs', '7', 'lock');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    assert.equal(lockOwner(file), null, 'no file, no owner');
    const release = acquireRunLock(file, (pid) => `busy ${pid}`);
    assert.equal(readFileSync(file, 'utf8'), String(process.pid));
    assert.equal(lockHeldElsewhere(file), false, 'our own pid is not another process');
    release();
    assert.equal(existsSync(file), false);

    writeFileSync(file, String(child.pid));
    assert.equal(lockOwner(file), child.pid);
    assert.throws(() => acquireRunLock(file, (pid) => `run 7 is being trained by process ${pid}`), new RegExp(`run 7 is being trained by process ${child.pid}`));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(lockHeldElsewhere(file), false, 'a dead owner holds nothing');
    acquireRunLock(file, () => 'unexpected')();

    writeFileSync(file, 'garbage');
    assert.equal(lockOwner(file), null, 'an unreadable pid holds nothing');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
