// Moving between images of the current list: never leaves an image whose mask is not saved yet.
import { useCallback } from 'react';
import type { ImageRow } from '../../../app/api/apiTypes.js';
import type { ToastState } from '../components/Toasts.js';

export function useImageNavigation(opts: { rows: ImageRow[]; imageId: number; setImageId(id: number): void; flush(): Promise<void>; toasts: ToastState }) {
  const { rows, imageId, toasts } = opts;
  const index = rows.findIndex((r) => r.id === imageId);
  const go = useCallback(
    async (target: number | undefined) => {
      if (target === undefined || target === imageId) return;
      try {
        await opts.flush();
      } catch (err) {
        toasts.error(`Not leaving this image: its mask is not saved yet (${err instanceof Error ? err.message : String(err)})`);
        return;
      }
      opts.setImageId(target);
    },
    [opts.flush, imageId],
  );
  const goRelative = (delta: number) => void go(rows[Math.min(rows.length - 1, Math.max(0, index + delta))]?.id);
  const goNextUnreviewed = () => {
    for (let k = 1; k <= rows.length; k++) {
      const r = rows[(Math.max(index, -1) + k) % rows.length];
      if (r && r.status !== 'reviewed' && r.id !== imageId) return void go(r.id);
    }
    toasts.info('Every image in this list is reviewed');
  };
  return { index, go, goRelative, goNextUnreviewed };
}
