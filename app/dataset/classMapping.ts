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
  /** Project classes the import has to create, in index order. */
  newClasses: { index: number; name: string; color?: string }[];
  /** Mapping keys that matched no source class (likely typos). */
  unusedMappings: string[];
}

const BACKGROUND_NAMES = new Set(['background', '_background_', '0']);

/**
 * Resolves source classes to project classes as a reader declares them. Per source class: an
 * explicit mapping (by name, then by value), then a project class of the same name
 * (case-insensitive), then — for unnamed values — the project class with that index. Mapping
 * targets the project lacks are created up front in mapping order; other named classes the project
 * lacks are created when first declared; unnamed values without a class stay unknown.
 */
export class ClassResolver {
  /** Source value → project index, -1 = unknown. */
  private readonly lut = new Int32Array(65536).fill(-1);
  private readonly sources = new Map<number, SourceClass>();
  private readonly used = new Set<string>();
  private readonly byName: Map<string, number>;
  private readonly byIndex: Set<number>;
  private next: number;
  readonly newClasses: ClassResolution['newClasses'] = [];

  constructor(
    private readonly map: ClassMap,
    project: ProjectClassRef[],
  ) {
    this.lut[0] = 0;
    this.byName = new Map(project.map((c) => [c.name.toLowerCase(), c.index]));
    this.byIndex = new Set(project.map((c) => c.index));
    this.next = Math.max(0, ...project.map((c) => c.index)) + 1;
    // Mapping targets are classes the user asked for: create them in the order given.
    for (const target of map.values()) this.targetIndex(target);
  }

  private targetIndex(target: string, color?: string): number {
    if (BACKGROUND_NAMES.has(target.toLowerCase())) return 0;
    if (/^\d+$/.test(target)) {
      const idx = Number(target);
      if (!this.byIndex.has(idx)) throw new ClassMapError(`mapping target ${target} is not a project class index`);
      return idx;
    }
    const known = this.byName.get(target.toLowerCase());
    if (known !== undefined) return known;
    const index = this.next++;
    this.newClasses.push({ index, name: target, ...(color ? { color } : {}) });
    this.byName.set(target.toLowerCase(), index);
    return index;
  }

  /** Tells the resolver about a source class; the first declaration of a value wins. */
  declare(sc: SourceClass): void {
    if (sc.value === 0 || this.sources.has(sc.value)) return;
    this.sources.set(sc.value, sc);
    const key = sc.name !== null && this.map.has(sc.name) ? sc.name : this.map.has(String(sc.value)) ? String(sc.value) : null;
    if (key !== null) {
      this.used.add(key);
      this.lut[sc.value] = this.targetIndex(this.map.get(key)!, sc.color);
    } else if (sc.name !== null) {
      this.lut[sc.value] = this.targetIndex(sc.name, sc.color);
    } else if (this.byIndex.has(sc.value)) {
      this.lut[sc.value] = sc.value;
    }
  }

  unusedMappings(): string[] {
    return [...this.map.keys()].filter((k) => !this.used.has(k));
  }

  private describe(v: number): string {
    const sc = this.sources.get(v);
    return sc?.name ? `'${sc.name}'` : String(v);
  }

  /** The candidate with a project class-index mask, or the problem that keeps it out. */
  apply(c: ReaderCandidate): { candidate: ImportCandidate } | { problem: ImportProblem } {
    if (!c.mask) {
      const { mask: _none, ...rest } = c;
      return { candidate: rest };
    }
    const { values, width, height, sourcePath } = c.mask;
    const data = new Uint8Array(values.length);
    const unknown = new Set<number>();
    const lut = this.lut;
    for (let i = 0; i < values.length; i++) {
      const idx = lut[values[i]!]!;
      if (idx < 0) unknown.add(values[i]!);
      else data[i] = idx;
    }
    if (unknown.size > 0) {
      const list = [...unknown].sort((a, b) => a - b).map((v) => this.describe(v));
      return {
        problem: {
          file: sourcePath,
          reason: 'unknown class value',
          detail: `mask holds class value${list.length > 1 ? 's' : ''} ${list.join(', ')} that no project class matches (map ${list.length > 1 ? 'them' : 'it'} with --map ${list[0]!.replace(/'/g, '')}=<class>)`,
        },
      };
    }
    return { candidate: { ...c, mask: { width, height, data, sourcePath } } };
  }
}
