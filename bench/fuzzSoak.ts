// Checkpoint-parser fuzz soak: the cases of test/sam/checkpointFuzz.test.ts, run for longer with a
// fresh seed, reporting cases/s, the slowest case and the largest memory growth, per family too.
// Usage: node --import tsx bench/fuzzSoak.ts [seconds=120] [seed=time]
//   → bench/results/fuzz-checkpoint.json (exit code 1 if any case failed or ran over budget)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFailures, runCases, seededRng, type FuzzCase } from '../test/helpers/fuzz.js';
import { checkpointCases, isCleanRefusal, loadCorpus } from '../test/sam/checkpointFuzzCases.js';
import { FIXTURE_DIR } from '../test/helpers/samFixture.js';

const seconds = Number(process.argv[2] ?? 120);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const CASE_BUDGET_MS = 5000;
const round = (x: number) => Math.round(x * 100) / 100;

interface FamilyStats {
  cases: number;
  totalMs: number;
  worstMs: number;
  worstCase: string;
}
const families: Record<string, FamilyStats> = {};

/** Times each case by family as it runs. */
function* timed(cases: Iterable<FuzzCase>): Generator<FuzzCase> {
  for (const c of cases) {
    const family = c.name.split('#')[0];
    yield {
      name: c.name,
      run: async () => {
        const start = performance.now();
        try {
          return await c.run();
        } finally {
          const ms = performance.now() - start;
          const f = (families[family] ??= { cases: 0, totalMs: 0, worstMs: 0, worstCase: '' });
          f.cases++;
          f.totalMs += ms;
          if (ms > f.worstMs) [f.worstMs, f.worstCase] = [ms, c.name];
        }
      },
    };
  }
}

const loadAtStart = loadavg().map(round);
const dir = mkdtempSync(join(tmpdir(), 'pasam-fuzz-soak-'));
let failed = false;
try {
  const summary = await runCases(timed(checkpointCases(loadCorpus(FIXTURE_DIR), seededRng(seed), dir)), CASE_BUDGET_MS, { accept: isCleanRefusal, stopAfterMs: seconds * 1000 });
  failed = summary.failures.length > 0 || summary.overBudget.length > 0;
  const report = {
    bench: 'fuzz-checkpoint',
    date: new Date().toISOString(),
    seed,
    seconds,
    cases: summary.cases,
    casesPerSecond: round(summary.casesPerSecond),
    succeededOrAsserted: summary.succeeded,
    refusedByKind: summary.refusedByKind,
    failures: describeFailures(summary.failures).split('\n').filter(Boolean),
    overBudget: summary.overBudget.map((o) => `${o.name}: ${Math.round(o.ms)} ms`),
    caseBudgetMs: CASE_BUDGET_MS,
    worstTime: summary.slowest && { case: summary.slowest.name, ms: round(summary.slowest.ms), rssGrowthMiB: round(summary.slowest.rssGrowthBytes / 2 ** 20) },
    worstMemory: summary.largestRssGrowth && { case: summary.largestRssGrowth.name, ms: round(summary.largestRssGrowth.ms), rssGrowthMiB: round(summary.largestRssGrowth.rssGrowthBytes / 2 ** 20) },
    peakRssMiB: round(summary.peakRssBytes / 2 ** 20),
    families: Object.fromEntries(
      Object.entries(families)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, f]) => [name, { cases: f.cases, casesPerSecond: round(f.cases / (f.totalMs / 1000)), worstMs: round(f.worstMs), worstCase: f.worstCase }]),
    ),
    machine: { cpus: cpus().length, node: process.version, loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg().map(round), note: 'shared machine: load average noted; cases/s scale with free cores' },
  };
  const out = fileURLToPath(new URL('./results/fuzz-checkpoint.json', import.meta.url));
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
