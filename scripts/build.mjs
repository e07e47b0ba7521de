// `npm run build`: the production build the desktop package and an installed `pasam` run from.
// Bundles the Electron main process, its preload, the CLI (which holds `pasam serve`) and every
// worker-thread entry into plain CommonJS in one flat folder (out/), and builds the renderer once
// into out/renderer. Runtime dependencies (native modules, tfjs, which the optional tfjs-node
// backends must share) stay external and ship in node_modules; everything else is bundled, so
// the package needs no compiler, no TypeScript sources and no writable install folder.
// CommonJS because Electron loads CommonJS from app.asar in the main process and worker threads
// alike; import.meta.url is mapped to the bundle's own file URL.
import { build } from 'esbuild';
import { readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRenderer } from '../renderer/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = join(root, 'out');

/** Bundle file (in out/) → source entry. Worker bundle names are what app/buildMode.ts resolves. */
export const ENTRIES = {
  'electronMain.cjs': 'main/electronMain.cjs',
  'preload.cjs': 'main/preload.cjs',
  'pasam.cjs': 'app/cli/main.ts',
  'trainWorker.cjs': 'app/engine/trainWorker.ts',
  'samWorker.cjs': 'app/api/samWorkerMain.ts',
};

/** Development tools that only the checkout's code paths reach; they must never be bundled. */
const DEV_ONLY = ['tsx', 'esbuild', 'typescript'];

function externals() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...DEV_ONLY];
  // ws requires these optional speed-ups inside try/catch; without them it uses plain JS.
  return [...names, ...names.map((n) => `${n}/*`), 'bufferutil', 'utf-8-validate'];
}

/** Checkout-only modules (the renderer builder pulls in esbuild) stay out of the bundles. */
const devOnlyFiles = {
  name: 'dev-only-files',
  setup(b) {
    b.onResolve({ filter: /renderer\/build\.mjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

export async function buildAll({ outDir = BUILD_DIR, log = console.log } = {}) {
  const started = Date.now();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: Object.entries(ENTRIES).map(([out, src]) => ({ out: out.replace(/\.cjs$/, ''), in: join(root, src) })),
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: externals(),
    plugins: [devOnlyFiles],
    define: { __PASAM_BUILT__: 'true', 'import.meta.url': '__pasam_bundle_url', 'import.meta.resolve': 'undefined', 'process.env.NODE_ENV': '"production"' },
    banner: { js: 'const __pasam_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
    // Constant-folds the __PASAM_BUILT__ branches away; names stay readable in stack traces.
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await buildRenderer(join(outDir, 'renderer'));
  writeFileSync(join(outDir, 'build.json'), JSON.stringify({ builtAt: new Date().toISOString(), entries: Object.keys(ENTRIES) }, null, 2) + '\n');
  log(`built ${Object.keys(ENTRIES).join(', ')} and renderer/ into ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAll();
}
