// Size of the desktop package for this platform: `npm run package --dir` (the real build and
// electron-builder) with a stand-in Electron distribution, then the unpacked size and where it
// goes. The Electron runtime itself is not counted: it is the same for every Electron 45 app and
// cannot be downloaded here (the stand-in is a few bytes). Target (issue 16): ≤ 200 MB unpacked
// for linux x64. Writes bench/results/package-size.json. Sizes do not depend on machine load; the
// packaging time does, so the load average is recorded with it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mb, packageWithStandIn, sizeReport } from '../scripts/packagedApp.js';

const TARGET_BYTES = 200e6;
const work = mkdtempSync(join(tmpdir(), 'pasam-package-size-'));
try {
  const loadBefore = loadavg();
  const app = packageWithStandIn(work, 600_000);
  const s = sizeReport(app);
  const result = {
    bench: 'package-size',
    date: new Date().toISOString(),
    note: 'electron-builder --dir with a stand-in Electron (runtime not counted), npmRebuild off; sizes are file bytes',
    platform: `${process.platform}-${process.arch}`,
    machine: { node: process.version, cpus: cpus().length, loadavgBefore: loadBefore.map((v) => Math.round(v * 100) / 100), loadavgAfter: loadavg().map((v) => Math.round(v * 100) / 100) },
    targetBytes: TARGET_BYTES,
    withinTarget: s.totalBytes <= TARGET_BYTES,
    totalBytes: s.totalBytes,
    asarBytes: s.asarBytes,
    unpackedBytes: s.unpackedBytes,
    runtimeBytes: s.runtimeBytes,
    packageSeconds: Math.round(app.seconds),
    top: s.top.slice(0, 12).map((t) => ({ name: t.name, bytes: t.bytes, unpackedBytes: t.unpackedBytes })),
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package-size.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`${result.platform}: ${mb(s.totalBytes)} unpacked (target ${mb(TARGET_BYTES)}: ${result.withinTarget ? 'met' : 'MISSED'}); app.asar ${mb(s.asarBytes)}, app.asar.unpacked ${mb(s.unpackedBytes)}`);
  for (const t of result.top) console.log(`  ${mb(t.bytes).padStart(9)}  ${t.name}${t.unpackedBytes ? ` (${mb(t.unpackedBytes)} unpacked)` : ''}`);
  if (!result.withinTarget) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
