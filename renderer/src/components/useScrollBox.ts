// A scrolling list's viewport (its size and scroll offset), measured when it is laid out and
// whenever it resizes, for the virtualised lists (the Dataset grid, the annotator's image strip)
// that draw only the rows in view.
import { useLayoutEffect, useRef, useState } from 'react';

export interface ScrollBox {
  width: number;
  height: number;
  top: number;
}

export function useScrollBox() {
  const scroller = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState<ScrollBox>({ width: 800, height: 600, top: 0 });
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setBox({ width: el.clientWidth, height: el.clientHeight, top: el.scrollTop });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { scroller, box, setBox };
}
