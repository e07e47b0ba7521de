import { useCallback, useMemo, useRef, useState } from 'react';

export interface Toast {
  id: number;
  kind: 'info' | 'warn' | 'error';
  text: string;
}

export interface ToastState {
  list: Toast[];
  info(text: string): void;
  error(err: unknown): void;
  /** A toast of any kind (e.g. the end of a background job, whose kind depends on how it ended). */
  notify(kind: Toast['kind'], text: string): void;
  dismiss(id: number): void;
}

export function useToasts(): ToastState {
  const [list, setList] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setList((l) => l.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (kind: Toast['kind'], text: string) => {
      const id = next.current++;
      setList((l) => [...l.slice(-3), { id, kind, text }]);
      // What needs a look stays longer than plain news.
      setTimeout(() => dismiss(id), kind === 'info' ? 3500 : 8000);
    },
    [dismiss],
  );
  return useMemo(
    () => ({
      list,
      info: (text: string) => push('info', text),
      error: (err: unknown) => push('error', err instanceof Error ? err.message : String(err)),
      notify: push,
      dismiss,
    }),
    [list, push, dismiss],
  );
}

export function Toasts({ state }: { state: ToastState }) {
  return (
    <div className="toasts" aria-live="polite">
      {state.list.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'info' ? 'status' : 'alert'} onClick={() => state.dismiss(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
