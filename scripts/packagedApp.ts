// A packaged desktop app, made and taken apart without an Electron binary: `npm run package --dir`
// with a stand-in Electron distribution, what app.asar holds (and which entries electron-builder
// unpacked), the app laid out on disk the way Electron presents it, and where its bytes go.
// Shared by the packaging test (test/package/) and bench/packageSize.ts.
import { getRawHeader, extractFile } from '@electron/asar';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Files the OS loader maps (they cannot be read from inside an asar archive). */
export const NATIVE_FILE = /\.(node|dll|dylib|so(\.\d+)*)$/;

export interface AsarEntry {
  /** Path inside the archive, '/'-separated, no leading slash. */
  path: string;
  size: number;
  /** Stored in app.asar.unpacked/ beside the archive instead of inside it. */
  unpacked: boolean;
}

export interface PackagedApp {
  appOutDir: string;
  resourcesDir: string;
  seconds: number;
}

/** A folder electron-builder accepts as an unpacked Electron distribution: one dummy executable. */
export function makeStandInElectron(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, process.platform === 'win32' ? 'electron.exe' : 'electron');
  writeFileSync(exe, '#!/bin/sh\necho "stand-in Electron: no runtime here" >&2\nexit 1\n');
  chmodSync(exe, 0o755);
  return dir;
}

/** Runs `npm run package -- --dir` (build + electron-builder) with the stand-in; no download, no rebuild. */
export function packageWithStandIn(workDir: string, timeoutMs = 240_000): PackagedApp {
  const started = Date.now();
  const electronDist = makeStandInElectron(join(workDir, 'electron-dist'));
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.mjs'), '--dir', '--no-rebuild', '--electron-dist', electronDist, '--output', join(workDir, 'dist')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  });
  const appOutDir = /^unpacked app: (.+)$/m.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !appOutDir) throw new Error(`npm run package --dir failed (status ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  return { appOutDir, resourcesDir: resourcesOf(appOutDir), seconds: (Date.now() - started) / 1000 };
}

/** Where app.asar lies: resources/ on Linux and Windows, <name>.app/Contents/Resources on macOS. */
function resourcesOf(appOutDir: string): string {
  if (process.platform !== 'darwin') return join(appOutDir, 'resources');
  const bundle = readdirSync(appOutDir).find((n) => n.endsWith('.app'));
  if (!bundle) throw new Error(`no .app bundle in ${appOutDir}`);
  return join(appOutDir, bundle, 'Contents', 'Resources');
}

interface HeaderNode {
  files?: Record<string, HeaderNode>;
  size?: number;
  unpacked?: boolean;
  link?: string;
}

/** Every file in app.asar (symlinks left out), with its size and whether it was unpacked. */
export function asarEntries(archive: string): AsarEntry[] {
  const out: AsarEntry[] = [];
  const walk = (node: HeaderNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else if (child.link === undefined) out.push({ path, size: child.size ?? 0, unpacked: child.unpacked === true });
    }
  };
  walk(getRawHeader(archive).header as HeaderNode, '');
  return out;
}

/**
 * Lays the app out in `dest` the way Electron presents it to the code: files from inside the
 * archive are extracted; native files are symlinks into app.asar.unpacked, so that the OS loads
 * them (and the libraries next to them) from there, as it does in the installed app.
 */
export function materialize(resourcesDir: string, dest: string): void {
  const archive = join(resourcesDir, 'app.asar');
  for (const e of asarEntries(archive)) {
    const target = join(dest, e.path);
    mkdirSync(dirname(target), { recursive: true });
    const unpackedFile = join(resourcesDir, 'app.asar.unpacked', e.path);
    if (e.unpacked && NATIVE_FILE.test(e.path)) symlinkSync(unpackedFile, target);
    else if (e.unpacked) copyFileSync(unpackedFile, target);
    else writeFileSync(target, extractFile(archive, e.path));
  }
}

function diskBytes(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const name of readdirSync(path)) total += diskBytes(join(path, name));
  return total;
}

export interface SizeReport {
  totalBytes: number;
  asarBytes: number;
  unpackedBytes: number;
  /** Everything outside resources/app.asar* (the Electron runtime; here the stand-in). */
  runtimeBytes: number;
  /** Per package (node_modules/<name>) or top folder of the app, archive and unpacked together. */
  top: { name: string; bytes: number; unpackedBytes: number }[];
}

export function sizeReport(app: PackagedApp): SizeReport {
  const asarBytes = statSync(join(app.resourcesDir, 'app.asar')).size;
  const unpackedBytes = diskBytes(join(app.resourcesDir, 'app.asar.unpacked'));
  const totalBytes = diskBytes(app.appOutDir);
  const groups = new Map<string, { bytes: number; unpackedBytes: number }>();
  for (const e of asarEntries(join(app.resourcesDir, 'app.asar'))) {
    const m = /^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(e.path);
    const name = m ? m[1]! : e.path.split('/')[0]!;
    const g = groups.get(name) ?? { bytes: 0, unpackedBytes: 0 };
    g.bytes += e.size;
    if (e.unpacked) g.unpackedBytes += e.size;
    groups.set(name, g);
  }
  const top = [...groups.entries()].map(([name, g]) => ({ name, ...g })).sort((a, b) => b.bytes - a.bytes);
  return { totalBytes, asarBytes, unpackedBytes, runtimeBytes: totalBytes - asarBytes - unpackedBytes, top };
}

/** "12.3 MB" */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
