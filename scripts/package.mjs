// `npm run package`: builds out/ (scripts/build.mjs), then the desktop installers for this platform
// with electron-builder (electron-builder.yml: AppImage+deb on Linux, NSIS on Windows, dmg on
// macOS) into dist/desktop. better-sqlite3 is rebuilt for Electron first (Electron's headers or a
// prebuilt binary are downloaded); electron-builder downloads the Electron runtime and the
// installer tools. When one cannot be fetched this says which, not a bare network stack trace.
//
//   node scripts/package.mjs [--dir] [--electron-dist <folder>] [--no-rebuild] [--output <folder>]
//     --dir             an unpacked app folder only, no installer (what the packaging test checks)
//     --electron-dist   use this unpacked Electron distribution instead of downloading one
//     --no-rebuild      keep better-sqlite3 as installed (skips rebuilding it for Electron)
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildAll } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Optional dependencies the desktop package does not ship: the Electron runtime itself (electron-
 * builder adds its own) and the native tfjs backends, which need libtensorflow/CUDA set up on the
 * workstation and would bring the whole tfjs umbrella with them. Their code paths report them as
 * "not installed" and fall back to wasm.
 */
const NOT_SHIPPED = ['electron', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/**
 * Shipped addons built by node-gyp against V8's ABI, which must be rebuilt for Electron's (sharp and
 * ONNX Runtime use N-API). Rebuilt here rather than by electron-builder, which would also try to
 * rebuild the optional, not-shipped tfjs-node (and download libtensorflow for it).
 */
const REBUILD_FOR_ELECTRON = ['better-sqlite3'];

/** Dependencies of shipped modules that only their npm install scripts use (prebuilt download). */
const INSTALL_ONLY = ['prebuild-install', 'global-agent', 'adm-zip'];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The installed Electron's version, else the one package-lock.json resolved (the binary may be absent). */
export function electronVersion() {
  const installed = join(root, 'node_modules', 'electron', 'package.json');
  if (existsSync(installed)) return readJson(installed).version;
  const locked = readJson(join(root, 'package-lock.json')).packages?.['node_modules/electron']?.version;
  if (!locked) throw new Error('package-lock.json resolves no electron version; run npm install');
  return locked;
}

/** Where npm placed `name` as seen from the package at lock path `from` (Node's lookup order). */
function resolveLocked(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function reachable(packages, roots, stopNames = []) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const path = stack.pop();
    if (seen.has(path)) continue;
    seen.add(path);
    const p = packages[path];
    for (const name of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
      if (stopNames.includes(name)) continue;
      const dep = resolveLocked(packages, path, name);
      if (dep) stack.push(dep);
    }
  }
  return seen;
}

/** Installed packages that only the not-shipped and install-only dependencies need, as lock paths. */
export function packagesOnlyFor(notShipped = NOT_SHIPPED, installOnly = INSTALL_ONLY) {
  const packages = readJson(join(root, 'package-lock.json')).packages;
  const own = packages[''];
  const roots = (names) => names.map((n) => `node_modules/${n}`).filter((p) => packages[p]);
  const runtime = Object.keys({ ...own.dependencies, ...own.optionalDependencies }).filter((n) => !notShipped.includes(n));
  const keep = reachable(packages, roots(runtime), installOnly);
  // Install-only packages may be nested under the module that uses them; collect every copy.
  const installCopies = Object.keys(packages).filter((p) => installOnly.some((n) => p.endsWith(`node_modules/${n}`)));
  const drop = reachable(packages, [...roots(notShipped), ...installCopies]);
  return [...drop].filter((p) => !keep.has(p) && existsSync(join(root, p))).sort();
}

const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up|RequestError|HTTPError|status code [45]\d\d|fetch failed|download/i;

/** A one-paragraph explanation of a failed download, or undefined when the error is something else. */
export function explainFetchFailure(err, stage, version) {
  const reason = String(err?.message ?? err).split('\n')[0];
  // node-gyp reports a failed headers download on its own stderr; its error only says it failed.
  const rebuildFailed = stage === 'rebuild' && /node-gyp failed to rebuild|prebuild/i.test(reason);
  if (!rebuildFailed && !NETWORK_ERROR.test(`${err?.code ?? ''} ${err?.message ?? err}`)) return undefined;
  const platform = `${process.platform}-${process.arch}`;
  const what = {
    rebuild: `the Electron ${version} headers (https://www.electronjs.org/headers/v${version}/) or a prebuilt ${REBUILD_FOR_ELECTRON.join(', ')} for Electron, needed to rebuild it for Electron (or no C++ toolchain to build it with)`,
    electron: `the Electron runtime electron-v${version}-${platform}.zip (https://github.com/electron/electron/releases/tag/v${version})`,
    installer: `an installer tool electron-builder fetches for this target (https://github.com/electron-userland/electron-builder-binaries/releases)`,
  }[stage] ?? 'a file electron-builder needed';
  const hints = {
    rebuild: 'or pass --no-rebuild where better-sqlite3 already matches Electron',
    electron: `or place the zip in Electron's download cache (~/.cache/electron), or pass --electron-dist <unpacked Electron folder>`,
    installer: 'or pass --dir for an unpacked app folder without an installer',
  }[stage] ?? '';
  return `npm run package: could not download ${what}: ${reason}.\nConnect this machine to the internet, set ELECTRON_MIRROR / ELECTRON_BUILDER_BINARIES_MIRROR to a reachable mirror, ${hints}.`;
}

/**
 * Electron's rebuild compiles node-gyp addons (better-sqlite3) for Electron's ABI in place in
 * node_modules, and node-gyp deletes the old build first even when the download then fails. The
 * checkout's own `pasam`, tests and benches need the Node build, so it is kept aside and put back.
 */
function keepNodeBuilds() {
  const nm = join(root, 'node_modules');
  const builds = [];
  const visit = (dir, depth) => {
    if (depth > 3 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const pkg = join(dir, e.name);
      if (e.name.startsWith('@')) visit(pkg, depth);
      else if (existsSync(join(pkg, 'binding.gyp')) && existsSync(join(pkg, 'build', 'Release'))) {
        for (const f of readdirSync(join(pkg, 'build', 'Release'))) if (f.endsWith('.node')) builds.push(join(pkg, 'build', 'Release', f));
      }
    }
  };
  visit(nm, 0);
  const store = mkdtempSync(join(tmpdir(), 'pasam-node-builds-'));
  for (const f of builds) {
    const kept = join(store, relative(nm, f));
    mkdirSync(dirname(kept), { recursive: true });
    copyFileSync(f, kept);
  }
  return () => {
    for (const f of builds) {
      mkdirSync(dirname(f), { recursive: true });
      copyFileSync(join(store, relative(nm, f)), f);
    }
    rmSync(store, { recursive: true, force: true });
  };
}

export async function packageApp({ dir = false, electronDist, rebuild = true, output } = {}) {
  await buildAll();
  const { build, Platform, Arch } = await import('electron-builder');
  const version = electronVersion();
  let stage = 'setup';
  let appOutDir;
  const config = {
    electronVersion: version,
    // Done above for the shipped addons only (see REBUILD_FOR_ELECTRON).
    npmRebuild: false,
    files: packagesOnlyFor().map((p) => `!${p}/**`),
    ...(electronDist ? { electronDist } : {}),
    ...(output ? { directories: { output } } : {}),
    // Hooks only track which download a failure belongs to.
    beforePack: async () => {
      stage = 'electron';
    },
    afterExtract: async () => {
      stage = 'packing';
    },
    afterPack: async (context) => {
      appOutDir = context.appOutDir;
      stage = 'installer';
    },
  };
  const restoreNodeBuilds = rebuild ? keepNodeBuilds() : () => undefined;
  try {
    if (rebuild) {
      stage = 'rebuild';
      const { rebuild: rebuildAddons } = await import('@electron/rebuild');
      console.log(`rebuilding ${REBUILD_FOR_ELECTRON.join(', ')} for Electron ${version}`);
      await rebuildAddons({ buildPath: root, electronVersion: version, arch: process.arch, onlyModules: REBUILD_FOR_ELECTRON, force: true, mode: 'sequential' });
    }
    stage = 'setup';
    const artifacts = await build({ projectDir: root, targets: Platform.current().createTarget(dir ? 'dir' : null, Arch[process.arch]), config });
    return { appOutDir, artifacts };
  } catch (err) {
    const explained = explainFetchFailure(err, stage, version);
    if (explained) throw Object.assign(new Error(explained), { code: 'PASAM_FETCH_FAILED' });
    throw err;
  } finally {
    restoreNodeBuilds();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { dir: { type: 'boolean' }, 'electron-dist': { type: 'string' }, 'no-rebuild': { type: 'boolean' }, output: { type: 'string' } } });
  try {
    const { appOutDir, artifacts } = await packageApp({ dir: values.dir, electronDist: values['electron-dist'], rebuild: !values['no-rebuild'], output: values.output });
    console.log(`unpacked app: ${appOutDir}`);
    for (const a of artifacts) console.log(`installer: ${a}`);
  } catch (err) {
    console.error(err?.code === 'PASAM_FETCH_FAILED' ? err.message : err);
    // Explicitly: electron-builder's helpers can leave the exit code at 0.
    process.exit(1);
  }
}
