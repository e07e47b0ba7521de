// SAM prompts in the annotator with the sam-tiny fixture as the library model: a click gives a live
// preview from the interactive predictor in the serve process; Enter stores it as a mask version.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { runCli, SHARED_DIR } from '../helpers/cli.js';
import { useServedUi, startServe, tempDir, browserSkipReason, screenshot } from './helpers/fixture.js';

const FIXTURE = join(SHARED_DIR, 'fixtures', 'sam-tiny');
const skip = browserSkipReason() ?? (existsSync(join(FIXTURE, 'sam_tiny.pth')) ? undefined : `no sam-tiny fixture at ${FIXTURE}`);
const ui = useServedUi();
let imageId: number;

before(async () => {
  if (skip) return;
  const home = tempDir('sam-home');
  const imported = runCli(['model', 'import', join(FIXTURE, 'sam_tiny.pth'), '--name', 'sam-tiny', '--config', join(FIXTURE, 'manifest.json')], { PASAM_HOME: home });
  assert.equal(imported.code, 0, imported.stderr);
  const workspace = tempDir('sam-ws');
  const source = tempDir('sam-src');
  copyFileSync(join(FIXTURE, 'image.png'), join(source, 'fixture.png'));
  ui.serve = await startServe(['--workspace', workspace], { PASAM_HOME: home });
  await ui.serve.rpc('projects.create', { dir: join(workspace, 'sam'), name: 'SAM', classes: [{ name: 'defect', color: '#ff3d00' }, { name: 'other', color: '#2979ff' }] });
  await ui.serve.rpc('images.import', { path: source });
  imageId = (await ui.serve.rpc<{ items: { id: number }[] }>('images.list', {})).items[0]!.id;
  await ui.openPage();
});

/** Page position of an image pixel, from the annotator's fit-to-window placement. */
async function screenOf(p: Page, x: number, y: number, w: number, h: number): Promise<{ x: number; y: number }> {
  const box = (await p.locator('[data-testid=stage]').boundingBox())!;
  const scale = Math.min(box.width / w, box.height / h) * 0.94;
  return { x: box.x + (box.width - w * scale) / 2 + x * scale, y: box.y + (box.height - h * scale) / 2 + y * scale };
}

test('the SAM tool reports the library model', { skip }, async () => {
  const status = await ui.serve.rpc<{ available: boolean; model: string }>('sam.status');
  assert.deepEqual([status.available, status.model], [true, 'sam-tiny']);
});

test('click → preview, right click → refined preview, Esc discards, Enter stores a mask version', { skip }, async () => {
  await ui.page.goto(ui.serve.url);
  await ui.page.locator('[data-testid=grid-cell]').first().dblclick();
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=image-name]')?.textContent === 'fixture.png');
  await ui.page.keyboard.press('s');
  assert.equal(await ui.page.getAttribute('[data-testid=tool-sam]', 'aria-pressed'), 'true');
  await ui.page.waitForSelector('[data-testid=stage][data-sam-busy=false]', { timeout: 60_000 });
  const pos = await screenOf(ui.page, 30, 60, 96, 160);
  await ui.page.mouse.click(pos.x, pos.y);
  await ui.page.waitForSelector('[data-testid=sam-accept]', { timeout: 60_000 });
  const area1 = Number(await ui.page.getAttribute('[data-testid=stage]', 'data-preview-area'));
  assert.ok(area1 > 0, 'the preview covers pixels');

  // Esc throws prompts and preview away; nothing is saved.
  await ui.page.keyboard.press('Escape');
  await ui.page.waitForSelector('[data-testid=sam-accept]', { state: 'detached' });
  assert.equal((await ui.serve.rpc<{ version: unknown }>('masks.get', { imageId })).version, null);

  await ui.page.mouse.click(pos.x, pos.y);
  await ui.page.waitForSelector('[data-testid=sam-accept]', { timeout: 60_000 });
  const neg = await screenOf(ui.page, 70, 50, 96, 160);
  await ui.page.mouse.click(neg.x, neg.y, { button: 'right' });
  await ui.page.waitForFunction((a) => Number(document.querySelector('[data-testid=stage]')?.getAttribute('data-preview-area')) !== a && document.querySelector('[data-testid=stage]')?.getAttribute('data-sam-busy') === 'false', area1, { timeout: 60_000 });
  const area2 = Number(await ui.page.getAttribute('[data-testid=stage]', 'data-preview-area'));
  assert.ok(area2 > 0);
  await screenshot(ui.page, 'annotator-sam-preview');

  await ui.page.keyboard.press('Enter');
  await ui.page.waitForSelector('[data-testid=save-state][data-state=saved][data-version="1"]', { timeout: 20_000 });
  const saved = await ui.serve.rpc<{ version: { source: string }; mask: { data: Uint8Array } }>('masks.get', { imageId });
  assert.equal(saved.version.source, 'sam');
  const stored = saved.mask.data.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
  assert.equal(stored, area2, 'the stored class-1 area is exactly the accepted preview');
  assert.equal((await ui.serve.rpc<{ image: { status: string } }>('images.get', { id: imageId })).image.status, 'annotated');
  await screenshot(ui.page, 'annotator-sam-accepted');
});
