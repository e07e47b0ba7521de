// The engine/provider policy over stated facts (every branch, including refusals of forced choices
// that cannot run), and the real facts of this machine through the same policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideTrainEngine, describeChoice, engineForLoss, gatherEngineFacts, type EngineFacts } from '../../app/finetune/trainEngineChoice.js';

const linuxCpu: EngineFacts = { platform: 'linux', ortUnavailable: null, ortProviders: ['cpu'], tfjsBackend: 'wasm' };

test('ONNX Runtime by default; CUDA → DirectML → CPU with the reason each faster one was skipped', () => {
  const c = decideTrainEngine(linuxCpu, {});
  assert.equal(c.engine, 'ort');
  assert.equal(c.executionProvider, 'cpu');
  assert.equal(c.forcedBy, null);
  assert.deepEqual(c.skipped.map((s) => s.option), ['cuda', 'dml']);
  assert.match(c.skipped[0]!.reason, /CUDA provider library is not installed/);
  assert.match(c.skipped[1]!.reason, /Windows only/);
  assert.equal(decideTrainEngine({ ...linuxCpu, ortProviders: ['cpu', 'cuda'] }, {}).executionProvider, 'cuda');
  const win = decideTrainEngine({ ...linuxCpu, platform: 'win32', ortProviders: ['cpu', 'dml'] }, {});
  assert.equal(win.executionProvider, 'dml');
  assert.match(win.skipped[0]!.reason, /Linux only/);
  assert.match(describeChoice(win).join('\n'), /ONNX Runtime on dml\n {2}skipped cuda: /);
});

test('tfjs when ONNX Runtime training does not load, with the loader error as the reason', () => {
  const c = decideTrainEngine({ ...linuxCpu, ortUnavailable: 'Cannot find module onnxruntime-node' }, {});
  assert.deepEqual([c.engine, c.executionProvider], ['tfjs', 'tfjs-wasm']);
  assert.deepEqual(c.skipped, [{ option: 'onnxruntime', reason: 'Cannot find module onnxruntime-node' }]);
});

test('PASAM_TRAIN_ENGINE and PASAM_ORT_EP force a choice, and refuse one that cannot run', () => {
  assert.equal(decideTrainEngine(linuxCpu, { PASAM_TRAIN_ENGINE: 'tfjs' }).engine, 'tfjs');
  assert.equal(decideTrainEngine(linuxCpu, { PASAM_TRAIN_ENGINE: 'ort' }).forcedBy, 'PASAM_TRAIN_ENGINE=ort');
  const cpu = decideTrainEngine({ ...linuxCpu, ortProviders: ['cpu', 'cuda'] }, { PASAM_ORT_EP: 'cpu' });
  assert.deepEqual([cpu.executionProvider, cpu.skipped.map((s) => s.reason)], ['cpu', ['PASAM_ORT_EP=cpu', 'PASAM_ORT_EP=cpu']]);
  assert.throws(() => decideTrainEngine(linuxCpu, { PASAM_TRAIN_ENGINE: 'torch' }), /PASAM_TRAIN_ENGINE='torch' is not a training engine \(use ort or tfjs\)/);
  assert.throws(() => decideTrainEngine(linuxCpu, { PASAM_ORT_EP: 'rocm' }), /PASAM_ORT_EP='rocm' is not an execution provider/);
  assert.throws(() => decideTrainEngine(linuxCpu, { PASAM_ORT_EP: 'cuda' }), /PASAM_ORT_EP=cuda cannot run here: the CUDA provider library is not installed/);
  assert.throws(() => decideTrainEngine({ ...linuxCpu, ortUnavailable: 'no binding' }, { PASAM_TRAIN_ENGINE: 'ort' }), /PASAM_TRAIN_ENGINE=ort but ONNX Runtime training cannot load here: no binding/);
});

test("this machine's facts go through the same policy", async () => {
  const facts = await gatherEngineFacts();
  const c = decideTrainEngine(facts, {});
  if (facts.ortUnavailable === null) {
    assert.equal(c.engine, 'ort');
    assert.ok(facts.ortProviders.includes('cpu'), `providers ${facts.ortProviders}`);
  } else assert.equal(c.engine, 'tfjs');
  assert.equal(decideTrainEngine(facts, { PASAM_TRAIN_ENGINE: 'tfjs' }).engine, 'tfjs');
});

test('a loss the ONNX Runtime graph lacks (focal CE) trains on tfjs with the reason, or is refused when ORT is forced; present-class Dice stays on ORT', () => {
  const ort = decideTrainEngine(linuxCpu, {});
  assert.equal(engineForLoss(ort, { focalGamma: 0 }, 'tfjs-wasm'), ort);
  const focal = engineForLoss(ort, { focalGamma: 2 }, 'tfjs-wasm');
  assert.deepEqual([focal.engine, focal.executionProvider], ['tfjs', 'tfjs-wasm']);
  assert.match(describeChoice(focal).join('\n'), /no focalGamma 2/);
  assert.throws(() => engineForLoss(decideTrainEngine(linuxCpu, { PASAM_TRAIN_ENGINE: 'ort' }), { focalGamma: 1 }, 'tfjs-wasm'), /PASAM_TRAIN_ENGINE=ort but the ONNX Runtime loss graph has no focalGamma 1/);
});

