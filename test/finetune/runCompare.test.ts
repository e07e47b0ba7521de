// The comparison of two evaluations: only images both scored, worst first by the lower of the two
// mIoUs, with the difference B − A.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareEvaluations } from '../../app/finetune/runEvaluation.js';
import type { RunEvaluation } from '../../app/api/fineTuneTypes.js';

const ev = (runId: number, scores: [number, number | null][]): RunEvaluation => ({
  runId,
  split: 'test',
  checkpoint: 'best',
  classes: ['background', 'scratch'],
  images: scores.length,
  confusion: [[1, 0], [0, 1]],
  summary: { mIoU: 0.5, mDice: 0.5, mIoUDefects: 0.5, mDiceDefects: 0.5, pixelAccuracy: 0.9, iou: [0.9, 0.1], dice: [0.9, 0.2] },
  perImage: scores.map(([id, m]) => ({ imageId: id, name: `img${id}.png`, mIoU: m, iou: [m, m] })),
});

test('per-image comparison: shared images only, worst first, delta = B − A', () => {
  const a = ev(1, [[10, 0.9], [11, 0.2], [12, 0.6], [13, 0.5]]);
  const b = ev(2, [[10, 0.4], [11, 0.7], [12, null], [14, 0.1]]);
  const rows = compareEvaluations(a, b);
  assert.deepEqual(rows.map((r) => r.imageId), [11, 10, 12]);
  assert.equal(rows[0]!.delta!.toFixed(2), '0.50');
  assert.equal(rows[1]!.delta!.toFixed(2), '-0.50');
  assert.equal(rows[2]!.delta, null, 'no delta where one run has no score');
  assert.equal(rows[2]!.name, 'img12.png');
});
