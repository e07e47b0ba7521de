// Whether this code runs from the pre-built bundles (`npm run build` → out/, what the desktop
// package and an installed `pasam` run) or from the TypeScript sources under tsx (a checkout). The
// bundler defines __PASAM_BUILT__, so the answer costs nothing and never probes the filesystem.
declare const __PASAM_BUILT__: boolean;

export const BUILT: boolean = typeof __PASAM_BUILT__ !== 'undefined' && __PASAM_BUILT__;

/** A file of the build output, which is one flat folder (bundles, renderer/, wasm beside them). */
export function builtFile(name: string): URL {
  if (!BUILT) throw new Error(`${name} exists only in the pre-built bundle (npm run build)`);
  return new URL(`./${name}`, import.meta.url);
}

/**
 * The module a worker thread starts from: the worker's own bundle when built; in a checkout, a
 * one-line ESM bootstrap that registers tsx first (`execArgv: ['--import', 'tsx']` does not reach a
 * worker's entry module on Node 20) and then imports the TypeScript source.
 */
export function workerEntry(source: URL, bundleName: string): URL {
  if (BUILT) return builtFile(bundleName);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(source.href)});`;
  return new URL('data:text/javascript,' + encodeURIComponent(code));
}
