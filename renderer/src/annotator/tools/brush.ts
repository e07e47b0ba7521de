// Brush and eraser: a hard-edged capsule from the last pointer position to this one. The eraser
// clears either the current class only (so that neighbouring classes survive) or any class.
import type { LabelDocument, Point } from '../labelDocument.js';
import type { AnnotatorTool, PointerInput } from './tool.js';

/** eraseClass value meaning "whatever class is there". */
export const ANY_CLASS = -1;

export interface BrushContext {
  doc: LabelDocument | null;
  classIdx: number;
  /** Diameter in image pixels. */
  brush: number;
  eraseAnyClass: boolean;
  redraw(): void;
  /** Ends the edit; `recordEmpty` keeps an undo step even when no pixel changed. */
  commit(label: string, recordEmpty?: boolean): void;
}

export function createBrushTool(kind: 'brush' | 'eraser', ctx: () => BrushContext): AnnotatorTool {
  let last: Point | null = null;
  const paint = (p: Point, q: Point) => {
    const c = ctx();
    const eraseClass = c.eraseAnyClass ? ANY_CLASS : c.classIdx;
    c.doc?.paintSegment(p, q, c.brush / 2, kind === 'brush' ? c.classIdx : 0, eraseClass);
    c.redraw();
  };
  const finish = () => {
    if (!last) return;
    last = null;
    ctx().commit(kind === 'brush' ? 'brush stroke' : 'eraser stroke', true);
  };
  return {
    onDown(p: PointerInput) {
      const c = ctx();
      if (p.button !== 0 || !c.doc) return;
      c.doc.begin();
      last = p.image;
      paint(p.image, p.image);
    },
    onMove(p: PointerInput) {
      if (!last) return;
      paint(last, p.image);
      last = p.image;
    },
    onUp: finish,
    onLeave: finish,
  };
}
