// Never lose work: once the UI shows an edit as saved, SIGKILL of the server loses nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SHARED_DIR } from '../helpers/cli.js';
import { startServe, tempDir, type ServeHandle } from './helpers/fixture.js';
import { browserSkipReason, launchBrowser, newPage, screenshot } from './helpers/fixture.js';

const skip = browserSkipReason();
const NEU = join(SHARED_DIR, 'datasets', 'neu-seg', 'images');
let browser: Browser | undefined;
const servers: ServeHandle[] = [];

after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

test('paint, see it saved, SIGKILL the server, restart, reload: the stroke is there', { skip }, async () => {
  const workspace = tempDir('crash');
  const source = tempDir('crash-src');
  for (const name of readdirSync(NEU).sort().slice(10, 13)) copyFileSync(join(NEU, name), join(source, name));
  const home = tempDir('crash-home');
  const first = await startServe(['--workspace', workspace], { PASAM_HOME: home });
  servers.push(first);
  const projectDir = join(workspace, 'crash-project');
  await first.rpc('projects.create', { dir: projectDir, name: 'Crash', classes: [{ name: 'defect', color: '#ff0000' }] });
  await first.rpc('images.import', { path: source });

  browser = await launchBrowser();
  const { page } = await newPage(browser);
  await page.goto(first.url);
  await page.locator('[data-testid=grid-cell]').first().dblclick();
  await page.waitForFunction(() => document.querySelector('[data-testid=image-name]')?.textContent?.endsWith('.jpg'));
  const name = (await page.textContent('[data-testid=image-name]'))!;
  await page.waitForSelector('[data-testid=save-state][data-state=saved]');
  const box = (await page.locator('[data-testid=stage]').boundingBox())!;
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await page.keyboard.press('b');
  await page.mouse.move(c.x - 80, c.y - 80);
  await page.mouse.down();
  await page.mouse.move(c.x + 80, c.y + 80, { steps: 10 });
  await page.mouse.up();
  await page.waitForSelector('[data-testid=save-state][data-state=saved][data-version="1"]', { timeout: 20_000 });
  await first.kill();
  assert.equal(first.proc.signalCode, 'SIGKILL');

  const second = await startServe([projectDir], { PASAM_HOME: home });
  servers.push(second);
  const list = await second.rpc<{ items: { id: number; name: string; maskVersion: number }[] }>('images.list', {});
  const row = list.items.find((i) => i.name === name)!;
  assert.equal(row.maskVersion, 1);
  const saved = await second.rpc<{ mask: { width: number; data: Uint8Array } }>('masks.get', { imageId: row.id });
  const m = saved.mask;
  assert.equal(m.data[100 * m.width + 100], 1, 'the diagonal stroke crosses the centre');
  assert.equal(m.data[20 * m.width + 180], 0, 'and not the opposite corner');

  await page.goto(second.url);
  await page.locator(`[data-testid=grid-cell][data-image-id="${row.id}"]`).dblclick();
  await page.waitForSelector('[data-testid=save-state][data-version="1"]');
  const px = await page.evaluate(({ x, y }) => {
    const canvas = document.querySelectorAll<HTMLCanvasElement>('[data-testid=stage] canvas')[1]!;
    const r = canvas.getBoundingClientRect();
    return Array.from(canvas.getContext('2d')!.getImageData(Math.round(x - r.left), Math.round(y - r.top), 1, 1).data);
  }, c);
  assert.ok(px[3]! > 0 && px[0]! > 100, `the stroke is drawn after the restart (rgba ${px.join(',')})`);
  await screenshot(page, 'crash-recovery-after-restart');
});
