// The desktop app through Playwright's Electron support: where an Electron binary exists it opens a
// project, proves the page has no Node and talks only through the preload bridge, and saves a
// brush stroke over IPC. Where none exists the test reports itself skipped, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_DIR } from '../helpers/cli.js';
import { findElectronBinary } from '../../app/cli/commands/desktop.js';
import { startServe, tempDir } from './helpers/fixture.js';
import { screenshot } from './helpers/fixture.js';

const MAIN = fileURLToPath(new URL('../../main/electronMain.cjs', import.meta.url));
const electron = findElectronBinary();
const skip = 'reason' in electron ? `no Electron binary here: ${electron.reason}` : undefined;
if (skip) console.log(`# electron e2e skipped: ${skip}`);

test('the Electron app opens a project in a sandboxed window and saves a stroke over IPC', { skip }, async () => {
  if (!('path' in electron)) return;
  const home = tempDir('el-home');
  const workspace = tempDir('el-ws');
  const source = tempDir('el-src');
  const neu = join(SHARED_DIR, 'datasets', 'neu-seg', 'images');
  for (const name of readdirSync(neu).sort().slice(0, 3)) copyFileSync(join(neu, name), join(source, name));
  // Prepare the project with the same API through `pasam serve`, then stop it.
  const serve = await startServe(['--workspace', workspace], { PASAM_HOME: home });
  const projectDir = join(workspace, 'desk');
  await serve.rpc('projects.create', { dir: projectDir, name: 'Desk', classes: [{ name: 'defect', color: '#ff0000' }] });
  await serve.rpc('images.import', { path: source });
  await serve.stop();

  const { _electron } = await import('playwright-core');
  const app = await _electron.launch({ executablePath: electron.path, args: [MAIN, projectDir], env: { ...process.env, PASAM_HOME: home } });
  try {
    const win = await app.firstWindow();
    await win.waitForSelector('[data-testid=grid-cell]', { timeout: 60_000 });
    const env = await win.evaluate(() => ({
      protocol: location.protocol,
      hasRequire: typeof (window as unknown as { require?: unknown }).require !== 'undefined',
      hasProcess: typeof (window as unknown as { process?: unknown }).process !== 'undefined',
      bridge: Object.keys((window as unknown as { pasam: object }).pasam).sort(),
    }));
    assert.deepEqual(env, { protocol: 'app:', hasRequire: false, hasProcess: false, bridge: ['binBase', 'invoke', 'onEvent'] });
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const p = BrowserWindow.getAllWindows()[0]!.webContents.getLastWebPreferences()!;
      return { contextIsolation: p.contextIsolation, nodeIntegration: p.nodeIntegration, sandbox: p.sandbox };
    });
    assert.deepEqual(prefs, { contextIsolation: true, nodeIntegration: false, sandbox: true });
    await screenshot(win, 'electron-dataset');

    await win.locator('[data-testid=grid-cell]').first().dblclick();
    await win.waitForSelector('[data-testid=save-state][data-state=saved]');
    const box = (await win.locator('[data-testid=stage]').boundingBox())!;
    await win.keyboard.press('b');
    await win.mouse.move(box.x + box.width / 2 - 50, box.y + box.height / 2);
    await win.mouse.down();
    await win.mouse.move(box.x + box.width / 2 + 50, box.y + box.height / 2, { steps: 8 });
    await win.mouse.up();
    await win.waitForSelector('[data-testid=save-state][data-state=saved][data-version="1"]', { timeout: 20_000 });
    await screenshot(win, 'electron-annotator');
  } finally {
    await app.close();
  }
  const { ProjectStore } = await import('../../app/store/projectStore.js');
  const store = ProjectStore.open(projectDir);
  try {
    const first = store.listImages()[0]!;
    assert.equal(store.latestMask(first.id)?.version, 1);
  } finally {
    store.close();
  }
});
