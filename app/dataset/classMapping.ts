// Maps a source's classes (names or bare values) onto project classes and turns reader
// candidates into ImportCandidates with project class-index masks.
import type { ImportCandidate, ImportProblem } from './importTypes.js';
import type { ReaderCandidate, SourceClass } from './formats/readerTypes.js';

/** `--map "Crack=scratch,2=inclusion,void=background"`: source name or value → project class. */
export type ClassMap = Map<string, string>;

export class ClassMapError extends Error {}

export function parseClassMap(spec: string | undefined): ClassMap {
  const map: ClassMap = new Map();
  if (!spec) return map;
  for (const part of spec.split(',')) {
    if (!part.trim()) continue;
    const eq = part.lastIndexOf('=');
    if (eq <= 0 || eq === part.length - 1) throw new ClassMapError(`bad class mapping '${part}': expected source=target`);
    const from = part.slice(0, eq).trim();
    const to = part.slice(eq + 1).trim();
    if (!from || !to) throw new ClassMapError(`bad class mapping '${part}': expected source=target`);
    if (map.has(from)) throw new ClassMapError(`class '${from}' is mapped twice`);
    map.set(from, to);
  }
  return map;
}

export interface ProjectClassRef {
  index: number;
  name: string;
}

export interface ClassResolution {
  /** Source value → project class index (0 = background). Values absent here are unknown. */
  lut: Map<number, number>;
  /** Project classes the import has to create, in index order. */
  newClasses: { index: number; name: string; color?: string }[];
  /** Mapping keys that matched no source class (likely typos). */
  unusedMappings: string[];
}

const BACKGROUND_NAMES = new Set(['background', '_background_', '0']);

/**
 * Resolution order per source class: an explicit mapping (by name, then by value), then a project
 * class of the same name (case-insensitive), then — for unnamed values — the project class with
 * that index. Named classes the project lacks are created; unnamed ones stay unknown.
 */
export function resolveClasses(source: SourceClass[], map: ClassMap, project: ProjectClassRef[]): ClassResolution {
  const lut = new Map<number, number>([[0, 0]]);
  const newClasses: ClassResolution['newClasses'] = [];
  const used = new Set<string>();
  const byName = new Map(project.map((c) => [c.name.toLowerCase(), c.index]));
  const byIndex = new Set(project.map((c) => c.index));
  let next = Math.max(0, ...project.map((c) => c.index)) + 1;

  const targetIndex = (target: string, color?: string): number => {
    if (BACKGROUND_NAMES.has(target.toLowerCase())) return 0;
    if (/^\d+$/.test(target)) {
      const idx = Number(target);
      if (!byIndex.has(idx)) throw new ClassMapError(`mapping target ${target} is not a project class index`);
      return idx;
    }
    const known = byName.get(target.toLowerCase());
    if (known !== undefined) return known;
    const index = next++;
    newClasses.push({ index, name: target, ...(color ? { color } : {}) });
    byName.set(target.toLowerCase(), index);
    return index;
  };

  for (const sc of source) {
    if (sc.value === 0) continue;
    const key = sc.name !== null && map.has(sc.name) ? sc.name : map.has(String(sc.value)) ? String(sc.value) : null;
    if (key !== null) {
      used.add(key);
      lut.set(sc.value, targetIndex(map.get(key)!, sc.color));
    } else if (sc.name !== null) {
      lut.set(sc.value, targetIndex(sc.name, sc.color));
    } else if (byIndex.has(sc.value)) {
      lut.set(sc.value, sc.value);
    }
  }
  return { lut, newClasses, unusedMappings: [...map.keys()].filter((k) => !used.has(k)) };
}

function describeValue(v: number, source: SourceClass[]): string {
  const sc = source.find((s) => s.value === v);
  return sc?.name ? `'${sc.name}'` : String(v);
}

/** Applies a resolution: masks become project class indices; masks with unknown values are skipped. */
export function applyClasses(
  candidates: ReaderCandidate[],
  resolution: ClassResolution,
  source: SourceClass[],
): { candidates: ImportCandidate[]; problems: ImportProblem[] } {
  const out: ImportCandidate[] = [];
  const problems: ImportProblem[] = [];
  let maxValue = 0;
  for (const v of resolution.lut.keys()) maxValue = Math.max(maxValue, v);
  const lut = new Int32Array(65536).fill(-1);
  for (const [v, idx] of resolution.lut) lut[v] = idx;
  for (const c of candidates) {
    if (!c.mask) {
      const { mask: _none, ...rest } = c;
      out.push(rest);
      continue;
    }
    const { values, width, height, sourcePath } = c.mask;
    const data = new Uint8Array(values.length);
    const unknown = new Set<number>();
    for (let i = 0; i < values.length; i++) {
      const idx = lut[values[i]!]!;
      if (idx < 0) unknown.add(values[i]!);
      else data[i] = idx;
    }
    if (unknown.size > 0) {
      const list = [...unknown].sort((a, b) => a - b).map((v) => describeValue(v, source));
      problems.push({
        file: sourcePath,
        reason: 'unknown class value',
        detail: `mask holds class value${list.length > 1 ? 's' : ''} ${list.join(', ')} that no project class matches (map ${list.length > 1 ? 'them' : 'it'} with --map ${list[0]!.replace(/'/g, '')}=<class>)`,
      });
      continue;
    }
    out.push({ ...c, mask: { width, height, data, sourcePath } });
  }
  return { candidates: out, problems };
}
