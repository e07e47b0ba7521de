// Sessions survive a server restart (issue 14 item 3): SIGKILL `pasam serve`, paint during the
// outage, restart it on the same address (a new session token): the tab says it is signed out,
// keeps the edit (IndexedDB), refuses to leave the annotator, and once the user opens the new URL
// the kept edit is saved as the image's next mask version.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SHARED_DIR } from '../helpers/cli.js';
import { startServe, tempDir, type ServeHandle } from './helpers/serveProcess.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/browser.js';

const skip = browserSkipReason();
const NEU = join(SHARED_DIR, 'datasets', 'neu-seg', 'images');
let browser: Browser | undefined;
const servers: ServeHandle[] = [];

after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('kill and restart serve, edit during the outage, open the new URL: the edit is saved', { skip }, async () => {
  const workspace = tempDir('session');
  const source = tempDir('session-src');
  for (const name of readdirSync(NEU).sort().slice(20, 22)) copyFileSync(join(NEU, name), join(source, name));
  const home = tempDir('session-home');
  const port = String(await freePort());
  const first = await startServe(['--workspace', workspace, '--port', port], { PASAM_HOME: home });
  servers.push(first);
  const projectDir = join(workspace, 'session-project');
  await first.rpc('projects.create', { dir: projectDir, name: 'Session', classes: [{ name: 'defect', color: '#ff0000' }] });
  await first.rpc('images.import', { path: source });

  browser = await launchBrowser();
  const { page, errors } = await newPage(browser);
  page.on('dialog', (d) => void d.accept()); // "Leave site?" while an edit is unsaved: the user leaves
  await page.goto(first.url);
  await page.locator('[data-testid=grid-cell]').first().dblclick();
  await page.waitForFunction(() => document.querySelector('[data-testid=image-name]')?.textContent?.endsWith('.jpg'));
  const name = (await page.textContent('[data-testid=image-name]'))!;
  const imageId = (await first.rpc<{ items: { id: number; name: string }[] }>('images.list')).items.find((i) => i.name === name)!.id;
  const box = (await page.locator('[data-testid=stage]').boundingBox())!;
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const stroke = async (dy: number) => {
    await page.mouse.move(c.x - 80, c.y + dy);
    await page.mouse.down();
    await page.mouse.move(c.x + 80, c.y + dy, { steps: 8 });
    await page.mouse.up();
  };
  await page.keyboard.press('b');
  await stroke(-60);
  await page.waitForSelector('[data-testid=save-state][data-state=saved][data-version="1"]', { timeout: 20_000 });

  await first.kill();
  await stroke(60); // made while the server is down
  await page.waitForSelector('[data-testid=save-state][data-state=error]', { timeout: 20_000 });

  const second = await startServe([projectDir, '--port', port], { PASAM_HOME: home });
  servers.push(second);
  assert.notEqual(second.token, first.token);
  await page.waitForSelector('[data-testid=session-banner]', { timeout: 20_000 });
  await page.waitForSelector('[data-testid=session-pending]');
  await screenshot(page, 'session-signed-out');
  // Leaving the annotator would drop the edit from this tab: refused while signed out.
  await page.click('role=tab[name="Dataset"]');
  assert.equal(await page.getAttribute('.app', 'data-page'), 'annotate');
  assert.equal((await second.rpc<{ version: { version: number } | null }>('masks.get', { imageId })).version?.version, 1);

  await page.goto(second.url);
  const saved = await (async () => {
    for (let i = 0; i < 200; i++) {
      const m = await second.rpc<{ version: { version: number; source: string } | null; mask: { width: number; data: Uint8Array } | null }>('masks.get', { imageId });
      if (m.version && m.version.version >= 2) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the edit made during the outage was not saved after signing in');
  })();
  assert.equal(saved.version!.version, 2);
  const m = saved.mask!;
  const column = Math.floor(m.width / 2);
  const rows = [...Array(m.data.length / m.width).keys()].filter((y) => m.data[y * m.width + column] === 1);
  assert.ok(rows.some((y) => y < m.data.length / m.width / 2) && rows.some((y) => y > m.data.length / m.width / 2), 'both strokes (before and during the outage) are in the saved mask');
  await page.waitForSelector('[data-testid=connection][data-session=connected]');
  assert.equal(await page.locator('[data-testid=session-banner]').count(), 0);
  assert.deepEqual(errors, []);
});
