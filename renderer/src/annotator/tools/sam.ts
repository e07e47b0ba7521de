// SAM prompt tool: click = positive point, right-click = negative point, drag = box. Each prompt
// change asks the backend for a mask, shown as a hatched preview until accepted (Enter) into the
// current class or discarded (Esc). The image embedding is computed once, on first use per image.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../../apiClient.js';
import type { ImageRecord, MaskSource, SamPoint, SamStatus } from '../../../../app/api/apiTypes.js';
import type { ToastState } from '../../components/Toasts.js';
import type { LabelDocument, Point } from '../labelDocument.js';
import type { AnnotatorTool, PointerInput } from './tool.js';

type Box = [number, number, number, number];
/** Screen pixels a press must travel to count as a box drag rather than a click. */
const DRAG_PX = 4;

export interface SamContext {
  image: ImageRecord | null;
  doc: LabelDocument | null;
  classIdx: number;
  className: string;
  toImage(p: Point): Point;
  redraw(): void;
  commit(label: string, source: MaskSource): void;
  setStatus(s: string): void;
}

export interface SamTool {
  tool: AnnotatorTool;
  status: SamStatus | null;
  points: SamPoint[];
  box: Box | null;
  dragBox: Box | null;
  /** The mask on offer (image-sized, non-zero = in), read by the overlay renderer. */
  preview: React.MutableRefObject<Uint8Array | null>;
  hasPreview: boolean;
  previewArea: number;
  busy: string | null;
  ensureImage(): Promise<boolean>;
  accept(): void;
  discard(): void;
  /** A new image is open: forget prompts and the embedding. */
  reset(): void;
}

/** `preview` is the page's ref, so that its overlay renderer sees a new mask before React re-renders. */
export function useSamTool(api: ApiClient, toasts: ToastState, preview: React.MutableRefObject<Uint8Array | null>, ctx: () => SamContext): SamTool {
  const [status, setStatus] = useState<SamStatus | null>(null);
  const [points, setPoints] = useState<SamPoint[]>([]);
  const [box, setBox] = useState<Box | null>(null);
  const [dragBox, setDragBox] = useState<Box | null>(null);
  const [hasPreview, setHasPreview] = useState(false);
  const [previewArea, setPreviewArea] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const seq = useRef(0);
  const embedded = useRef<number | null>(null);
  const live = useRef({ points, box });
  live.current = { points, box };

  useEffect(() => {
    api.call('sam.status', {}).then(setStatus, () => setStatus({ available: false, model: null, reason: 'unknown' }));
  }, [api]);

  const ensureImage = useCallback(async (): Promise<boolean> => {
    const img = ctx().image;
    if (!img) return false;
    if (embedded.current === img.id) return true;
    setBusy('Computing image embedding…');
    try {
      await api.call('sam.setImage', { imageId: img.id });
      embedded.current = img.id;
      return true;
    } catch (err) {
      toasts.error(err);
      return false;
    } finally {
      setBusy(null);
    }
  }, [api]);

  const run = useCallback(
    async (pts: SamPoint[], b: Box | null) => {
      const c = ctx();
      const img = c.image;
      if (!img) return;
      if (pts.length === 0 && !b) {
        preview.current = null;
        setHasPreview(false);
        c.redraw();
        return;
      }
      if (!(await ensureImage())) return;
      const mine = ++seq.current;
      setBusy('Predicting…');
      try {
        const r = await api.call('sam.predict', { imageId: img.id, points: pts, box: b });
        if (mine !== seq.current || ctx().image?.id !== img.id) return;
        preview.current = r.mask.data;
        setHasPreview(true);
        setPreviewArea(r.mask.data.reduce((n, v) => n + (v ? 1 : 0), 0));
        c.setStatus(`SAM preview (score ${r.score.toFixed(2)}) — Enter accepts into ${ctx().className}, Esc discards`);
        c.redraw();
      } catch (err) {
        toasts.error(err);
      } finally {
        if (mine === seq.current) setBusy(null);
      }
    },
    [api, ensureImage],
  );

  const discard = useCallback(() => {
    seq.current++;
    preview.current = null;
    setHasPreview(false);
    setPoints([]);
    setBox(null);
    setBusy(null);
    ctx().redraw();
  }, []);

  const accept = useCallback(() => {
    const c = ctx();
    const p = preview.current;
    if (!c.doc || !p) return;
    c.doc.begin();
    c.doc.applyMask(p, c.classIdx);
    discard();
    c.commit('SAM mask', 'sam');
  }, [discard]);

  const reset = useCallback(() => {
    seq.current++;
    embedded.current = null;
    preview.current = null;
    setHasPreview(false);
    setPoints([]);
    setBox(null);
  }, []);

  const tool = useMemo<AnnotatorTool>(() => {
    let press: { start: PointerInput; moved: boolean } | null = null;
    const clamp = (p: Point): Point => {
      const img = ctx().image!;
      return { x: Math.min(img.width, Math.max(0, p.x)), y: Math.min(img.height, Math.max(0, p.y)) };
    };
    const boxOf = (a: Point, b: Point): Box => [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
    return {
      onDown(p) {
        if (p.button === 0 || p.button === 2) press = { start: p, moved: false };
      },
      onMove(p) {
        if (!press) return;
        if (Math.hypot(p.screen.x - press.start.screen.x, p.screen.y - press.start.screen.y) > DRAG_PX) press.moved = true;
        if (press.moved && press.start.button === 0) setDragBox(boxOf(press.start.image, p.image));
      },
      onUp(p) {
        const g = press;
        press = null;
        if (!g || !ctx().image) return;
        if (g.moved && g.start.button === 0) {
          const b = boxOf(clamp(g.start.image), clamp(p.image));
          setDragBox(null);
          setBox(b);
          void run(live.current.points, b);
        } else if (!g.moved) {
          const q = clamp(p.image);
          const next = [...live.current.points, { x: q.x, y: q.y, label: (g.start.button === 2 ? 0 : 1) as 0 | 1 }];
          setPoints(next);
          void run(next, live.current.box);
        }
      },
      onLeave() {
        press = null;
        setDragBox(null);
      },
    };
  }, [run]);

  return { tool, status, points, box, dragBox, preview, hasPreview, previewArea, busy, ensureImage, accept, discard, reset };
}
