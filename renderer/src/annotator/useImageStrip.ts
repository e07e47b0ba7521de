// The image strip's list window: only the rows in view (plus a few) are rendered, so a project of
// thousands of images scrolls as fast as one of ten, and the open image is scrolled into view
// whenever it changes (A / D, a strip click, the Dataset grid).
import { useLayoutEffect } from 'react';
import { useScrollBox } from '../components/useScrollBox.js';

export const STRIP_ROW_HEIGHT = 52;
const OVERSCAN = 4;

/** Rows [first, last] (inclusive) to render for a list of `count` rows scrolled to `scrollTop`. */
export function stripWindow(scrollTop: number, height: number, count: number, rowHeight = STRIP_ROW_HEIGHT, overscan = OVERSCAN): { first: number; last: number } {
  if (count === 0) return { first: 0, last: -1 };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { first, last };
}

/** The scroll position that brings row `index` fully into view (centred), or null when it already is. */
export function scrollToShow(index: number, scrollTop: number, height: number, rowHeight = STRIP_ROW_HEIGHT): number | null {
  if (index < 0) return null;
  const top = index * rowHeight;
  if (top >= scrollTop && top + rowHeight <= scrollTop + height) return null;
  return Math.max(0, Math.round(top - (height - rowHeight) / 2));
}

export function useImageStrip(count: number, currentIndex: number) {
  const { scroller, box, setBox } = useScrollBox();

  // The open image in view: on navigation, and when a new filter changes the list under it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (el.scrollTop > Math.max(0, count * STRIP_ROW_HEIGHT - el.clientHeight)) el.scrollTop = 0;
    const to = scrollToShow(currentIndex, el.scrollTop, el.clientHeight);
    if (to !== null) el.scrollTop = to;
    setBox({ width: el.clientWidth, top: el.scrollTop, height: el.clientHeight });
  }, [currentIndex, count]);

  const onScroll = (e: React.UIEvent<HTMLDivElement>) => {
    const el = e.currentTarget;
    setBox((b) => ({ ...b, top: el.scrollTop, height: el.clientHeight }));
  };
  return { scroller, onScroll, ...stripWindow(box.top, box.height, count) };
}
