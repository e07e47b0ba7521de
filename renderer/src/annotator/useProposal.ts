// "Predict": the active model's prediction offered as a proposal over the current mask. Nothing is
// written until the user accepts all of it, one class or one region (a mask version with source
// 'model' and the run id); test and validation images ask first, since their mask is ground truth
// for evaluation. With no active model the user picks one before anything is predicted.
import { useCallback, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ImageRecord, MaskSource } from '../../../app/api/apiTypes.js';
import type { RunRow } from '../../../app/api/fineTuneTypes.js';
import type { ToastState } from '../components/Toasts.js';
import type { LabelDocument } from './labelDocument.js';
import { acceptProposal, classCounts, type AcceptScope, type Proposal } from './proposal.js';
import type { AnnotatorTool } from './tools/tool.js';
import { hasModel } from '../finetune/runState.js';

export interface ProposalContext {
  image: ImageRecord | null;
  split: string;
  doc: LabelDocument | null;
  commit(label: string, source: MaskSource, opts: { runId: number }): void;
  redraw(): void;
  setStatus(s: string): void;
}

export interface ProposalState {
  proposal: Proposal | null;
  counts: { index: number; pixels: number }[];
  predicting: boolean;
  /** Runs to choose the active model from (no active model yet). */
  chooser: RunRow[] | null;
  /** An accept waiting for the user's confirmation (protected split). */
  confirming: AcceptScope | null;
  predict(): Promise<void>;
  chooseModel(runId: number | null): Promise<void>;
  accept(scope: AcceptScope): void;
  confirm(ok: boolean): void;
  discard(): void;
  /** Another image is open: its proposal is gone. */
  reset(): void;
  /** Clicking a region of the proposal accepts that region. */
  tool: AnnotatorTool;
}

const PROTECTED_SPLITS = ['test', 'val'];

export function useProposal(api: ApiClient, toasts: ToastState, labels: React.MutableRefObject<Uint8Array | null>, ctx: () => ProposalContext): ProposalState {
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [predicting, setPredicting] = useState(false);
  const [chooser, setChooser] = useState<RunRow[] | null>(null);
  const [confirming, setConfirming] = useState<AcceptScope | null>(null);
  const live = useRef<Proposal | null>(null);
  live.current = proposal;

  const show = (p: Proposal | null) => {
    labels.current = p?.labels ?? null;
    setProposal(p);
    ctx().redraw();
  };

  const runPrediction = async () => {
    const img = ctx().image;
    if (!img) return;
    setPredicting(true);
    try {
      const r = await api.call('model.predict', { imageId: img.id });
      if (ctx().image?.id !== img.id) return;
      show({ labels: r.mask.data, width: r.mask.width, height: r.mask.height, runId: r.runId, model: r.model });
      ctx().setStatus(`Proposal from ${r.model} (run #${r.runId}) — accept all, a class, or click a region; Esc discards`);
    } catch (err) {
      toasts.error(err);
    } finally {
      setPredicting(false);
    }
  };

  const predict = useCallback(async () => {
    try {
      const active = await api.call('model.active', {});
      if (active.runId !== null) return void (await runPrediction());
      const runs = await api.call('training.runs', {});
      setChooser(runs.filter(hasModel));
    } catch (err) {
      toasts.error(err);
    }
  }, [api]);

  const chooseModel = useCallback(
    async (runId: number | null) => {
      setChooser(null);
      if (runId === null) return;
      try {
        await api.call('model.setActive', { runId });
        await runPrediction();
      } catch (err) {
        toasts.error(err);
      }
    },
    [api],
  );

  const apply = (scope: AcceptScope) => {
    const p = live.current;
    const c = ctx();
    if (!p || !c.doc) return;
    c.doc.begin();
    const rest = acceptProposal(c.doc, p, scope);
    const what = scope.kind === 'all' ? 'prediction' : scope.kind === 'class' ? `predicted class ${scope.index}` : 'predicted region';
    c.commit(`${what} of ${p.model}`, 'model', { runId: p.runId });
    show(rest ? { ...p, labels: rest } : null);
    if (!rest) c.setStatus(`Accepted the proposal of ${p.model}`);
  };

  const accept = useCallback((scope: AcceptScope) => {
    if (!live.current) return;
    if (PROTECTED_SPLITS.includes(ctx().split)) setConfirming(scope);
    else apply(scope);
  }, []);

  const confirm = useCallback(
    (ok: boolean) => {
      const scope = confirming;
      setConfirming(null);
      if (ok && scope) apply(scope);
    },
    [confirming],
  );

  const discard = useCallback(() => {
    if (!live.current) return;
    show(null);
    ctx().setStatus('Proposal discarded');
  }, []);

  const tool: AnnotatorTool = {
    onDown(p) {
      if (p.button === 0 && live.current) accept({ kind: 'component', x: p.image.x, y: p.image.y });
    },
    onMove() {},
    onUp() {},
  };

  const counts = useMemo(() => (proposal ? classCounts(proposal.labels) : []), [proposal]);
  const reset = useCallback(() => {
    setConfirming(null);
    labels.current = null;
    setProposal(null);
  }, []);

  return { proposal, counts, reset, predicting, chooser, confirming, predict, chooseModel, accept, confirm, discard, tool };
}
