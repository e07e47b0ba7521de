// Dataset curation figures on NEU-Seg: mask-png import (with manifest split and class mapping),
// perceptual hashing, health check, and export + re-import per format, in-process.
// Usage: node --import tsx bench/datasetBench.ts [images=500]  → JSON on stdout.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../app/store/projectStore.js';
import { checkProject, exportProject, importSource } from '../app/dataset/projectDataset.js';
import { parseClassMap } from '../app/dataset/classMapping.js';
import { greyThumbnail, phashOfThumbnail } from '../app/dataset/perceptualHash.js';
import { EXPORT_FORMATS } from '../app/dataset/export/exportTypes.js';

const SHARED = process.env.PASAM_SHARED ?? fileURLToPath(new URL('../../shared', import.meta.url));
const NEU = join(SHARED, 'datasets', 'neu-seg');
const n = Number(process.argv[2] ?? 500);
const root = mkdtempSync(join(tmpdir(), 'pasam-dsbench-'));
const ms = (t0: number) => Math.round(performance.now() - t0);
try {
  const src = join(root, 'neu');
  mkdirSync(join(src, 'images'), { recursive: true });
  mkdirSync(join(src, 'masks'), { recursive: true });
  const names = readdirSync(join(NEU, 'images')).sort().slice(0, n);
  for (const f of names) {
    symlinkSync(join(NEU, 'images', f), join(src, 'images', f));
    symlinkSync(join(NEU, 'masks', f.replace(/\.jpg$/, '.png')), join(src, 'masks', f.replace(/\.jpg$/, '.png')));
  }
  const stems = new Set(names.map((f) => f.replace(/\.jpg$/, '')));
  const manifest = readFileSync(join(NEU, 'manifest.csv'), 'utf8').split('\n');
  writeFileSync(join(src, 'manifest.csv'), [manifest[0], ...manifest.slice(1).filter((l) => stems.has(l.split(',')[0]!))].join('\n'));

  const store = ProjectStore.create(join(root, 'p'), { name: 'bench' });
  let t0 = performance.now();
  const report = await importSource(store, src, { classMap: parseClassMap('1=inclusion,2=patches,3=scratches') });
  const importMs = ms(t0);

  t0 = performance.now();
  for (const f of names.slice(0, 200)) phashOfThumbnail(await greyThumbnail(readFileSync(join(NEU, 'images', f))));
  const phashMsPerImage = ms(t0) / Math.min(200, names.length);

  t0 = performance.now();
  const health = await checkProject(store);
  const checkColdMs = ms(t0);
  t0 = performance.now();
  await checkProject(store);
  const checkCachedMs = ms(t0);

  const formats: Record<string, { exportMs: number; reimportMs: number; added: number }> = {};
  for (const format of EXPORT_FORMATS) {
    const out = join(root, `out-${format}`);
    t0 = performance.now();
    await exportProject(store, out, format);
    const exportMs = ms(t0);
    const again = ProjectStore.create(join(root, `re-${format}`), { name: format });
    t0 = performance.now();
    const r = await importSource(again, out);
    formats[format] = { exportMs, reimportMs: ms(t0), added: r.added };
    again.close();
  }
  store.close();
  console.log(
    JSON.stringify(
      {
        bench: 'dataset',
        images: names.length,
        import: { ms: importMs, added: report.added, perImageMs: +(importMs / Math.max(1, report.added)).toFixed(2) },
        phashMsPerImage: +phashMsPerImage.toFixed(2),
        check: { coldMs: checkColdMs, cachedMs: checkCachedMs, findings: health.findings.map((f) => f.check) },
        formats,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
