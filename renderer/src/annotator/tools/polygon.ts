// Polygon tool: click vertices; clicking near the first vertex, Enter or a double-click closes it and
// fills (or, in cut mode, clears the current class inside) the polygon as one edit.
import { useCallback, useMemo, useRef, useState } from 'react';
import type { LabelDocument, Point } from '../labelDocument.js';
import type { AnnotatorTool, PointerInput } from './tool.js';

/** Screen pixels within which a click on the first vertex closes the polygon. */
const CLOSE_POLYGON_PX = 8;

export interface PolygonContext {
  doc: LabelDocument | null;
  classIdx: number;
  scale: number;
  commit(label: string): void;
}

export interface PolygonTool {
  tool: AnnotatorTool;
  points: Point[];
  mode: 'fill' | 'cut';
  setMode(m: 'fill' | 'cut'): void;
  toggleMode(): void;
  close(): void;
  clear(): void;
  removeLast(): void;
}

export function usePolygonTool(ctx: () => PolygonContext): PolygonTool {
  const [points, setPoints] = useState<Point[]>([]);
  const [mode, setMode] = useState<'fill' | 'cut'>('fill');
  const live = useRef({ points, mode });
  live.current = { points, mode };

  const close = useCallback(() => {
    const c = ctx();
    const pts = live.current.points;
    if (!c.doc || pts.length < 3) return;
    const fill = live.current.mode === 'fill';
    c.doc.begin();
    c.doc.fillPolygon(pts, fill ? c.classIdx : 0, c.classIdx);
    setPoints([]);
    c.commit(fill ? 'polygon fill' : 'polygon cut');
  }, []);

  const tool = useMemo<AnnotatorTool>(
    () => ({
      onDown(p: PointerInput) {
        if (p.button !== 0) return;
        const pts = live.current.points;
        const first = pts[0];
        const scale = ctx().scale;
        if (first && pts.length >= 3 && Math.hypot((first.x - p.image.x) * scale, (first.y - p.image.y) * scale) <= CLOSE_POLYGON_PX) close();
        else setPoints([...pts, p.image]);
      },
      onMove() {},
      onUp() {},
    }),
    [close],
  );

  return {
    tool,
    points,
    mode,
    setMode,
    toggleMode: useCallback(() => setMode((m) => (m === 'fill' ? 'cut' : 'fill')), []),
    close,
    clear: useCallback(() => setPoints([]), []),
    removeLast: useCallback(() => setPoints((p) => p.slice(0, -1)), []),
  };
}
