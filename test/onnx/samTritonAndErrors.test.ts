// The interactive SAM as a Triton repository (batched encoder, unbatched decoder with dynamic
// point counts), external weight files travelling with the repository, and clear errors (then
// recovery) for damaged exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../app/tensor/backend.js';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { OnnxGraphBuilder } from '../../app/onnx/onnxGraphBuilder.js';
import { readModelCard } from '../../app/onnx/modelCard.js';
import { readOnnxSignature } from '../../app/onnx/onnxSignature.js';
import { openOrtSession, releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { OrtSamPredictor } from '../../app/onnx/ortSamPredictor.js';
import { tritonFromExport } from '../../app/onnx/runExport.js';
import { ensureSamOnnx, openInteractivePredictor } from '../../app/onnx/samOnnxLibrary.js';
import { writeTritonRepository } from '../../app/onnx/tritonRepository.js';
import { fixtureImage, loadFixture, type SamFixture } from '../helpers/samFixture.js';
import { parsePbtxt } from './pbtxt.js';
import { runCliInProcess } from '../helpers/cli.js';

let fx: SamFixture;
let home: string;
const savedHome = process.env.PASAM_HOME;
const tmp = mkdtempSync(join(tmpdir(), 'pasam-onnx-triton-'));

before(async () => {
  await initBackend();
  fx = loadFixture();
  home = mkdtempSync(join(tmpdir(), 'pasam-onnx-home-'));
  process.env.PASAM_HOME = home;
  await importCheckpoint(join(fx.dir, fx.manifest.checkpoints.pth!), { name: 'tiny', config: fx.config });
});
after(async () => {
  await releaseOrtSessions();
  if (savedHome === undefined) delete process.env.PASAM_HOME;
  else process.env.PASAM_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

test('SAM as a Triton repository: a batched encoder and a decoder with dynamic prompts', async () => {
  const { dir } = await ensureSamOnnx('tiny');
  const repo = join(tmp, 'sam-repo');
  const r = tritonFromExport(dir, repo, { name: 'sam_tiny', instanceKind: 'KIND_CPU' });
  assert.deepEqual(r.models.map((m) => [m.name, m.batched]), [['sam_tiny_encoder', true], ['sam_tiny_decoder', false]]);
  const enc = parsePbtxt(readFileSync(join(repo, 'sam_tiny_encoder', 'config.pbtxt'), 'utf8'));
  assert.equal(enc.max_batch_size, 8);
  assert.deepEqual(enc.input, [{ name: 'image', data_type: 'TYPE_FP32', dims: [3, 160, 160] }]);
  assert.deepEqual(enc.output, [{ name: 'image_embeddings', data_type: 'TYPE_FP32', dims: [32, 10, 10] }]);
  assert.deepEqual(enc.instance_group, [{ count: 1, kind: 'KIND_CPU' }]);
  const dec = parsePbtxt(readFileSync(join(repo, 'sam_tiny_decoder', 'config.pbtxt'), 'utf8'));
  assert.equal(dec.max_batch_size, 0);
  assert.equal(dec.dynamic_batching, undefined);
  const inputs = Object.fromEntries((dec.input as { name: string; dims: number[] }[]).map((i) => [i.name, i.dims]));
  assert.deepEqual(inputs, { image_embeddings: [1, 32, 10, 10], point_coords: [-1, -1, 2], point_labels: [-1, -1], mask_input: [-1, 1, 40, 40], has_mask_input: [1], orig_im_size: [2] });
  const outputs = Object.fromEntries((dec.output as { name: string; dims: number[] }[]).map((o) => [o.name, o.dims]));
  assert.deepEqual(outputs, { masks: [-1, 4, -1, -1], iou_predictions: [-1, 4], low_res_masks: [-1, 4, 40, 40] });
  // The repository's files are the export's.
  assert.deepEqual(readFileSync(join(repo, 'sam_tiny_decoder', '1', 'model.onnx')), readFileSync(join(dir, 'decoder.onnx')));
});

test('external weight files are copied beside the model in the repository and still load', async () => {
  const b = new OnnxGraphBuilder('ext');
  const x = b.input('x', ['batch', 64]);
  const w = new Float32Array(64 * 64).map((_, i) => ((i % 13) - 6) / 10);
  b.op('MatMul', [x, b.weight('w', w, [64, 64])], {}, 'y');
  b.output('y', ['batch', 64]);
  const file = join(tmp, 'ext.onnx');
  writeFileSync(file, b.serialize({ path: file, externalDataAboveBytes: 0 }));
  assert.ok(existsSync(`${file}.data`));
  const repo = join(tmp, 'ext-repo');
  writeTritonRepository(repo, [{ name: 'ext', onnxPath: file }]);
  assert.ok(existsSync(join(repo, 'ext', '1', 'ext.onnx.data')), 'the data file keeps the name the graph refers to');
  const session = await openOrtSession(join(repo, 'ext', '1', 'model.onnx'));
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(64).fill(1), [1, 64]) });
  let expected = 0;
  for (let k = 0; k < 64; k++) expected += w[k * 64]!;
  assert.ok(Math.abs((out.y!.data as Float32Array)[0]! - expected) < 1e-4);
});

test('a truncated export gives an error naming the file, and the predictor re-exports it', async () => {
  const { dir } = await ensureSamOnnx('tiny');
  const encoder = join(dir, 'encoder.onnx');
  truncateSync(encoder, Math.floor(statSync(encoder).size / 3));
  await releaseOrtSessions();
  await assert.rejects(OrtSamPredictor.open(dir), (err: Error) => err.message.includes(encoder) && /truncated or malformed/.test(err.message));
  assert.throws(() => readOnnxSignature(encoder), (err: Error) => err.message.includes(encoder));
  const notes: string[] = [];
  const predictor = await openInteractivePredictor('tiny', { engine: 'onnx', onFallback: (r) => notes.push(r) });
  assert.equal(predictor.engine, 'onnxruntime');
  assert.ok(notes.some((n) => /re-exporting/.test(n)), 'the damaged export was noticed');
  await predictor.setImage(await fixtureImage(fx));
  const p = await predictor.predict({ points: [[30, 60]], labels: [1] });
  assert.equal(p.masks.length, 3);
});

test('a damaged model card gives an error naming the file', () => {
  const file = join(tmp, 'model.json');
  writeFileSync(file, '{"format": "pasam-onnx-model", "formatVersion": 1, "kind": ');
  assert.throws(() => readModelCard(file), (err: Error) => err.message.includes(file) && /not valid JSON/.test(err.message));
  writeFileSync(file, JSON.stringify({ format: 'something-else' }));
  assert.throws(() => readModelCard(file), (err: Error) => err.message.includes(file) && /'format'/.test(err.message));
});

test('pasam model export --sam writes the interactive SAM as ONNX with its card', async () => {
  const out = join(tmp, 'cli-sam');
  const res = await runCliInProcess(['model', 'export', '--sam', 'tiny', '--format', 'onnx', '--out', out, '--json']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout).files, { encoder: 'encoder.onnx', decoder: 'decoder.onnx' });
  const card = readModelCard(join(out, 'model.json'));
  assert.equal(card.kind, 'sam');
  assert.deepEqual(readOnnxSignature(join(out, 'decoder.onnx')).outputs.map((o) => o.name), ['masks', 'iou_predictions', 'low_res_masks']);
  const bad = await runCliInProcess(['model', 'export', '--sam', 'tiny', '--format', 'tensorrt', '--out', join(tmp, 'cli-bad')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format must be onnx or triton/);
});
