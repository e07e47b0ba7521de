// The one table of keyboard shortcuts: the annotator's key handler dispatches through it and the
// help overlay lists it, so a shortcut cannot exist in one place and be missing from the other.
export type ShortcutAction =
  | 'undo'
  | 'redo'
  | 'save'
  | 'tool-brush'
  | 'tool-eraser'
  | 'tool-polygon'
  | 'tool-sam'
  | 'toggle-mode'
  | 'eraser-scope'
  | 'class'
  | 'brush-smaller'
  | 'brush-larger'
  | 'hide-masks'
  | 'prev'
  | 'next'
  | 'next-unreviewed'
  | 'review'
  | 'accept'
  | 'escape'
  | 'polygon-back'
  | 'fit'
  | 'review-view'
  | 'help';

export interface Shortcut {
  /** As shown in the help overlay. */
  keys: string;
  help: string;
  /** Where it works: everywhere, or only in the annotator. */
  scope: 'global' | 'annotator' | 'dataset';
  /** Null for mouse gestures listed for completeness (wheel, space-drag). */
  action: ShortcutAction | null;
  match?: (e: KeyboardEvent) => boolean;
}

const ctrl = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
const plain = (...keys: string[]) => (e: KeyboardEvent) => !ctrl(e) && !e.altKey && keys.includes(e.key);
const letter = (c: string) => plain(c.toLowerCase(), c.toUpperCase());

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'B', help: 'Brush', scope: 'annotator', action: 'tool-brush', match: letter('b') },
  { keys: 'E', help: 'Eraser', scope: 'annotator', action: 'tool-eraser', match: letter('e') },
  { keys: 'P', help: 'Polygon — click vertices, Enter / double-click / first vertex closes', scope: 'annotator', action: 'tool-polygon', match: letter('p') },
  { keys: 'X', help: 'Polygon: toggle fill / cut', scope: 'annotator', action: 'toggle-mode', match: letter('x') },
  { keys: 'Shift+E', help: 'Eraser: erase the current class only / any class', scope: 'annotator', action: 'eraser-scope', match: (e) => !ctrl(e) && e.shiftKey && (e.key === 'E' || e.key === 'e') },
  { keys: 'S', help: 'SAM prompts — click positive, right-click negative, drag a box', scope: 'annotator', action: 'tool-sam', match: letter('s') },
  { keys: 'Enter', help: 'Accept SAM preview into the current class / close polygon', scope: 'annotator', action: 'accept', match: plain('Enter') },
  { keys: 'Esc', help: 'Discard prompts / polygon', scope: 'annotator', action: 'escape', match: plain('Escape') },
  { keys: 'Backspace', help: 'Polygon: remove the last vertex', scope: 'annotator', action: 'polygon-back', match: plain('Backspace') },
  { keys: '1 – 9', help: 'Select class', scope: 'annotator', action: 'class', match: (e) => !ctrl(e) && /^[1-9]$/.test(e.key) },
  { keys: '[  ]', help: 'Brush size smaller / larger', scope: 'annotator', action: null },
  { keys: '[', help: '', scope: 'annotator', action: 'brush-smaller', match: plain('[') },
  { keys: ']', help: '', scope: 'annotator', action: 'brush-larger', match: plain(']') },
  { keys: 'H', help: 'Hide / show masks', scope: 'annotator', action: 'hide-masks', match: letter('h') },
  { keys: 'A / D', help: 'Previous / next image', scope: 'annotator', action: null },
  { keys: 'A', help: '', scope: 'annotator', action: 'prev', match: letter('a') },
  { keys: 'N  or  Shift+D', help: 'Next unreviewed image', scope: 'annotator', action: 'next-unreviewed', match: (e) => letter('n')(e) || (!ctrl(e) && e.shiftKey && (e.key === 'D' || e.key === 'd')) },
  { keys: 'D', help: '', scope: 'annotator', action: 'next', match: letter('d') },
  { keys: 'R', help: 'Toggle reviewed', scope: 'annotator', action: 'review', match: letter('r') },
  { keys: 'Ctrl+Z', help: 'Undo', scope: 'annotator', action: 'undo', match: (e) => ctrl(e) && !e.shiftKey && (e.key === 'z' || e.key === 'Z') },
  { keys: 'Ctrl+Shift+Z  or  Ctrl+Y', help: 'Redo', scope: 'annotator', action: 'redo', match: (e) => ctrl(e) && ((e.shiftKey && (e.key === 'z' || e.key === 'Z')) || e.key === 'y' || e.key === 'Y') },
  { keys: 'Ctrl+S', help: 'Save now (edits also save themselves)', scope: 'annotator', action: 'save', match: (e) => ctrl(e) && (e.key === 's' || e.key === 'S') },
  { keys: 'Wheel', help: 'Zoom to cursor', scope: 'annotator', action: null },
  { keys: 'Space + drag', help: 'Pan (middle mouse too)', scope: 'annotator', action: null },
  { keys: 'F', help: 'Fit image to window', scope: 'annotator', action: 'fit', match: letter('f') },
  { keys: 'G', help: 'Ground truth / a run’s prediction with the per-image IoU (read-only)', scope: 'annotator', action: 'review-view', match: letter('g') },
  { keys: 'Ctrl+A', help: 'Dataset: select every image in the list', scope: 'dataset', action: null },
  { keys: 'Enter', help: 'Dataset: open the first selected image', scope: 'dataset', action: null },
  { keys: 'Esc', help: 'Dataset: clear the selection', scope: 'dataset', action: null },
  { keys: '?', help: 'This help (on every page)', scope: 'global', action: 'help', match: (e) => !ctrl(e) && e.key === '?' },
];

/** The rows the help overlay shows: every shortcut with a description, in table order. */
export function helpRows(scope?: Shortcut['scope']): Shortcut[] {
  return SHORTCUTS.filter((s) => s.help && (!scope || s.scope === scope || s.scope === 'global'));
}

/** The shortcut a key press means, first match in table order (Shift+E before E, Shift+D before D). */
export function matchShortcut(e: KeyboardEvent): Shortcut | undefined {
  const ordered = SHORTCUTS.filter((s) => s.match);
  // Modified variants first so that plain letters do not shadow them.
  const modified = ordered.filter((s) => s.keys.includes('Shift') || s.keys.includes('Ctrl'));
  const rest = ordered.filter((s) => !modified.includes(s));
  return [...modified, ...rest].find((s) => s.match!(e));
}

export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}
