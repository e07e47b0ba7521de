import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, WireFormatError } from '../../app/api/wireCodec.js';

test('params with several byte arrays round-trip exactly, nested anywhere', () => {
  const a = new Uint8Array([0, 1, 2, 255]);
  const b = new Uint8Array(100_000).map((_, i) => i % 7);
  const value = { imageId: 3, mask: { width: 2, height: 2, data: a }, list: [{ data: b }, 'x', null], text: 'ünïcode ✓' };
  const decoded = decodeMessage(encodeMessage(value)) as typeof value;
  assert.deepEqual(decoded, value);
  assert.ok(decoded.mask.data instanceof Uint8Array);
});

test('a subarray view is encoded as its own bytes only', () => {
  const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
  const decoded = decodeMessage(encodeMessage({ d: big.subarray(2, 5) })) as { d: Uint8Array };
  assert.deepEqual([...decoded.d], [1, 2, 3]);
});

test('malformed messages are refused with a clear error', () => {
  assert.throws(() => decodeMessage(new TextEncoder().encode('{"a":1}')), /missing PSM1 header/);
  const ok = encodeMessage({ d: new Uint8Array(4) });
  assert.throws(() => decodeMessage(ok.subarray(0, ok.length - 2)), WireFormatError);
  const bad = encodeMessage({ x: 1 });
  new DataView(bad.buffer).setUint32(4, 10_000, true);
  assert.throws(() => decodeMessage(bad), /runs past the end/);
  const forged = new TextEncoder().encode('{"d":{"$bin":[0,50]}}');
  const msg = new Uint8Array(8 + forged.length);
  msg.set([0x50, 0x53, 0x4d, 0x31]);
  new DataView(msg.buffer).setUint32(4, forged.length, true);
  msg.set(forged, 8);
  assert.throws(() => decodeMessage(msg), /byte reference out of range/);
});
