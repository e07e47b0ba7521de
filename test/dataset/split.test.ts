import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits, groupKeyFromName, parseRatios, seededRandom, type SplitItem } from '../../app/dataset/split.js';

function dataset(n: number, seed: number): SplitItem[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r();
    const classes = u < 0.5 ? [1] : u < 0.8 ? [2] : u < 0.95 ? [1, 3] : [];
    return { id: i + 1, classes, groupKey: r() < 0.4 ? `part-${Math.floor(r() * 60)}` : null, locked: null };
  });
}

test('ratios are normalised and validated', () => {
  assert.deepEqual(parseRatios('7,1.5,1.5'), [0.7, 0.15, 0.15]);
  assert.throws(() => parseRatios('0.7,0.3'), /three/);
  assert.throws(() => parseRatios('0,0,0'), /zero/);
});

test('groups never straddle splits, ratios within tolerance, every image assigned', () => {
  const items = dataset(1000, 3);
  const { assignment, counts } = assignSplits(items, { ratios: [0.7, 0.15, 0.15], seed: 1 });
  assert.equal(assignment.size, 1000);
  const byGroup = new Map<string, Set<string>>();
  for (const it of items) if (it.groupKey) byGroup.set(it.groupKey, (byGroup.get(it.groupKey) ?? new Set()).add(assignment.get(it.id)!));
  for (const [g, splits] of byGroup) assert.equal(splits.size, 1, `group ${g} in one split`);
  assert.ok(Math.abs(counts.train / 1000 - 0.7) < 0.03, `train ${counts.train}`);
  assert.ok(Math.abs(counts.val / 1000 - 0.15) < 0.03, `val ${counts.val}`);
  assert.ok(Math.abs(counts.test / 1000 - 0.15) < 0.03, `test ${counts.test}`);
});

test('stratified: each class-presence signature is split close to the ratios', () => {
  const items = dataset(2000, 5).map((it) => ({ ...it, groupKey: null }));
  const { assignment } = assignSplits(items, { ratios: [0.6, 0.2, 0.2], seed: 9 });
  const sig = (it: SplitItem) => (it.classes ?? []).join('+') || 'empty';
  const strata = new Map<string, SplitItem[]>();
  for (const it of items) strata.set(sig(it), [...(strata.get(sig(it)) ?? []), it]);
  for (const [s, list] of strata) {
    const train = list.filter((it) => assignment.get(it.id) === 'train').length;
    const val = list.filter((it) => assignment.get(it.id) === 'val').length;
    assert.ok(Math.abs(train - 0.6 * list.length) <= 1, `stratum ${s}: train ${train} of ${list.length}`);
    assert.ok(Math.abs(val - 0.2 * list.length) <= 1, `stratum ${s}: val ${val} of ${list.length}`);
  }
});

test('deterministic for a seed, different for another seed', () => {
  const items = dataset(300, 7);
  const a = assignSplits(items, { ratios: [0.7, 0.15, 0.15], seed: 1 }).assignment;
  const b = assignSplits([...items].reverse(), { ratios: [0.7, 0.15, 0.15], seed: 1 }).assignment;
  const c = assignSplits(items, { ratios: [0.7, 0.15, 0.15], seed: 2 }).assignment;
  assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
  assert.notDeepEqual([...a.entries()].sort(), [...c.entries()].sort());
});

test('locked images keep their split and pull their group along', () => {
  const items = dataset(200, 11).map((it, i) => ({ ...it, groupKey: i < 10 ? 'locked-part' : null, locked: i === 0 ? ('test' as const) : i === 50 ? ('val' as const) : null }));
  const { assignment } = assignSplits(items, { ratios: [1, 0, 0], seed: 1 });
  for (let i = 0; i < 10; i++) assert.equal(assignment.get(items[i]!.id), 'test', 'the locked image’s group follows it');
  assert.equal(assignment.get(items[50]!.id), 'val');
  assert.equal([...assignment.values()].filter((s) => s !== 'train').length, 11, 'a zero ratio gets nothing else');
});

test('group keys from a regex over names', () => {
  assert.equal(groupKeyFromName('part0042_view3.png', /^(part\d+)_/), 'part0042');
  assert.equal(groupKeyFromName('other.png', /^(part\d+)_/), null);
});
