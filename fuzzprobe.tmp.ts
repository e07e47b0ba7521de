import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRng, runCases, describeFailures } from './test/helpers/fuzz.js';
import { checkpointCases, loadCorpus, isCleanRefusal, FAMILIES } from './test/sam/checkpointFuzzCases.js';
const dir = mkdtempSync(join(tmpdir(), 'fz-'));
const corpus = loadCorpus('/work/shared/fixtures/sam-tiny');
for (const fam of Object.keys(FAMILIES)) {
  const rng = seededRng(7);
  const file = (ext: string) => join(dir, `case${ext}`);
  const cases = Array.from({ length: 30 }, (_, i) => FAMILIES[fam](corpus, rng, file, i));
  const s = await runCases(cases, 2000, { accept: isCleanRefusal });
  console.log(fam.padEnd(18), 'ok', s.succeeded, 'refused', JSON.stringify(s.refusedByKind), 'cps', s.casesPerSecond.toFixed(0), 'slowest', s.slowest?.ms.toFixed(0), s.slowest?.name, 'rss+', (s.largestRssGrowth!.rssGrowthBytes/1e6).toFixed(0));
  if (s.failures.length) console.log(describeFailures(s.failures.slice(0, 5)));
}
