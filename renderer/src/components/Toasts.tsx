import { useCallback, useMemo, useRef, useState } from 'react';

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export interface ToastState {
  list: Toast[];
  info(text: string): void;
  error(err: unknown): void;
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
      setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 3500);
    },
    [dismiss],
  );
  return useMemo(
    () => ({
      list,
      info: (text: string) => push('info', text),
      error: (err: unknown) => push('error', err instanceof Error ? err.message : String(err)),
      dismiss,
    }),
    [list, push, dismiss],
  );
}

export function Toasts({ state }: { state: ToastState }) {
  return (
    <div className="toasts" aria-live="polite">
      {state.list.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} onClick={() => state.dismiss(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
