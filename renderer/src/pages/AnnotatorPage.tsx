// The annotator: composes the viewport, the tools (brush/eraser, polygon, SAM prompts behind one
// onDown/onMove/onUp interface), the shortcuts table, and the rail / options bar / side panel.
// This page owns the open image, its LabelDocument, saving, undo/redo and navigation; the image
// strip and the ground-truth-vs-prediction review are their own components and hooks. Slightly
// past 400 lines because it is the one place that wires them all to the stage and the keys.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Image as KImage } from 'react-konva';
import type Konva from 'konva';
import type { ApiClient } from '../apiClient.js';
import type { ImageFilterParams, ImageRecord, ImageRow, ProjectSummary } from '../../../app/api/apiTypes.js';
import { OverlayRenderer, type ClassStyle } from '../annotator/overlayRenderer.js';
import { useMaskEditing } from '../annotator/useMaskEditing.js';
import { TileCache, visibleTiles } from '../annotator/tileCache.js';
import { useViewport } from '../annotator/useViewport.js';
import { useShortcutKeys, type ShortcutHandlers } from '../annotator/useShortcutKeys.js';
import { useImageNavigation } from '../annotator/useImageNavigation.js';
import type { AnnotatorTool, PointerInput, ToolId } from '../annotator/tools/tool.js';
import { createBrushTool, type BrushContext } from '../annotator/tools/brush.js';
import { usePolygonTool } from '../annotator/tools/polygon.js';
import { useSamTool } from '../annotator/tools/sam.js';
import { ToolRail } from '../annotator/ToolRail.js';
import { OptionsBar, MAX_BRUSH, MIN_BRUSH } from '../annotator/OptionsBar.js';
import { ClassPalette, type StyleOverrides } from '../annotator/ClassPalette.js';
import { ImagePanel } from '../annotator/ImagePanel.js';
import { AnnotatorStage } from '../annotator/AnnotatorStage.js';
import { useProposal } from '../annotator/useProposal.js';
import { pendingEdits } from '../session/pendingEdits.js';
import { ProposalPanel } from '../annotator/ProposalPanel.js';
import type { ToastState } from '../components/Toasts.js';
import { HelpOverlay } from '../components/HelpOverlay.js';
import { ImageStrip } from '../annotator/ImageStrip.js';
import { usePredictionReview } from '../annotator/usePredictionReview.js';
import { ReviewPanel } from '../annotator/ReviewPanel.js';

export function AnnotatorPage(props: {
  api: ApiClient;
  project: ProjectSummary;
  rows: ImageRow[];
  filter: ImageFilterParams;
  setFilter: React.Dispatch<React.SetStateAction<ImageFilterParams>>;
  imageId: number;
  setImageId: (id: number) => void;
  updateRow: (id: number, patch: Partial<ImageRow>) => void;
  toasts: ToastState;
  setStatus: (s: string) => void;
}) {
  const { api, project, rows, imageId, toasts } = props;
  const classes = project.classes;
  const [image, setImage] = useState<ImageRecord | null>(null);
  const [tool, setTool] = useState<ToolId>('brush');
  const [classIdx, setClassIdx] = useState(classes[0]?.index ?? 1);
  const [brush, setBrush] = useState(12);
  const [eraseAnyClass, setEraseAnyClass] = useState(false);
  const [hideMasks, setHideMasks] = useState(false);
  const [styles, setStyles] = useState<StyleOverrides>(new Map());
  const [help, setHelp] = useState(false);
  const [tileTick, setTileTick] = useState(0);

  const vp = useViewport();
  const { view, size } = vp;
  const maskLayer = useRef<Konva.Layer>(null);
  const toolLayer = useRef<Konva.Layer>(null);
  const cursorRef = useRef<Konva.Circle>(null);
  const coordsRef = useRef<HTMLSpanElement>(null);
  const overlay = useMemo(() => new OverlayRenderer(), []);
  const tiles = useMemo(() => new TileCache((t) => api.binUrl({ kind: 'tile', imageId: Number(t.key.split('/')[0]), level: t.level, x: t.x, y: t.y }), () => setTileTick((n) => n + 1)), [api]);
  const pan = useRef<{ last: { x: number; y: number } } | null>(null);
  const activeTool = useRef<AnnotatorTool | null>(null);
  const spaceDown = useRef(false);
  const reviewLayer = useRef<{ labels: Uint8Array | null } | null>(null);

  // Mirror of state for tools and native event handlers, which outlive a render.
  const st = useRef({ tool, classIdx, brush, eraseAnyClass, image });
  st.current = { tool, classIdx, brush, eraseAnyClass, image };

  const classStyles = useMemo(() => {
    const m = new Map<number, ClassStyle>();
    for (const c of classes) {
      const s = styles.get(c.index);
      m.set(c.index, { color: c.color, opacity: s?.opacity ?? 0.5, visible: s?.visible ?? true });
    }
    return m;
  }, [classes, styles]);
  const currentClass = classes.find((c) => c.index === classIdx);

  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const redrawRef = useRef<() => void>(() => undefined);
  const editing = useMaskEditing({
    api,
    stash: {
      put: (e) => void pendingEdits.put({ ...e, projectDir: project.dir, at: new Date().toISOString() }).catch(() => undefined),
      remove: (id) => void pendingEdits.remove(project.dir, id).catch(() => undefined),
    },
    imageId: () => st.current.image?.id ?? null,
    redraw: () => redrawRef.current(),
    setStatus: props.setStatus,
    onSaved: (id, v) => {
      const row = rowsRef.current.find((r) => r.id === id);
      props.updateRow(id, { maskVersion: v.version, ...(row?.status === 'new' ? { status: 'annotated' as const } : {}) });
      setImage((img) => (img && img.id === id && img.status === 'new' ? { ...img, status: 'annotated' } : img));
    },
  });
  const { doc, saver, saveState, history, commit, undoRedo } = editing;
  const commitRef = useRef(commit);
  commitRef.current = commit;
  const ahead = () => rowsRef.current.slice(rowsRef.current.findIndex((r) => r.id === st.current.image?.id) + 1).slice(0, 3).map((r) => r.id);
  const review = usePredictionReview(api, reviewLayer, { imageId: image?.id ?? null, maskVersion: saveState.kind === 'saved' ? (saveState.version ?? 0) : null, ahead, redraw: () => redrawRef.current() });
  /** The prediction layer is read-only: edits wait until the ground truth is shown again. */
  const editable = () => !reviewLayer.current || (props.setStatus('The prediction is read-only: press G (or Ground truth) to edit the mask'), false);

  // ---- drawing --------------------------------------------------------------------------------

  const redrawFrame = useRef(0);
  const samPreview = useRef<Uint8Array | null>(null);
  const proposalLabels = useRef<Uint8Array | null>(null);
  const drawOverlay = useCallback(() => {
    const d = doc.current;
    overlay.render({
      width: size.width,
      height: size.height,
      view: vp.viewRef.current,
      labels: reviewLayer.current ? reviewLayer.current.labels : (d?.labels ?? null),
      imageWidth: d?.width ?? 1,
      imageHeight: d?.height ?? 1,
      styles: classStyles,
      hideAll: hideMasks,
      preview: samPreview.current,
      proposal: proposalLabels.current,
    });
    maskLayer.current?.batchDraw();
  }, [overlay, size, classStyles, hideMasks]);
  const requestRedraw = useCallback(() => {
    if (redrawFrame.current) return;
    redrawFrame.current = requestAnimationFrame(() => {
      redrawFrame.current = 0;
      drawOverlay();
    });
  }, [drawOverlay]);
  redrawRef.current = requestRedraw;
  useEffect(() => drawOverlay(), [drawOverlay, view, image]);

  const fit = useCallback(() => st.current.image && vp.fit(st.current.image), [vp.fit]);
  const needsFit = useRef(false);
  useEffect(() => {
    if (needsFit.current && image && size.width > 1) {
      needsFit.current = false;
      vp.fit(image);
    }
  }, [image, size, vp.fit]);

  // ---- tools ---------------------------------------------------------------------------------

  const brushCtx = (): BrushContext => ({
    doc: doc.current,
    classIdx: st.current.classIdx,
    brush: st.current.brush,
    eraseAnyClass: st.current.eraseAnyClass,
    redraw: () => redrawRef.current(),
    commit: (label, recordEmpty) => commitRef.current(label, 'manual', { recordEmpty }),
  });
  const brushTool = useMemo(() => createBrushTool('brush', brushCtx), []);
  const eraserTool = useMemo(() => createBrushTool('eraser', brushCtx), []);
  const polygon = usePolygonTool(() => ({ doc: doc.current, classIdx: st.current.classIdx, scale: vp.viewRef.current.scale, commit: (l) => commitRef.current(l) }));
  const sam = useSamTool(api, toasts, samPreview, () => ({
    image: st.current.image,
    doc: doc.current,
    classIdx: st.current.classIdx,
    className: classes.find((c) => c.index === st.current.classIdx)?.name ?? 'the class',
    toImage: vp.toImage,
    redraw: () => redrawRef.current(),
    commit: (l, source) => commitRef.current(l, source),
    setStatus: props.setStatus,
  }));
  const proposal = useProposal(api, toasts, proposalLabels, () => ({
    image: st.current.image,
    split: rowsRef.current.find((r) => r.id === st.current.image?.id)?.split ?? st.current.image?.split ?? '',
    doc: doc.current,
    commit: (l, source, o) => commitRef.current(l, source, o),
    redraw: () => redrawRef.current(),
    setStatus: props.setStatus,
  }));
  const tools: Record<ToolId, AnnotatorTool> = { brush: brushTool, eraser: eraserTool, polygon: polygon.tool, sam: sam.tool };

  const discardPrompts = useCallback(() => {
    sam.discard();
    polygon.clear();
  }, [sam.discard, polygon.clear]);

  const selectTool = (t: ToolId) => {
    if (t === 'sam' && sam.status && !sam.status.available) {
      toasts.error(`SAM prompts are unavailable: ${sam.status.reason ?? 'no model'}`);
      return;
    }
    setTool(t);
  };

  useEffect(() => {
    if (tool === 'sam' && image && sam.status?.available) void sam.ensureImage();
  }, [tool, image, sam.status?.available]);

  // ---- loading --------------------------------------------------------------------------------

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [info, m] = await Promise.all([api.call('images.get', { id: imageId }), api.call('masks.get', { imageId })]);
        if (!live) return;
        editing.load(info.image.width, info.image.height, m.mask?.data, m.version?.version ?? null);
        sam.reset();
        polygon.clear();
        proposal.reset();
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
    if (image) props.setStatus(`${image.originalName} · ${image.width}×${image.height} · ${Math.round(view.scale * 100)}%`);
  }, [image, view.scale]);

  // ---- navigation ----------------------------------------------------------------------------

  const flush = useCallback(() => saver.flush(), [saver]);
  const { index, go, goRelative, goNextUnreviewed } = useImageNavigation({ rows, imageId, setImageId: props.setImageId, flush, toasts });
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

  // ---- keyboard: one table (annotator/shortcuts.ts) says which key is which action -----------

  const actions: ShortcutHandlers = {
    undo: () => editable() && undoRedo('undo'),
    redo: () => editable() && undoRedo('redo'),
    save: () => void saver.flush().then(() => toasts.info('Saved'), toasts.error),
    'tool-brush': () => selectTool('brush'),
    'tool-eraser': () => selectTool('eraser'),
    'tool-polygon': () => selectTool('polygon'),
    'tool-sam': () => selectTool('sam'),
    'toggle-mode': () => polygon.toggleMode(),
    'eraser-scope': () => setEraseAnyClass((a) => !a),
    class: (e) => classes.some((c) => c.index === Number(e.key)) && setClassIdx(Number(e.key)),
    'brush-smaller': () => setBrush((b) => Math.max(MIN_BRUSH, Math.round(b / 1.25))),
    'brush-larger': () => setBrush((b) => Math.min(MAX_BRUSH, Math.max(b + 1, Math.round(b * 1.25)))),
    'hide-masks': () => setHideMasks((h) => !h),
    prev: () => goRelative(-1),
    next: () => goRelative(1),
    'next-unreviewed': () => goNextUnreviewed(),
    review: () => void toggleReviewed(),
    accept: () => (st.current.tool === 'polygon' ? polygon.close() : sam.preview.current && sam.accept()),
    escape: () => (help ? setHelp(false) : proposal.proposal ? proposal.discard() : discardPrompts()),
    'polygon-back': () => st.current.tool === 'polygon' && polygon.removeLast(),
    fit: () => fit(),
    'review-view': () => review.toggleView(),
    help: () => setHelp((h) => !h),
  };
  useShortcutKeys(actions, (down) => {
    spaceDown.current = down;
    if (vp.container.current) vp.container.current.style.cursor = down ? 'grab' : '';
  });

  // ---- pointer: pans here, everything else to the active tool --------------------------------

  const pointer = (e: React.MouseEvent): PointerInput => {
    const screen = vp.screenPoint(e);
    return { screen, image: vp.toImage(screen), button: e.button };
  };
  const onMouseDown = (e: React.MouseEvent) => {
    if (!doc.current) return;
    const p = pointer(e);
    if (e.button === 1 || (e.button === 0 && spaceDown.current)) {
      pan.current = { last: p.screen };
      return;
    }
    if (!editable()) return;
    // While a proposal is on offer, a click accepts the region under it; the tools wait.
    activeTool.current = proposal.proposal ? proposal.tool : tools[st.current.tool];
    activeTool.current.onDown(p);
  };
  const onMouseMove = (e: React.MouseEvent) => {
    const p = pointer(e);
    if (coordsRef.current) coordsRef.current.textContent = st.current.image ? `${Math.floor(p.image.x)}, ${Math.floor(p.image.y)}` : '';
    const c = cursorRef.current;
    if (c) {
      c.position(p.image);
      c.radius(st.current.brush / 2);
      toolLayer.current?.batchDraw();
    }
    if (pan.current) {
      vp.pan(p.screen.x - pan.current.last.x, p.screen.y - pan.current.last.y);
      pan.current.last = p.screen;
    } else activeTool.current?.onMove(p);
  };
  const onMouseUp = (e: React.MouseEvent) => {
    if (pan.current) pan.current = null;
    else activeTool.current?.onUp(pointer(e));
    activeTool.current = null;
  };
  const onLeave = () => {
    activeTool.current?.onLeave?.();
    activeTool.current = null;
  };

  // ---- render -------------------------------------------------------------------------------

  void tileTick;
  // Nothing is fetched until the image is fitted to the window (the first view is a placeholder).
  const tileNodes =
    image && !needsFit.current
      ? visibleTiles(image.id, image.width, image.height, view, size.width, size.height).map((t) => {
          const img = tiles.get(t);
          return img ? <KImage key={t.key} image={img} x={t.left} y={t.top} width={t.width} height={t.height} listening={false} /> : null;
        })
      : [];
  const samHint = sam.busy ?? (sam.hasPreview ? 'Enter: accept · Esc: discard' : 'Click: positive · Right-click: negative · Drag: box');

  return (
    <div className="page annotator-page with-strip">
      <ToolRail
        tool={tool}
        selectTool={selectTool}
        samStatus={sam.status}
        canUndo={history.undo}
        canRedo={history.redo}
        undoRedo={undoRedo}
        hideMasks={hideMasks}
        toggleHideMasks={() => setHideMasks((h) => !h)}
        fit={fit}
        showHelp={() => setHelp(true)}
      />
      <ImageStrip api={api} rows={rows} filter={props.filter} setFilter={props.setFilter} imageId={imageId} go={(id) => void go(id)} />
      <section className="workspace">
        <OptionsBar
          imageName={image?.originalName ?? null}
          imageWidth={image?.width ?? 512}
          index={index}
          total={rows.length}
          goRelative={goRelative}
          goNextUnreviewed={goNextUnreviewed}
          tool={tool}
          brush={brush}
          setBrush={setBrush}
          eraseAnyClass={eraseAnyClass}
          setEraseAnyClass={setEraseAnyClass}
          polyMode={polygon.mode}
          setPolyMode={polygon.setMode}
          samHint={samHint}
          saveState={saveState}
        />
        <AnnotatorStage
          ref={vp.container}
          size={size}
          view={view}
          tiles={tileNodes}
          overlay={overlay.canvas}
          marks={{ tool, brush, classColor: currentClass?.color ?? '#fff', polygon: polygon.points, polyMode: polygon.mode, samPoints: sam.points, samBox: sam.box, dragBox: sam.dragBox }}
          refs={{ maskLayer, toolLayer, cursor: cursorRef }}
          coords={coordsRef}
          badge={review.showing ? `Prediction · ${review.review?.runName ?? 'predicting…'} · read-only` : null}
          hostProps={{
            style: { cursor: tool === 'brush' || tool === 'eraser' ? 'none' : 'crosshair' },
            onWheel: (e) => vp.zoomAt(vp.screenPoint(e), e.deltaY, e.deltaMode),
            onMouseDown,
            onMouseMove,
            onMouseUp,
            onMouseLeave: onLeave,
            onDoubleClick: () => tool === 'polygon' && polygon.close(),
            onContextMenu: (e) => e.preventDefault(),
            'data-testid': 'stage',
            'data-preview-area': sam.hasPreview ? sam.previewArea : 0,
            'data-sam-busy': sam.busy ? 'true' : 'false',
          }}
        />
      </section>
      <aside className="sidepanel">
        <ClassPalette api={api} toasts={toasts} classes={classes} classStyles={classStyles} setStyles={setStyles} classIdx={classIdx} setClassIdx={setClassIdx} />
        <ImagePanel
          image={image}
          row={rows[index]}
          saveState={saveState}
          toggleReviewed={() => void toggleReviewed()}
          predict={() => void proposal.predict()}
          predicting={proposal.predicting}
          samPreview={tool === 'sam' && sam.hasPreview}
          acceptSam={sam.accept}
          discardSam={discardPrompts}
          samStatus={sam.status}
        >
          <ProposalPanel p={proposal} classes={classes} split={rows[index]?.split ?? image?.split ?? ''} />
        </ImagePanel>
        <ReviewPanel r={review} classes={classes} />
      </aside>
      {help && <HelpOverlay onClose={() => setHelp(false)} scope="annotator" />}
    </div>
  );
}
