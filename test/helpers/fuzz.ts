// A small, seeded mutation engine and case runner for parser fuzzing, shared by the fuzz tests and
// the bench/ soaks. Deterministic for a seed, so a failing case is reproduced by its seed and name.
//   const rng = seededRng(42);
//   const { bytes, applied } = mutate(valid, rng);            // 1–3 random strategies
//   const summary = await runCases(cases, 2000, { accept });  // time, memory and errors per case
import { seededRandom } from '../../app/dataset/split.js';

/** Uniform floats in [0, 1). */
export type Rng = () => number;

/** The project's one seeded PRNG (mulberry32, from the dataset splitter): uniform floats in [0, 1). */
export const seededRng: (seed: number) => Rng = seededRandom;

/** An integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randInt(rng, items.length)];
}

/** Values that break length and offset arithmetic: zero, sign bits, all-ones, just past the end. */
const BOUNDARY_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Positions are drawn from [start, end) of the input, so a caller can aim at a header or a pickle. */
export interface MutateOptions {
  /** How many strategies to apply in a row (default 1–3). */
  rounds?: number;
  region?: [start: number, end: number];
}

export type Strategy = (bytes: Uint8Array, rng: Rng, region: [number, number]) => Uint8Array;

function at(rng: Rng, [start, end]: [number, number]): number {
  return start + randInt(rng, Math.max(1, end - start));
}

/** The mutation strategies, by name (each returns a new array; the input is never changed). */
export const strategies: Record<string, Strategy> = {
  bitFlip: (b, rng, r) => {
    const out = Uint8Array.from(b);
    const flips = 1 + randInt(rng, 8);
    for (let i = 0; i < flips && out.length > 0; i++) out[Math.min(at(rng, r), out.length - 1)] ^= 1 << randInt(rng, 8);
    return out;
  },
  randomByte: (b, rng, r) => {
    const out = Uint8Array.from(b);
    if (out.length > 0) out[Math.min(at(rng, r), out.length - 1)] = randInt(rng, 256);
    return out;
  },
  truncate: (b, rng, r) => b.slice(0, Math.min(at(rng, r), b.length)),
  /** Overwrites 1, 2, 4 or 8 bytes with a boundary value: huge declared sizes, negative offsets. */
  boundaryValue: (b, rng, r) => {
    const out = Buffer.from(b);
    const width = pick(rng, [1, 2, 4, 8]);
    const pos = Math.min(at(rng, r), Math.max(0, out.length - width));
    if (out.length < width) return out;
    const v = pick(rng, BOUNDARY_U32);
    if (width === 1) out[pos] = v & 0xff;
    else if (width === 2) out.writeUInt16LE(v & 0xffff, pos);
    else if (width === 4) out.writeUInt32LE(v >>> 0, pos);
    else out.writeBigUInt64LE(rng() < 0.5 ? BigInt(v) : 0xffffffffffffffffn - BigInt(randInt(rng, 4)), pos);
    return out;
  },
  insertRandom: (b, rng, r) => {
    const pos = Math.min(at(rng, r), b.length);
    const ins = new Uint8Array(1 + randInt(rng, 64)).map(() => randInt(rng, 256));
    return concat(b.subarray(0, pos), ins, b.subarray(pos));
  },
  deleteRange: (b, rng, r) => {
    const pos = Math.min(at(rng, r), b.length);
    return concat(b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + randInt(rng, 64))));
  },
  duplicateRange: (b, rng, r) => {
    const pos = Math.min(at(rng, r), b.length);
    const chunk = b.subarray(pos, Math.min(b.length, pos + 1 + randInt(rng, 256)));
    const times = 1 + randInt(rng, 16);
    return concat(b.subarray(0, pos), ...Array.from({ length: times }, () => chunk), b.subarray(pos));
  },
  zeroRange: (b, rng, r) => {
    const out = Uint8Array.from(b);
    const pos = Math.min(at(rng, r), out.length);
    out.fill(0, pos, Math.min(out.length, pos + 1 + randInt(rng, 32)));
    return out;
  },
};

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Applies random strategies to a copy of `bytes`; `applied` names them, for reporting a failure. */
export function mutate(bytes: Uint8Array, rng: Rng, opts: MutateOptions = {}): { bytes: Uint8Array; applied: string[] } {
  const names = Object.keys(strategies);
  const rounds = opts.rounds ?? 1 + randInt(rng, 3);
  const applied: string[] = [];
  let out = bytes;
  for (let i = 0; i < rounds; i++) {
    const name = pick(rng, names);
    // The region follows the data as it shrinks or grows.
    const [s, e] = opts.region ?? [0, out.length];
    out = strategies[name](out, rng, [Math.min(s, out.length), Math.min(e, out.length)]);
    applied.push(name);
  }
  return { bytes: out, applied };
}

export interface FuzzCase {
  name: string;
  /** Resolves for a successful (checked) read; throws for a refusal, which `accept` then judges. */
  run: () => unknown;
}

export interface CaseOutcome {
  name: string;
  ms: number;
  /** Resident-set growth across the case (a spike that was freed may not show; a retained one does). */
  rssGrowthBytes: number;
  error?: unknown;
}

export interface FuzzSummary {
  cases: number;
  succeeded: number;
  /** Errors `accept` judged clean, by error name. */
  refusedByKind: Record<string, number>;
  /** Cases whose error `accept` rejected (first 50). */
  failures: CaseOutcome[];
  /** Cases slower than the per-case budget (first 50). */
  overBudget: CaseOutcome[];
  slowest: CaseOutcome | null;
  largestRssGrowth: CaseOutcome | null;
  peakRssBytes: number;
  totalMs: number;
  casesPerSecond: number;
}

export interface RunOptions {
  /** Whether a thrown error is a clean refusal (default: any error is). */
  accept?: (err: unknown) => boolean;
  /** Stop starting new cases after this long (for soaks and loaded CI machines). */
  stopAfterMs?: number;
}

/** Runs cases one after another, timing each against `budgetMs` and sampling memory. */
export async function runCases(cases: Iterable<FuzzCase>, budgetMs: number, opts: RunOptions = {}): Promise<FuzzSummary> {
  const accept = opts.accept ?? (() => true);
  const s: FuzzSummary = { cases: 0, succeeded: 0, refusedByKind: {}, failures: [], overBudget: [], slowest: null, largestRssGrowth: null, peakRssBytes: 0, totalMs: 0, casesPerSecond: 0 };
  const t0 = performance.now();
  for (const c of cases) {
    if (opts.stopAfterMs !== undefined && performance.now() - t0 > opts.stopAfterMs) break;
    const rssBefore = process.memoryUsage.rss();
    const start = performance.now();
    let error: unknown;
    let failed = false;
    try {
      await c.run();
    } catch (err) {
      failed = true;
      error = err;
    }
    const rss = process.memoryUsage.rss();
    const outcome: CaseOutcome = { name: c.name, ms: performance.now() - start, rssGrowthBytes: rss - rssBefore, ...(failed ? { error } : {}) };
    s.cases++;
    s.peakRssBytes = Math.max(s.peakRssBytes, rss);
    if (!failed) s.succeeded++;
    else if (accept(error)) {
      const kind = error instanceof Error ? error.name : typeof error;
      s.refusedByKind[kind] = (s.refusedByKind[kind] ?? 0) + 1;
    } else if (s.failures.length < 50) s.failures.push(outcome);
    if (outcome.ms > budgetMs && s.overBudget.length < 50) s.overBudget.push(outcome);
    if (!s.slowest || outcome.ms > s.slowest.ms) s.slowest = outcome;
    if (!s.largestRssGrowth || outcome.rssGrowthBytes > s.largestRssGrowth.rssGrowthBytes) s.largestRssGrowth = outcome;
  }
  s.totalMs = performance.now() - t0;
  s.casesPerSecond = s.cases / (s.totalMs / 1000);
  return s;
}

/** One line per failing case, for assertion messages. */
export function describeFailures(outcomes: CaseOutcome[]): string {
  return outcomes.map((o) => `${o.name} (${o.ms.toFixed(0)} ms): ${o.error instanceof Error ? `${o.error.name}: ${o.error.message.slice(0, 300)}` : String(o.error)}`).join('\n');
}
