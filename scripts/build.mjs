// `npm run build`: the production build the desktop package and an installed `pasam` run from.
// Bundles the Electron main process, the CLI (which holds `pasam serve`) and every
// worker-thread entry into plain CommonJS in one flat folder (out/), with tfjs-backend-wasm's .wasm
// binaries beside them, and builds the renderer once into out/renderer. Runtime dependencies (the
// native modules, and the optional native tfjs backends) stay external and ship in node_modules;
// everything else, tfjs included, is bundled, so the package needs no compiler, no TypeScript
// sources and no writable install folder. The sandboxed preload is copied as written.
// CommonJS because Electron loads CommonJS from app.asar in the main process and worker threads
// alike; import.meta.url is mapped to the bundle's own file URL.
import { build } from 'esbuild';
import { copyFileSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRenderer } from '../renderer/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = join(root, 'out');

/** Bundle file (in out/) → source entry. Worker bundle names are what app/buildMode.ts resolves. */
export const ENTRIES = {
  'electronMain.cjs': 'main/electronMain.cjs',
  'pasam.cjs': 'app/cli/main.ts',
  // The product's training worker (engine choice: ONNX Runtime where it loads, tfjs otherwise).
  'trainWorker.cjs': 'app/finetune/trainWorker.ts',
  // The tfjs-only reference worker (TrainingService's default, used by reference runs and tests).
  'tfjsTrainWorker.cjs': 'app/engine/trainWorker.ts',
  'samWorker.cjs': 'app/api/samWorkerMain.ts',
  'jobWorker.cjs': 'app/api/jobWorkerMain.ts',
};

/** Development tools that only the checkout's code paths reach; they must never be bundled. */
const DEV_ONLY = ['tsx', 'esbuild', 'typescript'];

function externals() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...DEV_ONLY];
  // ws requires these optional speed-ups inside try/catch; without them it uses plain JS.
  return [...names, ...names.map((n) => `${n}/*`), 'bufferutil', 'utf-8-validate'];
}

/**
 * Checkout-only modules (the renderer builder pulls in esbuild) stay out of the bundles, and the
 * tfjs umbrella becomes tfjs-core + gradients + chained ops + CPU backend (app/tensor/tfBundled.ts).
 */
const resolveForBundle = {
  name: 'resolve-for-bundle',
  setup(b) {
    b.onResolve({ filter: /renderer\/build\.mjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onResolve({ filter: /^@tensorflow\/tfjs$/ }, () => ({ path: join(root, 'app', 'tensor', 'tfBundled.ts') }));
  },
};

/** tfjs-backend-wasm's binaries, beside the bundles where app/tensor/backend.ts looks when built. */
function copyWasmBinaries(outDir) {
  const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const files = readdirSync(dist).filter((f) => f.endsWith('.wasm'));
  if (files.length === 0) throw new Error(`no .wasm files in ${dist}`);
  for (const f of files) copyFileSync(join(dist, f), join(outDir, f));
}

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
    plugins: [resolveForBundle],
    // ES modules first: tfjs-core, its gradients/chained ops and the backends then share one copy.
    mainFields: ['module', 'main'],
    define: { __PASAM_BUILT__: 'true', 'import.meta.url': '__pasam_bundle_url', 'import.meta.resolve': 'undefined', 'process.env.NODE_ENV': '"production"' },
    banner: { js: 'const __pasam_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
    // Constant-folds the __PASAM_BUILT__ branches away; names stay readable in stack traces.
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    // A name the bundled tfjs (or any module) does not export is a build error, not undefined at run time.
    logOverride: { 'import-is-undefined': 'error' },
  });
  copyWasmBinaries(outDir);
  // The preload runs sandboxed, where require() knows only `electron` and a few others and there is
  // no __filename: it ships as written (it needs nothing else), without the bundles' preamble.
  copyFileSync(join(root, 'main', 'preload.cjs'), join(outDir, 'preload.cjs'));
  await buildRenderer(join(outDir, 'renderer'));
  writeFileSync(join(outDir, 'build.json'), JSON.stringify({ builtAt: new Date().toISOString(), entries: Object.keys(ENTRIES) }, null, 2) + '\n');
  log(`built ${Object.keys(ENTRIES).join(', ')}, preload.cjs and renderer/ into ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAll();
}
