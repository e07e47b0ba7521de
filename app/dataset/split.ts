// Train/val/test assignment: seeded, group-aware (every image of a group lands in one split),
// stratified by the set of classes an image contains, and keeping manually locked images where
// they are. Pure: the store applies the result.
import type { Split } from '../store/storeTypes.js';

export type AssignableSplit = Exclude<Split, 'unassigned'>;
export const ASSIGNABLE: readonly AssignableSplit[] = ['train', 'val', 'test'];

export interface SplitItem {
  id: number;
  /** Classes present in the image's mask; null when the image has no mask yet. */
  classes: number[] | null;
  groupKey: string | null;
  /** A manual split that must be kept. */
  locked: AssignableSplit | null;
}

export interface SplitOptions {
  ratios: [number, number, number];
  seed: number;
}

export interface SplitOutcome {
  assignment: Map<number, AssignableSplit>;
  warnings: string[];
  counts: Record<AssignableSplit, number>;
}

export class SplitError extends Error {}

export function parseRatios(spec: string): [number, number, number] {
  const parts = spec.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v) || v < 0)) throw new SplitError(`ratios must be three non-negative numbers train,val,test, got '${spec}'`);
  const sum = parts[0]! + parts[1]! + parts[2]!;
  if (sum <= 0) throw new SplitError('ratios must not all be zero');
  return parts.map((v) => v / sum) as [number, number, number];
}

/** mulberry32: small, fast, good enough for shuffling. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(list: T[], rnd: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

interface Group {
  key: string;
  members: SplitItem[];
  signature: string;
  locked: AssignableSplit | null;
}

/** Regex group key: the first capture group (or the whole match) of the image's name. */
export function groupKeyFromName(name: string, pattern: RegExp): string | null {
  const m = pattern.exec(name);
  if (!m) return null;
  return m[1] ?? m[0];
}

export function assignSplits(items: SplitItem[], opts: SplitOptions): SplitOutcome {
  const warnings: string[] = [];
  const ratios = opts.ratios;
  const sorted = [...items].sort((a, b) => a.id - b.id);
  const groups = new Map<string, Group>();
  for (const it of sorted) {
    const key = it.groupKey !== null && it.groupKey !== '' ? `g:${it.groupKey}` : `i:${it.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, members: [], signature: '', locked: null }));
    g.members.push(it);
  }
  for (const g of groups.values()) {
    const cls = new Set<number>();
    let unknown = false;
    for (const m of g.members) {
      if (m.classes === null) unknown = true;
      else for (const c of m.classes) if (c > 0) cls.add(c);
    }
    g.signature = cls.size ? [...cls].sort((a, b) => a - b).join('+') : unknown ? '?' : 'empty';
    const locks = new Map<AssignableSplit, number>();
    for (const m of g.members) if (m.locked) locks.set(m.locked, (locks.get(m.locked) ?? 0) + 1);
    if (locks.size) {
      g.locked = [...locks.entries()].sort((a, b) => b[1] - a[1] || ASSIGNABLE.indexOf(a[0]) - ASSIGNABLE.indexOf(b[0]))[0]![0];
      if (locks.size > 1) warnings.push(`group '${g.key.slice(2)}' has images locked to different splits (${[...locks.keys()].join(', ')}); it straddles splits`);
    }
  }
  const rnd = seededRandom(opts.seed);
  const total = sorted.length;
  const counts: Record<AssignableSplit, number> = { train: 0, val: 0, test: 0 };
  const assignment = new Map<number, AssignableSplit>();
  const place = (g: Group, s: AssignableSplit, st: Record<AssignableSplit, number>) => {
    for (const m of g.members) {
      const where = m.locked ?? s;
      assignment.set(m.id, where);
      counts[where]++;
      st[where]++;
    }
  };
  const strata = new Map<string, Group[]>();
  for (const g of groups.values()) strata.set(g.signature, [...(strata.get(g.signature) ?? []), g]);
  // Rare strata first, so that the common ones can even out what the rare ones skewed.
  const order = [...strata.entries()].sort((a, b) => size(a[1]) - size(b[1]) || (a[0] < b[0] ? -1 : 1));
  for (const [, list] of order) {
    const n = size(list);
    const st: Record<AssignableSplit, number> = { train: 0, val: 0, test: 0 };
    for (const g of list) if (g.locked) place(g, g.locked, st);
    const free = shuffle(list.filter((g) => !g.locked), rnd).sort((a, b) => b.members.length - a.members.length);
    for (const g of free) {
      let best: AssignableSplit | null = null;
      let bestScore = -Infinity;
      for (const [k, s] of ASSIGNABLE.entries()) {
        if (ratios[k]! <= 0) continue;
        const stratumDeficit = ratios[k]! * n - st[s];
        const globalDeficit = ratios[k]! * total - counts[s];
        const score = stratumDeficit + 1e-3 * globalDeficit;
        if (score > bestScore) {
          bestScore = score;
          best = s;
        }
      }
      place(g, best!, st);
    }
  }
  return { assignment, warnings, counts };
}

function size(groups: Group[]): number {
  let n = 0;
  for (const g of groups) n += g.members.length;
  return n;
}
