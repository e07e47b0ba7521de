// What every annotator tool implements: the page turns mouse events into PointerInputs (screen and
// image coordinates) and hands presses that are not pans to the active tool.
import type { Point } from '../labelDocument.js';

export type ToolId = 'brush' | 'eraser' | 'polygon' | 'sam';

export interface PointerInput {
  screen: Point;
  image: Point;
  /** 0 left, 1 middle, 2 right. */
  button: number;
}

export interface AnnotatorTool {
  onDown(p: PointerInput): void;
  onMove(p: PointerInput): void;
  onUp(p: PointerInput): void;
  /** The pointer left the stage mid-gesture. */
  onLeave?(): void;
}
