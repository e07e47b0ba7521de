// The annotator's mask model: painting, polygon fill/cut, SAM masks, block-diff undo/redo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelDocument } from '../../renderer/src/annotator/labelDocument.js';

const count = (d: Uint8Array, v: number) => d.reduce((n, x) => n + (x === v ? 1 : 0), 0);

test('a disc of radius r covers the pixels whose centres lie within r', () => {
  const doc = new LabelDocument(20, 20);
  doc.begin();
  doc.paintSegment({ x: 10, y: 10 }, { x: 10, y: 10 }, 3, 2, 2);
  assert.ok(doc.commit('dot'));
  let expected = 0;
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) if ((x + 0.5 - 10) ** 2 + (y + 0.5 - 10) ** 2 <= 9) expected++;
  assert.equal(count(doc.labels, 2), expected);
  assert.equal(doc.labels[10 * 20 + 10], 2);
  assert.equal(doc.labels[10 * 20 + 14], 0);
});

test('a stroke leaves no gaps between far-apart mouse positions and is clipped at the border', () => {
  const doc = new LabelDocument(100, 30);
  doc.begin();
  doc.paintSegment({ x: -10, y: 15 }, { x: 110, y: 15 }, 2, 1, 1);
  doc.commit('line');
  for (let x = 0; x < 100; x++) assert.equal(doc.labels[15 * 100 + x], 1, `pixel ${x} on the line`);
  assert.equal(count(doc.labels, 1), 4 * 100);
});

test('the eraser removes only the current class', () => {
  const doc = new LabelDocument(10, 10);
  doc.begin();
  doc.fillPolygon([{ x: 0, y: 0 }, { x: 5, y: 0 }, { x: 5, y: 10 }, { x: 0, y: 10 }], 1, 1);
  doc.fillPolygon([{ x: 5, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 5, y: 10 }], 2, 2);
  doc.commit('two halves');
  assert.equal(count(doc.labels, 1), 50);
  assert.equal(count(doc.labels, 2), 50);
  doc.begin();
  doc.paintSegment({ x: 0, y: 5 }, { x: 10, y: 5 }, 20, 0, 2);
  doc.commit('erase class 2');
  assert.equal(count(doc.labels, 2), 0);
  assert.equal(count(doc.labels, 1), 50);
});

test('polygon fill covers pixel centres inside (even-odd); cut clears the class inside', () => {
  const doc = new LabelDocument(10, 10);
  doc.begin();
  doc.fillPolygon([{ x: 2, y: 2 }, { x: 8, y: 2 }, { x: 8, y: 8 }, { x: 2, y: 8 }], 3, 3);
  doc.commit('square');
  assert.equal(count(doc.labels, 3), 36);
  assert.equal(doc.labels[2 * 10 + 2], 3);
  assert.equal(doc.labels[8 * 10 + 8], 0);
  doc.begin();
  doc.fillPolygon([{ x: 0, y: 0 }, { x: 5, y: 0 }, { x: 5, y: 5 }, { x: 0, y: 5 }], 0, 3);
  doc.commit('cut');
  assert.equal(count(doc.labels, 3), 36 - 9);
});

test('undo and redo restore exact states across block boundaries of a large mask', () => {
  const w = 300;
  const h = 200;
  const doc = new LabelDocument(w, h);
  const states: Uint8Array[] = [doc.labels.slice()];
  doc.begin();
  doc.paintSegment({ x: 10, y: 10 }, { x: 290, y: 190 }, 9, 1, 1);
  doc.commit('a');
  states.push(doc.labels.slice());
  const sam = new Uint8Array(w * h);
  for (let y = 60; y < 140; y++) for (let x = 100; x < 250; x++) sam[y * w + x] = 1;
  doc.begin();
  doc.applyMask(sam, 2);
  doc.commit('sam');
  states.push(doc.labels.slice());
  assert.equal(doc.undo(), 'sam');
  assert.deepEqual(doc.labels, states[1]);
  assert.equal(doc.undo(), 'a');
  assert.deepEqual(doc.labels, states[0]);
  assert.equal(doc.undo(), null);
  assert.equal(doc.redo(), 'a');
  assert.equal(doc.redo(), 'sam');
  assert.deepEqual(doc.labels, states[2]);
  assert.equal(doc.redo(), null);
  // A new edit after an undo drops the redo branch.
  doc.undo();
  doc.begin();
  doc.paintSegment({ x: 0, y: 0 }, { x: 0, y: 0 }, 3, 3, 3);
  doc.commit('dot');
  assert.equal(doc.canRedo, false);
});

test('an edit that changes nothing is not recorded; cancel restores the pixels', () => {
  const doc = new LabelDocument(50, 50);
  doc.begin();
  doc.paintSegment({ x: 25, y: 25 }, { x: 25, y: 25 }, 5, 0, 1);
  assert.equal(doc.commit('erase nothing'), false);
  assert.equal(doc.canUndo, false);
  doc.begin();
  doc.paintSegment({ x: 25, y: 25 }, { x: 25, y: 25 }, 5, 1, 1);
  doc.cancel();
  assert.equal(count(doc.labels, 1), 0);
});

test('the eraser clears the current class only, or any class; a stroke that changed nothing is still an undo step', () => {
  const doc = new LabelDocument(10, 1);
  doc.begin();
  doc.paintSegment({ x: 2, y: 0.5 }, { x: 2, y: 0.5 }, 1, 1, 1);
  doc.paintSegment({ x: 7, y: 0.5 }, { x: 7, y: 0.5 }, 1, 2, 2);
  doc.commit('two classes');
  doc.begin();
  doc.paintSegment({ x: 0, y: 0.5 }, { x: 10, y: 0.5 }, 2, 0, 3);
  assert.equal(doc.commit('eraser over class 3', true), false, 'nothing changed, nothing to save');
  assert.equal(count(doc.labels, 1) + count(doc.labels, 2), 4);
  assert.equal(doc.undo(), 'eraser over class 3 (no change)');
  assert.equal(doc.lastStepChanges, false);
  assert.equal(count(doc.labels, 2), 2, 'undoing the empty stroke leaves the edit before it in place');
  doc.redo();
  doc.begin();
  doc.paintSegment({ x: 0, y: 0.5 }, { x: 10, y: 0.5 }, 2, 0, -1);
  assert.ok(doc.commit('erase any'));
  assert.equal(count(doc.labels, 0), 10);
  doc.undo();
  assert.equal(doc.lastStepChanges, true);
  assert.equal(count(doc.labels, 1), 2);
});
