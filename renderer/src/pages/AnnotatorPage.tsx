import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Stage, Layer, Group, Image as KImage, Line, Circle, Rect } from 'react-konva';
import type Konva from 'konva';
import type { ApiClient } from '../apiClient.js';
import type { ImageRecord, ImageRow, MaskSource, ProjectSummary, SamPoint, SamStatus } from '../../../app/api/apiTypes.js';
import { LabelDocument, type Point } from '../annotator/labelDocument.js';
import { OverlayRenderer, type ClassStyle, type View } from '../annotator/overlayRenderer.js';
import { SaveQueue, type SaveState } from '../annotator/saveQueue.js';
import { TileCache, visibleTiles } from '../annotator/tileCache.js';
import type { ToastState } from '../components/Toasts.js';
import { HelpOverlay } from '../components/HelpOverlay.js';
import { Icon, type IconName } from '../components/Icons.js';

type Tool = 'brush' | 'eraser' | 'polygon' | 'sam';
const TOOLS: { id: Tool; label: string; key: string; icon: IconName }[] = [
  { id: 'brush', label: 'Brush', key: 'B', icon: 'brush' },
  { id: 'eraser', label: 'Eraser', key: 'E', icon: 'eraser' },
  { id: 'polygon', label: 'Polygon', key: 'P', icon: 'polygon' },
  { id: 'sam', label: 'SAM prompts', key: 'S', icon: 'sam' },
];
const MIN_BRUSH = 1;
const MAX_BRUSH = 500;
const CLOSE_POLYGON_PX = 8;

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

export function AnnotatorPage(props: {
  api: ApiClient;
  project: ProjectSummary;
  rows: ImageRow[];
  imageId: number;
  setImageId: (id: number) => void;
  updateRow: (id: number, patch: Partial<ImageRow>) => void;
  toasts: ToastState;
  setStatus: (s: string) => void;
}) {
  const { api, project, rows, imageId, toasts } = props;
  const classes = project.classes;
  const [image, setImage] = useState<ImageRecord | null>(null);
  const [tool, setTool] = useState<Tool>('brush');
  const [classIdx, setClassIdx] = useState(classes[0]?.index ?? 1);
  const [brush, setBrush] = useState(12);
  const [polyMode, setPolyMode] = useState<'fill' | 'cut'>('fill');
  const [hideMasks, setHideMasks] = useState(false);
  const [styles, setStyles] = useState<Map<number, { opacity: number; visible: boolean }>>(new Map());
  const [view, setView] = useState<View>({ scale: 1, tx: 0, ty: 0 });
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'saved', version: null });
  const [history, setHistory] = useState({ undo: false, redo: false });
  const [polygon, setPolygon] = useState<Point[]>([]);
  const [samPoints, setSamPoints] = useState<SamPoint[]>([]);
  const [samBox, setSamBox] = useState<[number, number, number, number] | null>(null);
  const [dragBox, setDragBox] = useState<[number, number, number, number] | null>(null);
  const [samStatus, setSamStatus] = useState<SamStatus | null>(null);
  const [samBusy, setSamBusy] = useState<string | null>(null);
  const [hasPreview, setHasPreview] = useState(false);
  const [previewArea, setPreviewArea] = useState(0);
  const [help, setHelp] = useState(false);
  const [predicting, setPredicting] = useState(false);
  const [tileTick, setTileTick] = useState(0);

  const container = useRef<HTMLDivElement>(null);
  const maskLayer = useRef<Konva.Layer>(null);
  const toolLayer = useRef<Konva.Layer>(null);
  const cursorRef = useRef<Konva.Circle>(null);
  const coordsRef = useRef<HTMLSpanElement>(null);
  const doc = useRef<LabelDocument | null>(null);
  const preview = useRef<Uint8Array | null>(null);
  const overlay = useMemo(() => new OverlayRenderer(), []);
  const tiles = useMemo(() => new TileCache((t) => api.binUrl({ kind: 'tile', imageId: Number(t.key.split('/')[0]), level: t.level, x: t.x, y: t.y }), () => setTileTick((n) => n + 1)), [api]);
  const saver = useMemo(
    () =>
      new SaveQueue(api, setSaveState, (id, v) => {
        const row = rowsRef.current.find((r) => r.id === id);
        props.updateRow(id, { maskVersion: v.version, ...(row?.status === 'new' ? { status: 'annotated' as const } : {}) });
        setImage((img) => (img && img.id === id && img.status === 'new' ? { ...img, status: 'annotated' } : img));
      }),
    [api],
  );
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const samSeq = useRef(0);
  const samImage = useRef<number | null>(null);
  const drag = useRef<null | { kind: 'pan' | 'paint' | 'sam'; last: Point; startScreen: Point; button: number; moved: boolean }>(null);
  const spaceDown = useRef(false);

  // Mirror of state for native event handlers.
  const st = useRef({ tool, classIdx, brush, view, polygon, polyMode, samPoints, samBox, image });
  st.current = { tool, classIdx, brush, view, polygon, polyMode, samPoints, samBox, image };

  const classStyles = useMemo(() => {
    const m = new Map<number, ClassStyle>();
    for (const c of classes) {
      const s = styles.get(c.index);
      m.set(c.index, { color: c.color, opacity: s?.opacity ?? 0.5, visible: s?.visible ?? true });
    }
    return m;
  }, [classes, styles]);
  const currentClass = classes.find((c) => c.index === classIdx);

  // ---- drawing --------------------------------------------------------------------------------

  const redrawFrame = useRef(0);
  const drawOverlay = useCallback(() => {
    const d = doc.current;
    overlay.render({
      width: size.width,
      height: size.height,
      view: st.current.view,
      labels: d?.labels ?? null,
      imageWidth: d?.width ?? 1,
      imageHeight: d?.height ?? 1,
      styles: classStyles,
      hideAll: hideMasks,
      preview: preview.current,
      previewColor: currentClass?.color ?? '#00e5ff',
    });
    maskLayer.current?.batchDraw();
  }, [overlay, size, classStyles, hideMasks, currentClass?.color]);
  const requestRedraw = useCallback(() => {
    if (redrawFrame.current) return;
    redrawFrame.current = requestAnimationFrame(() => {
      redrawFrame.current = 0;
      drawOverlay();
    });
  }, [drawOverlay]);
  useEffect(() => drawOverlay(), [drawOverlay, view, image]);

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  const fit = useCallback(
    (img = st.current.image) => {
      if (!img) return;
      const scale = Math.min(size.width / img.width, size.height / img.height) * 0.94;
      setView({ scale, tx: (size.width - img.width * scale) / 2, ty: (size.height - img.height * scale) / 2 });
    },
    [size],
  );

  const needsFit = useRef(false);
  useEffect(() => {
    if (needsFit.current && image && size.width > 1) {
      needsFit.current = false;
      fit(image);
    }
  }, [image, size, fit]);

  // ---- loading --------------------------------------------------------------------------------

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [info, m] = await Promise.all([api.call('images.get', { id: imageId }), api.call('masks.get', { imageId })]);
        if (!live) return;
        doc.current = new LabelDocument(info.image.width, info.image.height, m.mask?.data);
        preview.current = null;
        setHasPreview(false);
        setPolygon([]);
        setSamPoints([]);
        setSamBox(null);
        setHistory({ undo: false, redo: false });
        saver.reset(m.version?.version ?? null);
        tiles.clear();
        needsFit.current = true;
        setImage(info.image);
      } catch (err) {
        toasts.error(err);
      }
    })();
    return () => {
      live = false;
    };
  }, [imageId]);

  useEffect(() => {
    api.call('sam.status', {}).then(setSamStatus, () => setSamStatus({ available: false, model: null, reason: 'unknown' }));
  }, [api]);

  useEffect(() => {
    if (image) props.setStatus(`${image.originalName} · ${image.width}×${image.height} · ${Math.round(view.scale * 100)}%`);
  }, [image, view.scale]);

  // The embedding is computed once per image, when SAM prompts are first used on it.
  const ensureSamImage = useCallback(async (): Promise<boolean> => {
    const img = st.current.image;
    if (!img) return false;
    if (samImage.current === img.id) return true;
    setSamBusy('Computing image embedding…');
    try {
      await api.call('sam.setImage', { imageId: img.id });
      samImage.current = img.id;
      return true;
    } catch (err) {
      toasts.error(err);
      return false;
    } finally {
      setSamBusy(null);
    }
  }, [api]);

  useEffect(() => {
    if (tool === 'sam' && image && samStatus?.available) void ensureSamImage();
  }, [tool, image, samStatus?.available]);

  // ---- committing edits ----------------------------------------------------------------------

  const commit = useCallback(
    (label: string, source: MaskSource = 'manual') => {
      const d = doc.current;
      const img = st.current.image;
      if (!d || !img) return;
      if (d.commit(label)) {
        saver.enqueue({ imageId: img.id, width: d.width, height: d.height, snapshot: () => d.labels.slice(), source });
      }
      setHistory({ undo: d.canUndo, redo: d.canRedo });
      requestRedraw();
    },
    [saver, requestRedraw],
  );

  const undoRedo = useCallback(
    (which: 'undo' | 'redo') => {
      const d = doc.current;
      const img = st.current.image;
      if (!d || !img || d.inEdit) return;
      const label = which === 'undo' ? d.undo() : d.redo();
      if (label === null) return;
      saver.enqueue({ imageId: img.id, width: d.width, height: d.height, snapshot: () => d.labels.slice(), source: 'manual' });
      setHistory({ undo: d.canUndo, redo: d.canRedo });
      props.setStatus(`${which === 'undo' ? 'Undid' : 'Redid'} ${label}`);
      requestRedraw();
    },
    [saver, requestRedraw],
  );

  const runSam = useCallback(
    async (points: SamPoint[], box: [number, number, number, number] | null) => {
      const img = st.current.image;
      if (!img) return;
      if (points.length === 0 && !box) {
        preview.current = null;
        setHasPreview(false);
        requestRedraw();
        return;
      }
      if (!(await ensureSamImage())) return;
      const seq = ++samSeq.current;
      setSamBusy('Predicting…');
      try {
        const r = await api.call('sam.predict', { imageId: img.id, points, box });
        if (seq !== samSeq.current || st.current.image?.id !== img.id) return;
        preview.current = r.mask.data;
        setHasPreview(true);
        setPreviewArea(r.mask.data.reduce((n, v) => n + (v ? 1 : 0), 0));
        props.setStatus(`SAM preview (score ${r.score.toFixed(2)}) — Enter accepts into ${currentClass?.name ?? 'the class'}, Esc discards`);
        requestRedraw();
      } catch (err) {
        toasts.error(err);
      } finally {
        if (seq === samSeq.current) setSamBusy(null);
      }
    },
    [api, ensureSamImage, requestRedraw, currentClass?.name],
  );

  const discardPrompts = useCallback(() => {
    samSeq.current++;
    preview.current = null;
    setHasPreview(false);
    setSamPoints([]);
    setSamBox(null);
    setPolygon([]);
    setSamBusy(null);
    requestRedraw();
  }, [requestRedraw]);

  const acceptSam = useCallback(() => {
    const d = doc.current;
    const p = preview.current;
    if (!d || !p) return;
    d.begin();
    d.applyMask(p, st.current.classIdx);
    discardPrompts();
    commit('SAM mask', 'sam');
  }, [commit, discardPrompts]);

  const closePolygon = useCallback(() => {
    const d = doc.current;
    const pts = st.current.polygon;
    if (!d || pts.length < 3) return;
    d.begin();
    d.fillPolygon(pts, st.current.polyMode === 'fill' ? st.current.classIdx : 0, st.current.classIdx);
    setPolygon([]);
    commit(st.current.polyMode === 'fill' ? 'polygon fill' : 'polygon cut');
  }, [commit]);

  const predict = useCallback(async () => {
    const img = st.current.image;
    const d = doc.current;
    if (!img || !d) return;
    setPredicting(true);
    try {
      const r = await api.call('model.predict', { imageId: img.id });
      d.begin();
      d.replaceAll(r.mask.data);
      commit(`prediction of ${r.model}`, 'model');
      props.updateRow(img.id, { hasPrediction: true });
    } catch (err) {
      toasts.error(err);
    } finally {
      setPredicting(false);
    }
  }, [api, commit]);

  // ---- navigation ----------------------------------------------------------------------------

  const index = rows.findIndex((r) => r.id === imageId);
  const go = useCallback(
    async (target: number | undefined) => {
      if (target === undefined || target === imageId) return;
      try {
        await saver.flush();
      } catch (err) {
        toasts.error(`Not leaving this image: its mask is not saved yet (${err instanceof Error ? err.message : String(err)})`);
        return;
      }
      samImage.current = null;
      props.setImageId(target);
    },
    [saver, imageId],
  );
  const goRelative = (delta: number) => go(rows[Math.min(rows.length - 1, Math.max(0, index + delta))]?.id);
  const goNextUnreviewed = () => {
    for (let k = 1; k <= rows.length; k++) {
      const r = rows[(Math.max(index, -1) + k) % rows.length];
      if (r && r.status !== 'reviewed' && r.id !== imageId) return go(r.id);
    }
    toasts.info('Every image in this list is reviewed');
  };
  const toggleReviewed = async () => {
    const img = st.current.image;
    if (!img) return;
    try {
      await saver.flush();
      const status = img.status === 'reviewed' ? 'annotated' : 'reviewed';
      await api.call('images.setStatus', { ids: [img.id], status });
      setImage({ ...img, status });
      props.updateRow(img.id, { status });
    } catch (err) {
      toasts.error(err);
    }
  };

  // ---- keyboard -----------------------------------------------------------------------------

  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (e: KeyboardEvent) => {
    if (isTyping(e)) return;
    const ctrl = e.ctrlKey || e.metaKey;
    const k = e.key;
    if (k === ' ') {
      spaceDown.current = e.type === 'keydown';
      if (container.current) container.current.style.cursor = spaceDown.current ? 'grab' : '';
      e.preventDefault();
      return;
    }
    if (e.type !== 'keydown') return;
    if (ctrl && (k === 'z' || k === 'Z')) {
      e.preventDefault();
      undoRedo(e.shiftKey ? 'redo' : 'undo');
    } else if (ctrl && (k === 'y' || k === 'Y')) {
      e.preventDefault();
      undoRedo('redo');
    } else if (ctrl && (k === 's' || k === 'S')) {
      e.preventDefault();
      saver.flush().then(() => toasts.info('Saved'), toasts.error);
    } else if (ctrl) return;
    else if (k === 'b' || k === 'B') setTool('brush');
    else if (k === 'e' || k === 'E') setTool('eraser');
    else if (k === 'p' || k === 'P') setTool('polygon');
    else if (k === 's' || k === 'S') selectSam();
    else if (k === 'x' || k === 'X') setPolyMode((m) => (m === 'fill' ? 'cut' : 'fill'));
    else if (k === 'h' || k === 'H') setHideMasks((h) => !h);
    else if (k === 'f' || k === 'F') fit();
    else if (k === 'r' || k === 'R') void toggleReviewed();
    else if (k === '[') setBrush((b) => Math.max(MIN_BRUSH, Math.round(b / 1.25)));
    else if (k === ']') setBrush((b) => Math.min(MAX_BRUSH, Math.max(b + 1, Math.round(b * 1.25))));
    else if (k === 'a' || k === 'A') void goRelative(-1);
    else if ((k === 'd' || k === 'D') && e.shiftKey) void goNextUnreviewed();
    else if (k === 'd' || k === 'D') void goRelative(1);
    else if (k === 'n' || k === 'N') void goNextUnreviewed();
    else if (k === '?') setHelp((h) => !h);
    else if (k === 'Enter') {
      if (st.current.tool === 'polygon') closePolygon();
      else if (preview.current) acceptSam();
    } else if (k === 'Escape') {
      if (help) setHelp(false);
      else discardPrompts();
    } else if (k === 'Backspace' && st.current.tool === 'polygon') setPolygon((p) => p.slice(0, -1));
    else if (/^[1-9]$/.test(k)) {
      const c = classes.find((x) => x.index === Number(k));
      if (c) setClassIdx(c.index);
    } else return;
    e.preventDefault();
  };
  useEffect(() => {
    const h = (e: KeyboardEvent) => keyHandler.current(e);
    window.addEventListener('keydown', h);
    window.addEventListener('keyup', h);
    return () => {
      window.removeEventListener('keydown', h);
      window.removeEventListener('keyup', h);
    };
  }, []);

  useEffect(() => {
    const before = (e: BeforeUnloadEvent) => {
      if (!saver.dirty) return;
      void saver.flush();
      e.preventDefault();
    };
    window.addEventListener('beforeunload', before);
    return () => {
      window.removeEventListener('beforeunload', before);
      void saver.flush().catch(() => undefined);
    };
  }, [saver]);

  function selectSam() {
    if (samStatus && !samStatus.available) {
      toasts.error(`SAM prompts are unavailable: ${samStatus.reason ?? 'no model'}`);
      return;
    }
    setTool('sam');
  }

  // ---- pointer ------------------------------------------------------------------------------

  const screenPoint = (e: React.MouseEvent | React.WheelEvent): Point => {
    const r = container.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const toImage = (p: Point): Point => {
    const v = st.current.view;
    return { x: (p.x - v.tx) / v.scale, y: (p.y - v.ty) / v.scale };
  };

  const onWheel = (e: React.WheelEvent) => {
    const p = screenPoint(e);
    const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
    setView((v) => {
      const scale = Math.min(64, Math.max(0.01, v.scale * factor));
      const k = scale / v.scale;
      return { scale, tx: p.x - (p.x - v.tx) * k, ty: p.y - (p.y - v.ty) * k };
    });
  };

  const onMouseDown = (e: React.MouseEvent) => {
    const d = doc.current;
    if (!d) return;
    const sp = screenPoint(e);
    const ip = toImage(sp);
    const t = st.current.tool;
    if (e.button === 1 || (e.button === 0 && spaceDown.current)) {
      drag.current = { kind: 'pan', last: sp, startScreen: sp, button: e.button, moved: false };
      return;
    }
    if ((t === 'brush' || t === 'eraser') && e.button === 0) {
      d.begin();
      d.paintSegment(ip, ip, st.current.brush / 2, t === 'brush' ? st.current.classIdx : 0, st.current.classIdx);
      drag.current = { kind: 'paint', last: ip, startScreen: sp, button: 0, moved: false };
      requestRedraw();
    } else if (t === 'sam' && (e.button === 0 || e.button === 2)) {
      drag.current = { kind: 'sam', last: ip, startScreen: sp, button: e.button, moved: false };
    } else if (t === 'polygon' && e.button === 0) {
      const pts = st.current.polygon;
      const first = pts[0];
      const v = st.current.view;
      if (first && pts.length >= 3 && Math.hypot((first.x - ip.x) * v.scale, (first.y - ip.y) * v.scale) <= CLOSE_POLYGON_PX) closePolygon();
      else setPolygon([...pts, ip]);
    }
  };

  const onMouseMove = (e: React.MouseEvent) => {
    const sp = screenPoint(e);
    const ip = toImage(sp);
    if (coordsRef.current) coordsRef.current.textContent = st.current.image ? `${Math.floor(ip.x)}, ${Math.floor(ip.y)}` : '';
    const c = cursorRef.current;
    if (c) {
      c.position(ip);
      c.radius(st.current.brush / 2);
      toolLayer.current?.batchDraw();
    }
    const g = drag.current;
    if (!g) {
      if (st.current.tool === 'polygon' && st.current.polygon.length) toolLayer.current?.batchDraw();
      return;
    }
    if (Math.hypot(sp.x - g.startScreen.x, sp.y - g.startScreen.y) > 4) g.moved = true;
    if (g.kind === 'pan') {
      const dx = sp.x - g.last.x;
      const dy = sp.y - g.last.y;
      g.last = sp;
      setView((v) => ({ ...v, tx: v.tx + dx, ty: v.ty + dy }));
    } else if (g.kind === 'paint') {
      const t = st.current.tool;
      doc.current?.paintSegment(g.last, ip, st.current.brush / 2, t === 'brush' ? st.current.classIdx : 0, st.current.classIdx);
      g.last = ip;
      requestRedraw();
    } else if (g.kind === 'sam' && g.moved && g.button === 0) {
      const s = toImage(g.startScreen);
      setDragBox([Math.min(s.x, ip.x), Math.min(s.y, ip.y), Math.max(s.x, ip.x), Math.max(s.y, ip.y)]);
    }
  };

  const onMouseUp = (e: React.MouseEvent) => {
    const g = drag.current;
    drag.current = null;
    if (!g) return;
    const ip = toImage(screenPoint(e));
    if (g.kind === 'paint') commit(st.current.tool === 'brush' ? 'brush stroke' : 'eraser stroke');
    else if (g.kind === 'sam') {
      const img = st.current.image;
      if (!img) return;
      const clamp = (p: Point): Point => ({ x: Math.min(img.width, Math.max(0, p.x)), y: Math.min(img.height, Math.max(0, p.y)) });
      if (g.moved && g.button === 0) {
        const s = clamp(toImage(g.startScreen));
        const q = clamp(ip);
        const box: [number, number, number, number] = [Math.min(s.x, q.x), Math.min(s.y, q.y), Math.max(s.x, q.x), Math.max(s.y, q.y)];
        setDragBox(null);
        setSamBox(box);
        void runSam(st.current.samPoints, box);
      } else if (!g.moved) {
        const q = clamp(ip);
        const points = [...st.current.samPoints, { x: q.x, y: q.y, label: (g.button === 2 ? 0 : 1) as 0 | 1 }];
        setSamPoints(points);
        void runSam(points, st.current.samBox);
      }
    }
  };

  const onLeave = () => {
    if (drag.current?.kind === 'paint') commit(st.current.tool === 'brush' ? 'brush stroke' : 'eraser stroke');
    if (drag.current?.kind !== 'pan') drag.current = null;
  };

  // ---- render -------------------------------------------------------------------------------

  void tileTick;
  // Nothing is fetched until the image is fitted to the window (the first view is a placeholder).
  const tileNodes = image && !needsFit.current
    ? visibleTiles(image.id, image.width, image.height, view, size.width, size.height).map((t) => {
        const img = tiles.get(t);
        return img ? <KImage key={t.key} image={img} x={t.left} y={t.top} width={t.width} height={t.height} listening={false} /> : null;
      })
    : [];
  const saveLabel =
    saveState.kind === 'saved' ? (saveState.version ? `Saved · v${saveState.version}` : 'No mask yet') : saveState.kind === 'saving' ? 'Saving…' : saveState.kind === 'pending' ? 'Unsaved changes' : `Save failed — retrying (${saveState.message})`;
  const row = rows[index];
  const cursorCss = tool === 'brush' || tool === 'eraser' ? 'none' : 'crosshair';

  return (
    <div className="page annotator-page">
      <aside className="toolrail" aria-label="Tools">
        {TOOLS.map((t) => (
          <button
            key={t.id}
            className={tool === t.id ? 'tool active' : 'tool'}
            title={`${t.label} (${t.key})${t.id === 'sam' && samStatus && !samStatus.available ? ` — unavailable: ${samStatus.reason}` : ''}`}
            onClick={() => (t.id === 'sam' ? selectSam() : setTool(t.id))}
            disabled={t.id === 'sam' && samStatus !== null && !samStatus.available}
            data-testid={`tool-${t.id}`}
            aria-pressed={tool === t.id}
          >
            <Icon name={t.icon} />
            <span className="tool-key">{t.key}</span>
          </button>
        ))}
        <div className="rail-sep" />
        <button className="tool" title="Undo (Ctrl+Z)" disabled={!history.undo} onClick={() => undoRedo('undo')} data-testid="undo">
          <Icon name="undo" />
        </button>
        <button className="tool" title="Redo (Ctrl+Shift+Z)" disabled={!history.redo} onClick={() => undoRedo('redo')} data-testid="redo">
          <Icon name="redo" />
        </button>
        <div className="rail-sep" />
        <button className={hideMasks ? 'tool active' : 'tool'} title="Hide masks (H)" onClick={() => setHideMasks((h) => !h)} data-testid="hide-masks">
          <Icon name={hideMasks ? 'eyeOff' : 'eye'} />
        </button>
        <button className="tool" title="Fit to window (F)" onClick={() => fit()}>
          <Icon name="fit" />
        </button>
        <button className="tool" title="Keyboard shortcuts (?)" onClick={() => setHelp(true)} data-testid="help-button">
          <Icon name="help" />
        </button>
      </aside>
      <section className="workspace">
        <div className="optionsbar">
          <div className="nav">
            <button onClick={() => void goRelative(-1)} disabled={index <= 0} title="Previous image (A)" data-testid="prev">
              <Icon name="prev" size={14} /> Prev
            </button>
            <span className="image-title" data-testid="image-name">
              {image?.originalName ?? '…'}
            </span>
            <span className="muted">{index >= 0 ? `${index + 1} / ${rows.length}` : ''}</span>
            <button onClick={() => void goRelative(1)} disabled={index < 0 || index >= rows.length - 1} title="Next image (D)" data-testid="next">
              Next <Icon name="next" size={14} />
            </button>
            <button onClick={() => void goNextUnreviewed()} title="Next unreviewed (N or Shift+D)" data-testid="next-unreviewed">
              Next unreviewed <Icon name="skip" size={14} />
            </button>
          </div>
          <span className="grow" />
          {(tool === 'brush' || tool === 'eraser') && (
            <label className="inline">
              Size
              <input type="range" min={MIN_BRUSH} max={Math.min(MAX_BRUSH, Math.max(64, Math.round((image?.width ?? 512) / 8)))} value={brush} onChange={(e) => setBrush(Number(e.target.value))} data-testid="brush-size" />
              <span className="num" data-testid="brush-size-value">{brush}px</span>
            </label>
          )}
          {tool === 'polygon' && (
            <div className="segmented" title="X toggles">
              <button className={polyMode === 'fill' ? 'on' : ''} onClick={() => setPolyMode('fill')}>
                Fill
              </button>
              <button className={polyMode === 'cut' ? 'on' : ''} onClick={() => setPolyMode('cut')}>
                Cut
              </button>
            </div>
          )}
          {tool === 'sam' && (
            <span className="hint">
              {samBusy ?? (hasPreview ? 'Enter: accept · Esc: discard' : 'Click: positive · Right-click: negative · Drag: box')}
            </span>
          )}
          <span className={`save-state ${saveState.kind}`} data-testid="save-state" data-state={saveState.kind} data-version={saveState.kind === 'saved' ? (saveState.version ?? 0) : ''}>
            ● {saveLabel}
          </span>
        </div>
        <div
          className="stage-host"
          ref={container}
          style={{ cursor: cursorCss }}
          onWheel={onWheel}
          onMouseDown={onMouseDown}
          onMouseMove={onMouseMove}
          onMouseUp={onMouseUp}
          onMouseLeave={onLeave}
          onDoubleClick={() => tool === 'polygon' && closePolygon()}
          onContextMenu={(e) => e.preventDefault()}
          data-testid="stage"
          data-preview-area={hasPreview ? previewArea : 0}
          data-sam-busy={samBusy ? 'true' : 'false'}
        >
          <Stage width={size.width} height={size.height} listening={false}>
            <Layer imageSmoothingEnabled={view.scale < 1} listening={false}>
              <Group x={view.tx} y={view.ty} scaleX={view.scale} scaleY={view.scale}>
                {tileNodes}
              </Group>
            </Layer>
            <Layer ref={maskLayer} imageSmoothingEnabled={false} listening={false}>
              <KImage image={overlay.canvas} x={0} y={0} listening={false} />
            </Layer>
            <Layer ref={toolLayer} listening={false}>
              <Group x={view.tx} y={view.ty} scaleX={view.scale} scaleY={view.scale}>
                {polygon.length > 0 && (
                  <Line points={polygon.flatMap((p) => [p.x, p.y])} stroke={polyMode === 'fill' ? (currentClass?.color ?? '#fff') : '#ff5252'} strokeWidth={1.5} strokeScaleEnabled={false} closed={false} dash={[6, 4]} />
                )}
                {polygon.map((p, i) => (
                  <Circle key={i} x={p.x} y={p.y} radius={(i === 0 ? 5 : 3.5) / view.scale} fill={i === 0 ? '#fff' : (currentClass?.color ?? '#fff')} stroke="#000" strokeWidth={1} strokeScaleEnabled={false} />
                ))}
                {samBox && <Rect x={samBox[0]} y={samBox[1]} width={samBox[2] - samBox[0]} height={samBox[3] - samBox[1]} stroke="#40c4ff" strokeWidth={2} strokeScaleEnabled={false} />}
                {dragBox && <Rect x={dragBox[0]} y={dragBox[1]} width={dragBox[2] - dragBox[0]} height={dragBox[3] - dragBox[1]} stroke="#40c4ff" strokeWidth={1.5} dash={[5, 4]} strokeScaleEnabled={false} />}
                {samPoints.map((p, i) => (
                  <Circle key={i} x={p.x} y={p.y} radius={6 / view.scale} fill={p.label ? '#00e676' : '#ff1744'} stroke="#fff" strokeWidth={1.5} strokeScaleEnabled={false} />
                ))}
                {(tool === 'brush' || tool === 'eraser') && (
                  <Circle ref={cursorRef} x={-1000} y={-1000} radius={brush / 2} stroke={tool === 'eraser' ? '#ff8a80' : '#ffffff'} strokeWidth={1.2} strokeScaleEnabled={false} dash={tool === 'eraser' ? [4, 3] : undefined} shadowColor="#000" shadowBlur={2} />
                )}
              </Group>
            </Layer>
          </Stage>
          <span className="coords" ref={coordsRef} />
          <span className="zoom-badge">{Math.round(view.scale * 100)}%</span>
        </div>
      </section>
      <aside className="sidepanel">
        <h3>Classes</h3>
        <ul className="palette" data-testid="palette">
          {classes.map((c) => {
            const s = classStyles.get(c.index)!;
            return (
              <li key={c.index} className={c.index === classIdx ? 'active' : ''} data-testid={`class-${c.index}`}>
                <button className="swatch-btn" onClick={() => setClassIdx(c.index)} title={`Select ${c.name} (${c.index <= 9 ? c.index : ''})`}>
                  <span className="swatch" style={{ background: c.color }} />
                  <span className="cname">{c.name}</span>
                  <span className="ckey">{c.index <= 9 ? c.index : ''}</span>
                </button>
                <div className="class-controls">
                  <button className="icon" title={s.visible ? 'Hide this class' : 'Show this class'} onClick={() => setStyles((m) => new Map(m).set(c.index, { opacity: s.opacity, visible: !s.visible }))}>
                    <Icon name={s.visible ? 'eye' : 'eyeOff'} size={15} />
                  </button>
                  <input type="range" min={0} max={100} value={Math.round(s.opacity * 100)} title="Opacity" onChange={(e) => setStyles((m) => new Map(m).set(c.index, { visible: s.visible, opacity: Number(e.target.value) / 100 }))} />
                </div>
              </li>
            );
          })}
        </ul>
        <h3>Image</h3>
        {image && (
          <dl className="facts">
            <dt>Size</dt>
            <dd>
              {image.width}×{image.height}
            </dd>
            <dt>Split</dt>
            <dd>{row?.split ?? image.split}</dd>
            <dt>Status</dt>
            <dd data-testid="image-status">{row?.status ?? image.status}</dd>
            <dt>Mask</dt>
            <dd>{saveState.kind === 'saved' && saveState.version ? `v${saveState.version}` : (row?.maskVersion ? `v${row.maskVersion}` : 'none')}</dd>
          </dl>
        )}
        <div className="stack">
          <button onClick={() => void toggleReviewed()} data-testid="review-toggle">
            <Icon name="check" size={15} /> {image?.status === 'reviewed' ? 'Reviewed (R)' : 'Mark reviewed (R)'}
          </button>
          <button onClick={() => void predict()} disabled={predicting} title="Fill a pre-annotation from the project's fine-tuned model" data-testid="predict">
            <Icon name="wand" size={15} /> {predicting ? 'Predicting…' : 'Predict'}
          </button>
          {tool === 'sam' && hasPreview && (
            <div className="row">
              <button className="primary grow" onClick={acceptSam} data-testid="sam-accept">
                Accept ⏎
              </button>
              <button onClick={discardPrompts}>Discard</button>
            </div>
          )}
        </div>
        <div className="muted small sam-line">SAM: {samStatus ? (samStatus.available ? samStatus.model : `unavailable — ${samStatus.reason}`) : '…'}</div>
      </aside>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}
