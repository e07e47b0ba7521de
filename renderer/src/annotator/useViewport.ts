// The annotator's viewport: stage size (tracked with a ResizeObserver), the image→screen transform,
// fit-to-window, zoom about the cursor and pan. A ref mirrors the view for native event handlers.
import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import type { Point } from './labelDocument.js';
import type { View } from './overlayRenderer.js';

const MIN_SCALE = 0.01;
const MAX_SCALE = 64;

export interface Viewport {
  view: View;
  viewRef: React.MutableRefObject<View>;
  size: { width: number; height: number };
  container: React.RefObject<HTMLDivElement | null>;
  fit(img: { width: number; height: number }): void;
  zoomAt(screen: Point, deltaY: number, deltaMode: number): void;
  pan(dx: number, dy: number): void;
  screenPoint(e: { clientX: number; clientY: number }): Point;
  toImage(p: Point): Point;
}

export function useViewport(): Viewport {
  const [view, setView] = useState<View>({ scale: 1, tx: 0, ty: 0 });
  const [size, setSize] = useState({ width: 800, height: 600 });
  const container = useRef<HTMLDivElement>(null);
  const viewRef = useRef(view);
  viewRef.current = view;

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  const fit = useCallback(
    (img: { width: number; height: number }) => {
      const scale = Math.min(size.width / img.width, size.height / img.height) * 0.94;
      setView({ scale, tx: (size.width - img.width * scale) / 2, ty: (size.height - img.height * scale) / 2 });
    },
    [size],
  );

  const zoomAt = useCallback((p: Point, deltaY: number, deltaMode: number) => {
    const factor = Math.exp(-deltaY * (deltaMode === 1 ? 0.05 : 0.0015));
    setView((v) => {
      const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
      const k = scale / v.scale;
      return { scale, tx: p.x - (p.x - v.tx) * k, ty: p.y - (p.y - v.ty) * k };
    });
  }, []);

  const pan = useCallback((dx: number, dy: number) => setView((v) => ({ ...v, tx: v.tx + dx, ty: v.ty + dy })), []);

  const screenPoint = useCallback((e: { clientX: number; clientY: number }): Point => {
    const r = container.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }, []);

  const toImage = useCallback((p: Point): Point => {
    const v = viewRef.current;
    return { x: (p.x - v.tx) / v.scale, y: (p.y - v.ty) / v.scale };
  }, []);

  return { view, viewRef, size, container, fit, zoomAt, pan, screenPoint, toImage };
}
