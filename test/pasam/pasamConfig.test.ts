// PA-SAM configuration: defaults from PA-SAM.md §9, JSON round trip, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPasamConfig, parsePasamConfig, PasamConfigError, partialChannels } from '../../app/model/pasam/pasamConfig.js';
import { loraParamCount } from '../../app/model/pasam/pasamModel.js';
import { backboneConfig } from '../../app/model/pasam/backbones.js';

test('defaults are the decided ones and survive a JSON round trip', () => {
  const cfg = parsePasamConfig({});
  assert.deepEqual(cfg, defaultPasamConfig());
  assert.deepEqual(cfg.lora.targets, ['qkv']);
  assert.equal(cfg.lora.rank, 8);
  assert.equal(cfg.lora.alpha, 16);
  assert.equal(cfg.lora.partialRatio, 0.5);
  assert.deepEqual(cfg.lora.kernels, [3, 5, 7]);
  assert.equal(partialChannels(cfg.lora), 4);
  assert.equal(cfg.ipeg.numQueries, 8);
  const custom = parsePasamConfig({ inputSize: 512, lora: { targets: ['q', 'v'], rank: 4, partialRatio: 0.25 }, ipeg: { sparse: 'gap-mlp' } });
  assert.deepEqual(parsePasamConfig(JSON.parse(JSON.stringify(custom))), custom);
  assert.equal(custom.lora.alpha, 16, 'unspecified options keep their defaults');
});

test('MSPCA-LoRA parameter counts match PA-SAM.md §1.3 for vit_b', () => {
  assert.equal(loraParamCount(backboneConfig('vit_b'), {}), 310_848);
  assert.equal(loraParamCount(backboneConfig('vit_b'), { lora: { targets: ['q', 'v'], rank: 4, bottleneck: 'none' } }), 147_456);
  // + proj: A 768·8 + B 8·768 + the same convs, per block.
  assert.equal(loraParamCount(backboneConfig('vit_b'), { lora: { targets: ['qkv', 'proj'] } }), 310_848 + 12 * (2 * 768 * 8 + 83 * 16));
});

function rejects(input: unknown, pattern: RegExp): void {
  assert.throws(() => parsePasamConfig(input, 'run.json'), (err: unknown) => {
    assert.ok(err instanceof PasamConfigError, `expected PasamConfigError, got ${String(err)}`);
    assert.match(err.message, /^run\.json: /);
    assert.match(err.message, pattern);
    return true;
  });
}

test('unknown options are rejected by name', () => {
  rejects({ lora: { rnak: 4 } }, /unknown option 'lora\.rnak' \(known: lora\.targets, lora\.rank/);
  rejects({ decoderStyle: 'maskformer' }, /unknown option 'decoderStyle'/);
  rejects({ ipeg: 'queries' }, /'ipeg' must be an object/);
  rejects([], /expected a JSON object/);
});

test('out-of-range and malformed values are rejected with the option named', () => {
  rejects({ lora: { partialRatio: 1.5 } }, /lora\.partialRatio \(ρ\) must be in \(0, 1\], got 1\.5/);
  rejects({ lora: { partialRatio: 0 } }, /lora\.partialRatio/);
  rejects({ lora: { kernels: [3, 4] } }, /lora\.kernels: kernel size 4 is even/);
  rejects({ lora: { kernels: [] } }, /lora\.kernels must be a non-empty list/);
  rejects({ lora: { rank: 0 } }, /lora\.rank must be a positive integer, got 0/);
  rejects({ lora: { targets: ['qkv', 'q'] } }, /'qkv' already covers 'q' and 'v'/);
  rejects({ lora: { targets: ['k'] } }, /lora\.targets must be a non-empty list of 'qkv', 'q', 'v', 'proj'/);
  rejects({ lora: { targets: [] } }, /lora\.targets must be a non-empty list/);
  rejects({ lora: { spatial: 'tiles' } }, /lora\.spatial must be 'window' or 'unwindowed'/);
  rejects({ inputSize: 500 }, /inputSize must be a positive multiple of 16, got 500/);
  rejects({ ipeg: { sparse: 'points' } }, /ipeg\.sparse must be/);
  rejects({ trainable: { neck: 'yes' } }, /trainable\.neck must be true or false/);
});

test('several problems are reported together', () => {
  rejects({ lora: { rank: -1, dilationKernel: 2 } }, /lora\.rank .*; lora\.dilationKernel/);
});
