// Folder import throughput on NEU-Seg (JPEG 200×200 + class-index PNG masks), in-process.
// Usage: node --import tsx bench/importBench.ts [images=500]  → JSON on stdout.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../app/store/projectStore.js';
import { importFolder } from '../app/dataset/folderImport.js';

const SHARED = process.env.PASAM_SHARED ?? fileURLToPath(new URL('../../shared', import.meta.url));
const NEU = join(SHARED, 'datasets', 'neu-seg');
const n = Number(process.argv[2] ?? 500);
const root = mkdtempSync(join(tmpdir(), 'pasam-bench-'));
try {
  const src = join(root, 'src');
  const masks = join(root, 'masks');
  mkdirSync(src);
  mkdirSync(masks);
  for (const f of readdirSync(join(NEU, 'images')).sort().slice(0, n)) {
    symlinkSync(join(NEU, 'images', f), join(src, f));
    symlinkSync(join(NEU, 'masks', f.replace(/\.jpg$/, '.png')), join(masks, f.replace(/\.jpg$/, '.png')));
  }
  const store = ProjectStore.create(join(root, 'p'), { name: 'bench', classes: ['inclusion', 'patches', 'scratches'] });
  let commitStart = 0;
  const t0 = performance.now();
  const report = await importFolder(store, src, {
    masks,
    onProgress: (phase, done) => {
      if (phase === 'commit' && done === 1) commitStart = performance.now();
    },
  });
  const t1 = performance.now();
  const t2 = performance.now();
  const counts = store.counts();
  const countsMs = performance.now() - t2;
  store.close();
  console.log(
    JSON.stringify(
      {
        bench: 'folder-import',
        images: report.added,
        withMasks: report.withMasks,
        totalMs: Math.round(t1 - t0),
        imagesPerSecond: Math.round((report.added / (t1 - t0)) * 1000),
        commitMs: commitStart ? Math.round(t1 - commitStart) : null,
        countsMs: Math.round(countsMs * 10) / 10,
        classImages: counts.byClass.map((c) => c.images),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
