import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, resolveTrainConfig, TrainConfigError, validateTrainConfig } from '../../app/engine/trainConfig.js';
import { runCli } from '../helpers/cli.js';
import { buildTrainConfig } from '../../app/cli/commands/train.js';
import { UsageError } from '../../app/cli/cliTypes.js';
import { makeNeuProject } from '../helpers/neuProject.js';

test('defaults are the project defaults (PA-SAM.md §9) and valid', () => {
  const c = validateTrainConfig(defaultTrainConfig());
  assert.equal(c.learningRate, 5e-4);
  assert.equal(c.weightDecay, 0.01);
  assert.equal(c.warmupFraction, 0.05);
  assert.equal(c.polyPower, 0.9);
  assert.equal(c.ceWeight, 0.2);
  assert.equal(c.diceWeight, 0.8);
  assert.deepEqual(c.augmentation, { hflip: true, vflip: true, rot90: true, brightness: 0.1, contrast: 0.1 });
});

test('overrides merge, nested sections merge key by key', () => {
  const c = resolveTrainConfig({ epochs: 3, augmentation: { rot90: false }, model: { base: 'sam-tiny', preset: null, options: { lora: { rank: 4 } } } });
  assert.equal(c.epochs, 3);
  assert.equal(c.augmentation.rot90, false);
  assert.equal(c.augmentation.hflip, true);
  assert.equal(c.model.base, 'sam-tiny');
  assert.deepEqual(c.model.options, { lora: { rank: 4 } });
  assert.deepEqual(resolveTrainConfig({ augmentation: false }).augmentation, { hflip: false, vflip: false, rot90: false, brightness: 0, contrast: 0 });
});

test('every bad setting is refused with an error naming the key', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ learningRat: 1e-3 }, 'learningRat', /is not a setting/],
    [{ epochs: 0 }, 'epochs', /≥ 1/],
    [{ epochs: 2.5 }, 'epochs', /integer/],
    [{ inputSize: 200 }, 'inputSize', /multiple of 16/],
    [{ learningRate: '0.1' }, 'learningRate', /must be a number/],
    [{ learningRate: 0 }, 'learningRate', /> 0/],
    [{ augmentation: { flip: true } }, 'augmentation.flip', /is not a setting/],
    [{ augmentation: { brightness: 2 } }, 'augmentation.brightness', /≤ 1/],
    [{ lossOnUpsampledLogits: 'yes' }, 'lossOnUpsampledLogits', /true or false/],
    [{ model: { base: 'x', preset: 'tiny' } }, 'model', /both a base model/],
    [{ model: { preset: null } }, 'model', /needs a base model/],
    [{ model: { size: 1 } }, 'model.size', /is not a setting/],
    [{ valFraction: 0.95 }, 'valFraction', /≤ 0.9/],
    [[1, 2], '(root)', /JSON object/],
  ];
  for (const [input, key, message] of cases) {
    assert.throws(
      () => resolveTrainConfig(input),
      (err: unknown) => err instanceof TrainConfigError && err.key === key && message.test(err.message) && err.message.includes(`'${key}'`),
      `expected an error on '${key}' for ${JSON.stringify(input)}`,
    );
  }
});

test('train options and --config files are checked before a run is created', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pasam-cfg-'));
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, '{"epochs": 2, "warmupFractoin": 0.1}');
  assert.throws(() => buildTrainConfig({ preset: 'tiny', config: bad }), /'warmupFractoin' is not a setting/);
  writeFileSync(bad, '{"epochs": 2,');
  assert.throws(() => buildTrainConfig({ preset: 'tiny', config: bad }), /bad\.json: not valid JSON/);
  assert.throws(() => buildTrainConfig({ preset: 'tiny', config: join(tmp, 'missing.json') }), /missing\.json: cannot read \(ENOENT\)/);
  writeFileSync(bad, JSON.stringify({ model: { options: { lora: { rnak: 4 } } } }));
  assert.throws(() => buildTrainConfig({ preset: 'tiny', config: bad }), (e: unknown) => e instanceof TrainConfigError && e.key === 'model.options' && /rnak/.test(e.message));
  assert.throws(() => buildTrainConfig({ preset: 'tiny', size: '100' }), /'inputSize' must be a multiple of 16/);
  assert.throws(() => buildTrainConfig({ preset: 'tiny', base: 'sam-tiny' }), UsageError);
  assert.throws(() => buildTrainConfig({ preset: 'tiny', epochs: 'many' }), UsageError);
  writeFileSync(bad, JSON.stringify({ epochs: 7, batchSize: 3, learningRate: 1e-3 }));
  const c = buildTrainConfig({ preset: 'tiny', config: bad, batch: '2' });
  assert.equal(c.epochs, 7);
  assert.equal(c.batchSize, 2, 'flags win over the file');
  assert.equal(c.learningRate, 1e-3);
  assert.equal(c.inputSize, 224, 'the tiny preset trains at S = 224 unless told otherwise');
  assert.equal(buildTrainConfig({ base: 'sam-tiny' }).inputSize, 1024);
});

test('pasam train exits 1 naming the bad key, 2 on bad usage', async () => {
  const dir = await makeNeuProject([['train_000501', 'train']]);
  let r = runCli(['train', dir, '--preset', 'tiny', '--size', '100']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /'inputSize' must be a multiple of 16/);
  r = runCli(['train', dir, '--resume', '1', '--epochs', '3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /drop --epochs/);
});
