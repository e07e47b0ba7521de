// Dispatches key presses through the shortcuts table to the page's action handlers. Space is the
// one held key (pan while down), so it is reported on both keydown and keyup.
import { useEffect, useRef } from 'react';
import { isTyping, matchShortcut, type ShortcutAction } from './shortcuts.js';

export type ShortcutHandlers = Partial<Record<ShortcutAction, (e: KeyboardEvent) => void>>;

export function useShortcutKeys(handlers: ShortcutHandlers, onSpace?: (down: boolean) => void): void {
  const live = useRef({ handlers, onSpace });
  live.current = { handlers, onSpace };
  useEffect(() => {
    const h = (e: KeyboardEvent) => {
      if (isTyping(e)) return;
      if (e.key === ' ' && live.current.onSpace) {
        live.current.onSpace(e.type === 'keydown');
        e.preventDefault();
        return;
      }
      if (e.type !== 'keydown') return;
      const action = matchShortcut(e)?.action;
      const run = action ? live.current.handlers[action] : undefined;
      if (!run) return;
      e.preventDefault();
      run(e);
    };
    window.addEventListener('keydown', h);
    window.addEventListener('keyup', h);
    return () => {
      window.removeEventListener('keydown', h);
      window.removeEventListener('keyup', h);
    };
  }, []);
}
