// The image strip's list window: a project of thousands of images renders only the rows in view,
// and the open image is scrolled into view (centred) only when it is not already visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrollToShow, stripWindow, STRIP_ROW_HEIGHT } from '../../renderer/src/annotator/useImageStrip.js';

test('5,000 images: only the rows in view plus the overscan are rendered, wherever the list is scrolled', () => {
  const height = 700;
  const inView = Math.ceil(height / STRIP_ROW_HEIGHT) + 1; // plus 4 rows of overscan each side
  for (const top of [0, 1234, 5000 * STRIP_ROW_HEIGHT - height]) {
    const { first, last } = stripWindow(top, height, 5000);
    assert.ok(first <= Math.floor(top / STRIP_ROW_HEIGHT) && last >= Math.min(4999, Math.floor((top + height - 1) / STRIP_ROW_HEIGHT)), `rows in view at ${top}`);
    assert.ok(last - first + 1 <= inView + 2 * 4 + 1, `${last - first + 1} rows rendered at ${top}`);
    assert.ok(first >= 0 && last <= 4999);
  }
  assert.deepEqual(stripWindow(0, height, 0), { first: 0, last: -1 });
  assert.deepEqual(stripWindow(0, height, 3), { first: 0, last: 2 });
});

test('the open image is brought into view only when it is out of view', () => {
  const h = 10 * STRIP_ROW_HEIGHT;
  assert.equal(scrollToShow(3, 0, h), null, 'visible: no jump');
  assert.equal(scrollToShow(9, 0, h), null, 'the last fully visible row');
  const to = scrollToShow(2500, 0, h)!;
  assert.ok(to <= 2500 * STRIP_ROW_HEIGHT && to + h >= 2501 * STRIP_ROW_HEIGHT, 'fully visible afterwards');
  assert.equal(to, 2500 * STRIP_ROW_HEIGHT - (h - STRIP_ROW_HEIGHT) / 2, 'centred');
  assert.equal(scrollToShow(0, 5000, h), 0, 'scrolled back up, never above the top');
  assert.equal(scrollToShow(-1, 0, h), null, 'an image outside the filtered list does not scroll');
});
