// An 8000×6000 image opens from a downsampled pyramid level, loads full-resolution tiles only where
// the user zooms in, pans with space-drag, and a stroke there is saved in the full-resolution mask.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { useServedUi, startServe, tempDir, browserSkipReason, screenshot } from './helpers/fixture.js';

const skip = browserSkipReason();
const ui = useServedUi();
const W = 8000;
const H = 6000;
let imageId: number;

before(async () => {
  if (skip) return;
  const source = tempDir('big-src');
  const svg = `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#3a3f47"/><stop offset="1" stop-color="#8a9099"/></linearGradient></defs>
    <rect width="${W}" height="${H}" fill="url(#g)"/>
    ${Array.from({ length: 40 }, (_, i) => `<circle cx="${(i * 1979) % W}" cy="${(i * 1237) % H}" r="${60 + (i % 7) * 25}" fill="#20242a"/>`).join('')}
    <path d="M 500 5500 L 7500 600" stroke="#15181c" stroke-width="18"/>
  </svg>`;
  await sharp(Buffer.from(svg), { limitInputPixels: false }).jpeg({ quality: 85 }).toFile(join(source, 'plate-8000x6000.jpg'));
  const workspace = tempDir('big-ws');
  ui.serve = await startServe(['--workspace', workspace], { PASAM_HOME: tempDir('big-home') });
  await ui.serve.rpc('projects.create', { dir: join(workspace, 'big'), name: 'Plates', classes: [{ name: 'crack', color: '#00e5ff' }] });
  const report = await ui.serve.rpc<{ added: number }>('images.import', { path: source });
  assert.equal(report.added, 1);
  imageId = (await ui.serve.rpc<{ items: { id: number }[] }>('images.list', {})).items[0]!.id;
  await ui.openPage();
});

test('an 8000×6000 image opens from coarse tiles, zooms to full-resolution tiles and pans', { skip }, async () => {
  const tiles: string[] = [];
  ui.page.on('request', (r) => {
    const m = /\/bin\/tile\/\d+\/(\d+)\/(\d+)\/(\d+)/.exec(r.url());
    if (m) tiles.push(`${m[1]}/${m[2]}/${m[3]}`);
  });
  await ui.page.goto(ui.serve.url);
  await ui.page.locator('[data-testid=grid-cell]').first().dblclick();
  await ui.page.waitForFunction(() => document.querySelector('[data-testid=image-name]')?.textContent?.startsWith('plate'));
  await ui.page.waitForFunction(() => /%$/.test(document.querySelector('.zoom-badge')?.textContent ?? ''));
  await ui.page.waitForTimeout(500);
  // Fitted (~13 %): the overview (level 3) and level 2 tiles; nothing at full resolution.
  assert.ok(tiles.length > 0 && tiles.length <= 8, `tiles at fit: ${tiles.join(' ')}`);
  assert.ok(tiles.every((t) => Number(t.split('/')[0]) >= 2), `no fine tiles when fitted: ${tiles.join(' ')}`);
  await screenshot(ui.page, 'large-image-fitted');

  const box = (await ui.page.locator('[data-testid=stage]').boundingBox())!;
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await ui.page.mouse.move(c.x, c.y);
  for (let i = 0; i < 12; i++) await ui.page.mouse.wheel(0, -240);
  await ui.page.waitForFunction(() => parseInt(document.querySelector('.zoom-badge')?.textContent ?? '0', 10) >= 100, undefined, { timeout: 20_000 });
  await ui.page.waitForTimeout(800);
  const fine = tiles.filter((t) => t.startsWith('0/'));
  assert.ok(fine.length >= 1 && fine.length <= 6, `full-resolution tiles only around the cursor: ${fine.join(' ')}`);
  // Zooming keeps the point under the cursor: the image centre stays at the stage centre.
  const coords = await ui.page.locator('.coords').textContent();
  const [ix, iy] = coords!.split(',').map((s) => Number(s.trim()));
  assert.ok(Math.abs(ix! - W / 2) < 30 && Math.abs(iy! - H / 2) < 30, `cursor still over the centre (${coords})`);

  // Space-drag pans by the dragged distance.
  await ui.page.keyboard.down(' ');
  await ui.page.mouse.down();
  await ui.page.mouse.move(c.x - 300, c.y - 200, { steps: 6 });
  await ui.page.mouse.up();
  await ui.page.keyboard.up(' ');
  await ui.page.mouse.move(c.x, c.y);
  const after = (await ui.page.locator('.coords').textContent())!.split(',').map((s) => Number(s.trim()));
  const zoom = parseInt((await ui.page.locator('.zoom-badge').textContent())!, 10) / 100;
  assert.ok(Math.abs(after[0]! - (ix! + 300 / zoom)) < 4 && Math.abs(after[1]! - (iy! + 200 / zoom)) < 4, `panned: ${after.join(',')} from ${ix},${iy} at ${zoom}`);
  await ui.page.waitForTimeout(500);
  await screenshot(ui.page, 'large-image-zoomed');
});

test('a stroke at full zoom lands at the right place of the full-resolution mask', { skip }, async () => {
  const box = (await ui.page.locator('[data-testid=stage]').boundingBox())!;
  const c = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await ui.page.mouse.move(c.x, c.y);
  const [ix, iy] = (await ui.page.locator('.coords').textContent())!.split(',').map((s) => Number(s.trim()));
  await ui.page.keyboard.press('b');
  await ui.page.mouse.down();
  await ui.page.mouse.move(c.x + 40, c.y, { steps: 4 });
  await ui.page.mouse.up();
  await ui.page.waitForSelector('[data-testid=save-state][data-state=saved][data-version="1"]', { timeout: 60_000 });
  const saved = await ui.serve.rpc<{ mask: { width: number; height: number; data: Uint8Array } }>('masks.get', { imageId });
  assert.deepEqual([saved.mask.width, saved.mask.height], [W, H]);
  assert.equal(saved.mask.data[iy! * W + ix!], 1, `the stroke starts at image pixel ${ix},${iy}`);
  let n = 0;
  for (const v of saved.mask.data) n += v;
  assert.ok(n > 0 && n < 20_000, `a small stroke (${n} pixels) in a 48-megapixel mask`);
  await screenshot(ui.page, 'large-image-stroke');
});
