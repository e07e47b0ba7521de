import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../app/tensor/tf.js';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../../app/onnx/onnxGraphBuilder.js';
import { openOrtSession, releaseOrtSessions } from '../../app/onnx/ortSession.js';
import { initBackend } from '../../app/tensor/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'pasam-onnx-'));
after(async () => {
  await releaseOrtSessions();
  rmSync(dir, { recursive: true, force: true });
});

function seeded(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** x (2,5,8) → linear 8→6 → exact GELU → LayerNorm → softmax, built in ONNX and in tfjs. */
function buildGraph(b: OnnxGraphBuilder, w: Float32Array, bias: Float32Array, gamma: Float32Array, beta: Float32Array) {
  const x = b.input('x', [2, 5, 8]);
  const y = b.op('Add', [b.op('MatMul', [x, b.weight('w', w, [8, 6])]), b.weight('b', bias, [6])]);
  const gelu = b.op('Mul', [b.op('Mul', [y, b.op('Add', [b.op('Erf', [b.op('Div', [y, b.weight('sqrt2', new Float32Array([Math.SQRT2]), [])])]), b.weight('one', new Float32Array([1]), [])])]), b.weight('half', new Float32Array([0.5]), [])]);
  const ln = b.op('LayerNormalization', [gelu, b.weight('gamma', gamma, [6]), b.weight('beta', beta, [6])], { axis: -1, epsilon: 1e-6 });
  b.op('Softmax', [ln], { axis: -1 }, 'y');
  b.output('y', [2, 5, 6]);
}

test('a graph built with the ONNX schema runs in ONNX Runtime and matches tfjs', async () => {
  await initBackend();
  const [w, bias, gamma, beta, xs] = [seeded(48, 1), seeded(6, 2), seeded(6, 3), seeded(6, 4), seeded(80, 5)];
  const b = new OnnxGraphBuilder('probe');
  buildGraph(b, w, bias, gamma, beta);
  const file = join(dir, 'probe.onnx');
  writeFileSync(file, b.serialize());
  const session = await openOrtSession(file);
  const out = await session.run({ x: new ort.Tensor('float32', xs, [2, 5, 8]) });
  const got = out.y!.data as Float32Array;
  const expected = tf.tidy(() => {
    const x = tf.tensor3d(xs, [2, 5, 8]);
    const y = tf.add(tf.matMul(x.reshape([10, 8]), tf.tensor2d(w, [8, 6])), tf.tensor1d(bias));
    const g = tf.mul(tf.mul(y, tf.add(tf.erf(tf.div(y, Math.SQRT2)), 1)), 0.5);
    const { mean, variance } = tf.moments(g, -1, true);
    const ln = tf.add(tf.mul(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, 1e-6))), tf.tensor1d(gamma)), tf.tensor1d(beta));
    return tf.softmax(ln).dataSync() as Float32Array;
  });
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-5, `element ${i}: ${got[i]} vs ${expected[i]}`);
  assert.strictEqual(await openOrtSession(file), session, 'sessions are reused');
});

test('large weights go to an external-data file that ONNX Runtime reads', async () => {
  const [w, bias, gamma, beta, xs] = [seeded(48, 1), seeded(6, 2), seeded(6, 3), seeded(6, 4), seeded(80, 5)];
  const inline = new OnnxGraphBuilder('inline');
  buildGraph(inline, w, bias, gamma, beta);
  const ext = new OnnxGraphBuilder('external');
  buildGraph(ext, w, bias, gamma, beta);
  const file = join(dir, 'external.onnx');
  writeFileSync(file, ext.serialize({ path: file, externalDataAboveBytes: 0, externalTensorMinBytes: 64 }));
  assert.ok(readFileSync(`${file}.data`).length >= 48 * 4, 'weights were written to the .data file');
  const inlineFile = join(dir, 'inline.onnx');
  writeFileSync(inlineFile, inline.serialize());
  const feeds = { x: new ort.Tensor('float32', xs, [2, 5, 8]) };
  const a = (await (await openOrtSession(file)).run(feeds)).y!.data as Float32Array;
  const c = (await (await openOrtSession(inlineFile)).run(feeds)).y!.data as Float32Array;
  assert.deepEqual(Array.from(a), Array.from(c));
});

test('a truncated or non-ONNX file gives an error naming the file, not a crash', async () => {
  const b = new OnnxGraphBuilder('probe');
  buildGraph(b, seeded(48, 1), seeded(6, 2), seeded(6, 3), seeded(6, 4));
  const bytes = b.serialize();
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await assert.rejects(openOrtSession(truncated), (err: Error) => err.message.includes(truncated) && /malformed|truncated/i.test(err.message));
  const text = join(dir, 'notes.onnx');
  writeFileSync(text, 'this is not a model at all, just some text');
  await assert.rejects(openOrtSession(text), (err: Error) => err.message.includes(text) && /not an ONNX model/.test(err.message));
  await assert.rejects(openOrtSession(join(dir, 'missing.onnx')), /not found/);
});
