// Figures behind the annotator's responsiveness, in-process (the same ApiService `pasam serve` and
// Electron use): mask save/load round trips by image size, thumbnails, pyramid tiles of an
// 8000×6000 image, and the per-frame cost of drawing the mask overlay.
// Usage: node --import tsx bench/annotatorBench.ts  → JSON on stdout (and bench/results/annotator.json).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ApiService } from '../app/api/apiService.js';
import { paintOverlay, rgba } from '../renderer/src/annotator/overlayRenderer.js';

const root = mkdtempSync(join(tmpdir(), 'pasam-annot-bench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function blobMask(w: number, h: number, seed: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let k = 0; k < 12; k++) {
    const cx = ((seed * 7919 + k * 104729) % 1000) / 1000 * w;
    const cy = ((seed * 6271 + k * 7901) % 1000) / 1000 * h;
    const r = Math.max(3, Math.min(w, h) / 12);
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(h, cy + r); y++) for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(w, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) m[y * w + x] = 1 + (k % 2);
  }
  return m;
}

try {
  const src = join(root, 'src');
  mkdirSync(src);
  const sizes: [number, number][] = [[200, 200], [2048, 1536], [8000, 6000]];
  for (const [w, h] of sizes) {
    await sharp({ create: { width: w, height: h, channels: 3, background: { r: 90, g: 96, b: 104 } }, limitInputPixels: false }).jpeg({ quality: 85 }).toFile(join(src, `img-${w}x${h}.jpg`));
  }
  const api = new ApiService({ transport: 'http', home: join(root, 'home') });
  await api.invoke('projects.create', { dir: join(root, 'p'), name: 'bench', classes: [{ name: 'a', color: '#ff0000' }, { name: 'b', color: '#00ff00' }] });
  await api.invoke('images.import', { path: src });
  const images = (await api.invoke('images.list', {})).items;

  const masks: Record<string, unknown>[] = [];
  for (const img of images) {
    const runs = img.width * img.height > 10_000_000 ? 3 : 7;
    const save: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < runs; i++) {
      const data = blobMask(img.width, img.height, i + 1);
      let t = performance.now();
      await api.invoke('masks.save', { imageId: img.id, mask: { width: img.width, height: img.height, data }, source: 'manual' });
      save.push(performance.now() - t);
      t = performance.now();
      await api.invoke('masks.get', { imageId: img.id });
      load.push(performance.now() - t);
    }
    masks.push({ image: `${img.width}x${img.height}`, runs, saveMsMedian: Math.round(median(save)), loadMsMedian: Math.round(median(load)) });
  }

  const small = images.find((i) => i.width === 200)!;
  let t = performance.now();
  await api.binary({ kind: 'thumb', imageId: small.id });
  const thumbUncachedMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 20; i++) await api.binary({ kind: 'thumb', imageId: small.id });
  const thumbCachedMs = (performance.now() - t) / 20;

  const big = images.find((i) => i.width === 8000)!;
  t = performance.now();
  await api.binary({ kind: 'tile', imageId: big.id, level: 3, x: 0, y: 0 });
  const overviewTileMs = performance.now() - t;
  t = performance.now();
  await api.binary({ kind: 'tile', imageId: big.id, level: 0, x: 3, y: 2 });
  const firstFullResTileMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 4; i++) await api.binary({ kind: 'tile', imageId: big.id, level: 0, x: i, y: 3 });
  const nextFullResTileMs = (performance.now() - t) / 4;
  api.close();

  // One frame of the overlay for a 1400×800 viewport over the 48-megapixel mask.
  const labels = blobMask(8000, 6000, 3);
  const lut = new Uint32Array(256);
  lut[1] = rgba('#ff0000', 0.5);
  lut[2] = rgba('#00ff00', 0.5);
  const out = new Uint32Array(1400 * 800);
  const frame = (scale: number) => {
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      paintOverlay(out, 1400, 800, { scale, tx: -i * 7, ty: -i * 3 }, labels, 8000, 6000, lut, null, 0, 0);
      ms.push(performance.now() - s);
    }
    return Math.round(median(ms) * 100) / 100;
  };

  const result = {
    bench: 'annotator',
    date: new Date().toISOString(),
    note: 'in-process ApiService; saves include PNG encoding, fsync of the file and the SQLite commit',
    masks,
    thumbnail: { uncachedMs: Math.round(thumbUncachedMs), cachedMs: Math.round(thumbCachedMs * 100) / 100 },
    tiles8000x6000: { overviewTileMs: Math.round(overviewTileMs), firstFullResTileMs: Math.round(firstFullResTileMs), nextFullResTileMs: Math.round(nextFullResTileMs) },
    overlayFrameMs1400x800: { fitted: frame(0.13), zoom1x: frame(1), zoom8x: frame(8) },
  };
  const text = JSON.stringify(result, null, 2);
  console.log(text);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/annotator.json', import.meta.url), text + '\n');
} finally {
  rmSync(root, { recursive: true, force: true });
}
