// Bundles the React renderer with esbuild into renderer/dist/ (git-ignored). `pasam serve` and the
// Electron main process call ensureRendererBuilt() in a checkout so that no separate build step is
// needed; `npm run build` (scripts/build.mjs) builds it once into out/renderer for the package.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const RENDERER_DIST = join(here, 'dist');
const SOURCES = [join(here, 'src'), join(here, '..', 'app', 'api'), join(here, '..', 'app', 'store', 'storeTypes.ts'), join(here, 'build.mjs')];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PA-SAM Workstation</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<div id="root"></div>
<script src="app.js"></script>
</body>
</html>
`;

/** Builds the page into outDir (renderer/dist in a checkout; out/renderer for the package). */
export async function buildRenderer(outDir = RENDERER_DIST) {
  mkdirSync(outDir, { recursive: true });
  // Built beside, then renamed into place: a server reading dist/ never sees a half-written file.
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    bundle: true,
    outfile: join(outDir, `app.js${tmp}`),
    format: 'iife',
    platform: 'browser',
    target: ['chrome120'],
    jsx: 'automatic',
    minify: true,
    sourcemap: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
  copyFileSync(join(here, 'src', 'styles.css'), join(outDir, `app.css${tmp}`));
  writeFileSync(join(outDir, `index.html${tmp}`), INDEX_HTML);
  for (const f of ['app.js', 'app.css', 'index.html']) renameSync(join(outDir, f + tmp), join(outDir, f));
  writeFileSync(join(outDir, '.stamp'), String(Date.now()));
}

/** Builds the renderer if dist/ is missing or older than any source. Returns whether it built. */
export async function ensureRendererBuilt() {
  const stamp = join(RENDERER_DIST, '.stamp');
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (built > 0 && built >= Math.max(...SOURCES.map(newestMtime))) return false;
  await buildRenderer();
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildRenderer();
  console.log(`renderer built into ${RENDERER_DIST}`);
}
