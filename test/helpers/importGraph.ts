// The project's layer rule and a checker for it. The import graph is read from the source text
// (static, dynamic and require imports with relative paths), so type-only imports count too: a
// lower layer may not even name a higher layer's types.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * Each layer and the layers directly below it; a layer may import any layer reachable downwards.
 *   tensor ← model ← engine ← {onnx, batch, finetune} ← api ← {server, cli, main}
 *   images ← store ← dataset, metrics: below whatever uses them.
 */
export const LAYERS: Record<string, readonly string[]> = {
  'app/tensor': [],
  'app/images': [],
  'app/metrics': ['app/tensor'],
  'app/store': ['app/images'],
  'app/dataset': ['app/store', 'app/images', 'app/metrics'],
  'app/model': ['app/tensor'],
  'app/engine': ['app/model', 'app/dataset', 'app/metrics'],
  'app/onnx': ['app/engine'],
  'app/batch': ['app/onnx', 'app/engine'],
  'app/finetune': ['app/onnx', 'app/engine'],
  'app/api': ['app/batch', 'app/finetune', 'app/onnx'],
  'app/server': ['app/api'],
  // The CLI is the top: `pasam serve` starts the server and builds the renderer in development.
  'app/cli': ['app/api', 'app/server', 'renderer/build.mjs'],
  'renderer/build.mjs': [],
  main: ['app/api'],
};

/** The only app files the renderer may import: the API's types and its wire codec. */
export const RENDERER_MAY_IMPORT = ['app/api/apiTypes.ts', 'app/api/fineTuneTypes.ts', 'app/api/wireCodec.ts'];

export type ImportGraph = Map<string, string[]>;

export function layerOf(file: string): string | undefined {
  const layer = Object.keys(LAYERS).find((l) => file === l || file.startsWith(l + '/'));
  return layer ?? (file.startsWith('renderer/') ? 'renderer' : undefined);
}

function below(layer: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(LAYERS[layer] ?? [])];
  while (stack.length > 0) {
    const l = stack.pop()!;
    if (seen.has(l)) continue;
    seen.add(l);
    stack.push(...(LAYERS[l] ?? []));
  }
  return seen;
}

/** Every import that breaks the rule, as "from → to (from layer → to layer)". */
export function layerViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  const allowed = new Map(Object.keys(LAYERS).map((l) => [l, below(l)]));
  for (const [from, targets] of graph) {
    const fromLayer = layerOf(from);
    if (!fromLayer) continue;
    for (const to of targets) {
      const toLayer = layerOf(to);
      if (!toLayer || toLayer === fromLayer) continue;
      if (fromLayer === 'renderer') {
        if (!RENDERER_MAY_IMPORT.includes(to)) out.push(`${from} → ${to} (the renderer imports only the API's types and wire codec)`);
        continue;
      }
      if (!allowed.get(fromLayer)!.has(toLayer)) out.push(`${from} → ${to} (${fromLayer} may not import ${toLayer})`);
    }
  }
  return out;
}

const SOURCE = /\.(ts|tsx|mts|cts|mjs|cjs|js)$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function listSources(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    if (name === 'node_modules' || name === 'dist') continue;
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...listSources(root, rel));
    else if (SOURCE.test(name)) out.push(rel);
  }
  return out;
}

/** Resolves `./x.js` written in TypeScript sources to the file that exists (x.ts, x.tsx, x.js …). */
function resolveTarget(root: string, from: string, spec: string): string {
  const target = normalize(join(dirname(from), spec));
  const stem = target.replace(/\.(js|mjs|cjs)$/, '');
  for (const candidate of [target, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`]) {
    try {
      if (statSync(join(root, candidate)).isFile()) return relative(root, join(root, candidate));
    } catch {
      // try the next extension
    }
  }
  return target;
}

/** The relative-import graph of app/, main/ and renderer/src/ under `root`. */
export function readImportGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const dir of ['app', 'main', 'renderer/src']) {
    for (const file of listSources(root, dir)) {
      const text = readFileSync(join(root, file), 'utf8');
      const targets = [...text.matchAll(IMPORT)].map((m) => resolveTarget(root, file, m[1]));
      graph.set(file, targets);
    }
  }
  return graph;
}
