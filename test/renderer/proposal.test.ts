// Model proposals accepted whole, per class or per connected region into the annotator's document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelDocument } from '../../renderer/src/annotator/labelDocument.js';
import { acceptProposal, classCounts, componentAt, type Proposal } from '../../renderer/src/annotator/proposal.js';

// 6×3: two separate class-1 regions, one class-2 region.
const PRED = Uint8Array.from([
  1, 1, 0, 0, 2, 2,
  0, 0, 0, 0, 2, 0,
  1, 0, 0, 0, 0, 0,
]);
const proposal = (): Proposal => ({ labels: PRED.slice(), width: 6, height: 3, runId: 7, model: 'r7' });
const human = () => Uint8Array.from([3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);

test('class counts and 4-connected regions of the proposal', () => {
  assert.deepEqual(classCounts(PRED), [{ index: 1, pixels: 3 }, { index: 2, pixels: 3 }]);
  const c = componentAt(PRED, 6, 3, 0.5, 0.5)!;
  assert.equal(c.cls, 1);
  assert.equal(c.pixels, 2, 'the diagonal-free region at the top left, not the pixel below it');
  assert.equal(componentAt(PRED, 6, 3, 2, 1), null);
  assert.equal(componentAt(PRED, 6, 3, 5, 0)!.pixels, 3);
});

test('accepting one region or one class paints it over the human mask and leaves the rest on offer', () => {
  const doc = new LabelDocument(6, 3, human());
  doc.begin();
  const left = acceptProposal(doc, proposal(), { kind: 'component', x: 0, y: 0 })!;
  assert.ok(doc.commit('region'));
  assert.deepEqual([...doc.labels.slice(0, 6)], [1, 1, 0, 3, 0, 0]);
  assert.equal(doc.labels[17], 3, 'human pixels outside the proposal stay');
  assert.deepEqual(classCounts(left), [{ index: 1, pixels: 1 }, { index: 2, pixels: 3 }]);
  doc.begin();
  const rest = acceptProposal(doc, { ...proposal(), labels: left }, { kind: 'class', index: 2 })!;
  doc.commit('class 2');
  assert.equal(doc.labels[4], 2);
  assert.equal(doc.labels[10], 2);
  assert.deepEqual(classCounts(rest), [{ index: 1, pixels: 1 }]);
});

test('accepting all makes the mask the prediction, background included, as one undo step', () => {
  const doc = new LabelDocument(6, 3, human());
  doc.begin();
  assert.equal(acceptProposal(doc, proposal(), { kind: 'all' }), null);
  doc.commit('all');
  assert.deepEqual([...doc.labels], [...PRED]);
  doc.undo();
  assert.deepEqual([...doc.labels], [...human()]);
});
