// Typed readers of run and batch-job JSON read back from SQLite: valid rows come back typed,
// malformed ones are refused (config) or read as absent (metrics, results) — never cast through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultTrainConfig } from '../../app/engine/trainConfig.js';
import { readEpochMetrics, readMetricSummary, readRunConfig, readRunConfigOrNull, readRunMetrics, toJsonObject } from '../../app/engine/runRecord.js';
import { readBatchItemResult, readBatchJobConfig, readBatchJobConfigOrNull } from '../../app/batch/batchJobRecord.js';
import type { TrainingRunRecord } from '../../app/store/storeTypes.js';

const summary = { mIoU: 0.5, mDice: 0.6, mIoUDefects: 0.4, mDiceDefects: 0.5, pixelAccuracy: 0.9, iou: [0.9, null], dice: [0.95, null] };
const run = (config: Record<string, unknown>, metrics: Record<string, unknown>): TrainingRunRecord => ({ id: 3, name: 'r', baseModelId: null, status: 'completed', config, metrics, error: null, createdAt: '', startedAt: null, finishedAt: null });

test('run config: a stored config round-trips; a damaged one names the run and the key', () => {
  const cfg = defaultTrainConfig();
  assert.deepEqual(readRunConfig(run(JSON.parse(JSON.stringify(toJsonObject(cfg))), {})), cfg);
  assert.throws(() => readRunConfig(run({ ...toJsonObject(cfg), epochs: 'many' }, {})), /training run 3: stored config is not valid \(.*epochs/);
  assert.equal(readRunConfigOrNull(run({ lr: -1, typo: 1 }, {})), null);
});

test('run and epoch metrics: typed where well-formed, null where not', () => {
  const m = readRunMetrics(run({}, { valSource: 'held-out', best: summary, last: { mIoU: 1 }, bestEpoch: 4, epochsDone: '5', eval: { test: { mIoU: 0.3 } } }));
  assert.deepEqual(m, { valSource: 'held-out', best: summary, last: null, bestEpoch: 4, epochsDone: null, eval: { test: { mIoU: 0.3 } } });
  assert.deepEqual(readRunMetrics(run({}, {})), { valSource: null, best: null, last: null, bestEpoch: null, epochsDone: null, eval: {} });
  assert.deepEqual(readEpochMetrics({ metrics: { trainLoss: 0.7, val: summary, seconds: 12, isBest: true } }), { trainLoss: 0.7, val: summary, seconds: 12 });
  assert.equal(readMetricSummary({ ...summary, iou: 'x' }), null);
});

test('batch job config and item results', () => {
  const config = { model: { kind: 'run', runId: 2, checkpoint: 'auto', key: 'run:2:auto' }, recursive: false, overlay: true, overlayDir: 'overlays', report: null };
  assert.deepEqual(readBatchJobConfig({ id: 1, config }), config);
  assert.throws(() => readBatchJobConfig({ id: 9, config: { ...config, model: { kind: 'run', key: 'k' } } }), /batch job 9: stored config/);
  assert.equal(readBatchJobConfigOrNull({ id: 9, config: {} }), null);
  const result = { mask: 'a.png', overlay: null, width: 4, height: 2, classes: [{ index: 1, pixels: 3, components: 1 }], defectPixels: 3, defectPercent: 37.5, components: 1, meanConfidence: 0.8, confidenceOver: 'defect', ms: 5 };
  assert.deepEqual(readBatchItemResult({ status: 'done', result }), result);
  assert.equal(readBatchItemResult({ status: 'failed', result }), null, 'only done items have results');
  assert.equal(readBatchItemResult({ status: 'done', result: { ...result, classes: [{ index: 1 }] } }), null);
});
