// Ground truth vs a run's prediction for the open image: which run (default the active model), which
// layer the stage shows (G toggles), and the per-image IoU the server scored. Read-only: the
// prediction is drawn in place of the mask but never enters the document; accepting a prediction
// stays the Predict proposal's job. Reviews are kept per (image, run, mask version), so toggling and
// coming back are instant; an edit is re-scored once it is saved.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { PredictionReview } from '../../../app/api/apiTypes.js';
import type { RunRow } from '../../../app/api/fineTuneTypes.js';
import { hasModel } from '../finetune/runState.js';

export type ReviewView = 'truth' | 'prediction';

export interface ReviewState {
  open: boolean;
  view: ReviewView;
  /** The stage shows the prediction (read-only) instead of the editable mask. */
  showing: boolean;
  /** Runs with a model, newest first. */
  runs: RunRow[];
  runId: number | null;
  activeRunId: number | null;
  /** The review of the open image for the chosen run (possibly of an older mask version while `stale`). */
  review: PredictionReview | null;
  busy: boolean;
  error: string | null;
  /** The mask has edits the review has not scored yet (they are scored once saved). */
  stale: boolean;
  setOpen(open: boolean): void;
  setView(v: ReviewView): void;
  /** G: opens the review on the prediction, else switches between the two layers. */
  toggleView(): void;
  setRunId(id: number): void;
}

/** Reviews kept in the page (the server keeps more): enough to walk back and forth over a few images. */
const KEEP = 24;

export function usePredictionReview(
  api: ApiClient,
  /** Read by the overlay: while the prediction layer is on, what to draw instead of the mask (null labels: not predicted yet). */
  layer: React.MutableRefObject<{ labels: Uint8Array | null } | null>,
  opts: {
    /** The image whose mask is loaded. */
    imageId: number | null;
    /** Its saved mask version (0: none); null while edits wait to be saved. */
    maskVersion: number | null;
    /** The images after it in the list, predicted ahead by the server while this one is looked at. */
    ahead(): number[];
    redraw(): void;
  },
): ReviewState {
  const [open, setOpenState] = useState(false);
  const [view, setView] = useState<ReviewView>('truth');
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [runId, setRunId] = useState<number | null>(null);
  const [activeRunId, setActiveRunId] = useState<number | null>(null);
  const [review, setReview] = useState<PredictionReview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const kept = useRef(new Map<string, PredictionReview>());
  const live = useRef(opts);
  live.current = opts;
  const { imageId, maskVersion } = opts;

  // The run list (and the active model) while the review is open, again whenever runs change.
  useEffect(() => {
    if (!open) return;
    let mounted = true;
    const load = async () => {
      try {
        const [all, active] = await Promise.all([api.call('training.runs', {}), api.call('model.active', {})]);
        if (!mounted) return;
        const withModel = all.filter(hasModel).sort((a, b) => b.id - a.id);
        setRuns(withModel);
        setActiveRunId(active.runId);
        setRunId((cur) => (cur !== null && withModel.some((r) => r.id === cur) ? cur : (active.runId ?? withModel[0]?.id ?? null)));
        if (withModel.length === 0) setError('No run has a model yet: train one in Fine-tune first.');
      } catch (err) {
        if (mounted) setError(err instanceof Error ? err.message : String(err));
      }
    };
    void load();
    const off = api.onEvent((e) => {
      if (e.type !== 'runs.changed') return;
      // A run may have a new best checkpoint: what the page kept is asked again (the server knows).
      kept.current.clear();
      void load();
    });
    return () => {
      mounted = false;
      off();
    };
  }, [api, open]);

  // The review of (image, run, saved mask version): kept, or asked for.
  useEffect(() => {
    if (!open || imageId === null || runId === null || maskVersion === null) return;
    const key = `${imageId}:${runId}:${maskVersion}`;
    const hit = kept.current.get(key);
    if (hit) {
      setReview(hit);
      setError(null);
      return;
    }
    let wanted = true;
    setBusy(true);
    setReview((r) => (r && r.imageId === imageId && r.runId === runId ? r : null));
    api.call('model.reviewPrediction', { imageId, runId, prefetch: live.current.ahead() }).then(
      (r) => {
        // Kept under the version the server really scored (a save may have landed meanwhile).
        kept.current.set(`${imageId}:${runId}:${r.truth?.version ?? 0}`, r);
        if (kept.current.size > KEEP) kept.current.delete(kept.current.keys().next().value!);
        if (!wanted) return;
        setReview(r);
        setError(null);
      },
      (err) => wanted && setError(err instanceof Error ? err.message : String(err)),
    ).finally(() => wanted && setBusy(false));
    return () => {
      wanted = false;
      setBusy(false);
    };
  }, [api, open, imageId, runId, maskVersion]);

  // What the stage draws on the prediction layer: the open image's prediction, nothing until it came.
  const showing = open && view === 'prediction';
  const shown = showing && review && review.imageId === imageId ? review.prediction.data : null;
  useEffect(() => {
    layer.current = showing ? { labels: shown } : null;
    opts.redraw();
  }, [showing, shown]);

  const setOpen = useCallback((o: boolean) => {
    setOpenState(o);
    if (!o) setView('truth');
  }, []);
  const toggleView = useCallback(() => {
    if (!open) {
      setOpenState(true);
      setView('prediction');
    } else setView((v) => (v === 'truth' ? 'prediction' : 'truth'));
  }, [open]);

  const current = review && review.imageId === imageId && review.runId === runId ? review : null;
  const stale = current !== null && (maskVersion === null || (current.truth?.version ?? 0) !== maskVersion);
  return { open, view, showing, runs, runId, activeRunId, review: current, busy, error, stale, setOpen, setView, toggleView, setRunId };
}
