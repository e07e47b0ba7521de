// Seeded fuzzing of the checkpoint parsers (zip, pickle, tensor views, safetensors) from valid
// fixtures: every case must end in a diagnosed CheckpointFormatError or a read whose tensors have
// their shapes, within a per-case time and memory budget. A failure names its case, reproducible
// with the seed. The longer soak is `npm run bench:fuzz` (bench/fuzzSoak.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFailures, runCases, seededRng, type FuzzCase } from '../helpers/fuzz.js';
import { checkpointCases, FAMILY_WEIGHTS, isCleanRefusal, loadCorpus } from './checkpointFuzzCases.js';
import { FIXTURE_DIR } from '../helpers/samFixture.js';

const SEED = Number(process.env.PASAM_FUZZ_SEED ?? 0x15c4);
const CASES = 400;
/** Per case, generous for a shared 2-core CI machine: the slowest family (50k nested dicts) took 1–2 s under load 8. */
const CASE_BUDGET_MS = 5000;
const CASE_RSS_BUDGET_BYTES = 512 * 1024 * 1024;

test(`${CASES} mutated checkpoints (seed ${SEED}) each end in a clean refusal or a correct-shaped read`, { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pasam-ckpt-fuzz-'));
  try {
    const rng = seededRng(SEED);
    const families = new Set<string>();
    function* counted(cases: Iterable<FuzzCase>) {
      for (const c of cases) {
        families.add(c.name.split('#')[0]);
        yield c;
      }
    }
    const summary = await runCases(counted(checkpointCases(loadCorpus(FIXTURE_DIR), rng, dir, CASES)), CASE_BUDGET_MS, { accept: isCleanRefusal, stopAfterMs: 18_000 });
    t.diagnostic(`${summary.cases} cases in ${(summary.totalMs / 1000).toFixed(1)} s (${summary.casesPerSecond.toFixed(0)}/s): ${summary.succeeded} read or refused as asserted, refusals ${JSON.stringify(summary.refusedByKind)}`);
    t.diagnostic(`slowest ${summary.slowest?.ms.toFixed(0)} ms (${summary.slowest?.name}); largest RSS growth ${((summary.largestRssGrowth?.rssGrowthBytes ?? 0) / 2 ** 20).toFixed(0)} MiB (${summary.largestRssGrowth?.name})`);
    assert.deepEqual(summary.failures, [], describeFailures(summary.failures));
    assert.deepEqual(summary.overBudget.map((o) => `${o.name}: ${o.ms.toFixed(0)} ms`), []);
    assert.ok((summary.largestRssGrowth?.rssGrowthBytes ?? 0) < CASE_RSS_BUDGET_BYTES, `a case grew RSS by ${summary.largestRssGrowth?.rssGrowthBytes} bytes`);
    // The run reached every family and both outcomes, or it proves little.
    assert.ok(summary.cases >= Math.min(CASES, 150), `only ${summary.cases} cases ran before the time cap`);
    assert.deepEqual([...families].sort(), Object.keys(FAMILY_WEIGHTS).sort());
    assert.ok(summary.succeeded > 0 && (summary.refusedByKind.CheckpointFormatError ?? 0) > 0 && (summary.refusedByKind.CheckpointRefusedError ?? 0) > 0, JSON.stringify(summary.refusedByKind));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
