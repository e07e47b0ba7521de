// Two runs side by side on the same test images: headline metrics, per-class IoU/Dice, and every
// image's IoU under both, worst first; a click opens the image in the annotator.
import { useEffect } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { RunComparison, RunRow } from '../../../app/api/fineTuneTypes.js';
import type { ToastState } from '../components/Toasts.js';
import { PerClassTable } from './ConfusionHeatmap.js';
import { pct } from './fineTuneStyles.js';
import { useScopedStatus } from '../components/useScopedStatus.js';

export function RunCompare(props: { api: ApiClient; a: number; b: number; runs: RunRow[]; toasts: ToastState; onBack: () => void; onOpenImage: (id: number) => void }) {
  // The comparison (or its error) belongs to the pair asked for: a late answer for another pair is dropped.
  const outcome = useScopedStatus<{ cmp: RunComparison } | { error: string }>([props.a, props.b]);
  const cmp = outcome.value && 'cmp' in outcome.value ? outcome.value.cmp : null;
  const error = outcome.value && 'error' in outcome.value ? outcome.value.error : null;
  useEffect(() => {
    const report = outcome.begin();
    props.api.call('training.compare', { a: props.a, b: props.b, split: 'test' }).then(
      (c) => report({ cmp: c }),
      (err: unknown) => report({ error: err instanceof Error ? err.message : String(err) }),
    );
  }, [props.a, props.b]);
  const name = (id: number) => props.runs.find((r) => r.id === id)?.name ?? '';
  return (
    <div className="ft-page" data-testid="compare-page" style={{ flexDirection: 'column', alignItems: 'stretch' }}>
      <section className="panel">
        <div className="panel-head">
          <h2>
            Run {props.a} vs run {props.b} on the test split
          </h2>
          <button onClick={props.onBack} data-testid="compare-back">
            ← Runs
          </button>
        </div>
        {error && <div className="error-text">{error}</div>}
        {!cmp && !error && <div className="muted">Evaluating both runs on the same test images at original resolution…</div>}
        {cmp && (
          <>
            <div className="ft-compare-head">
              {(['a', 'b'] as const).map((k) => {
                const ev = cmp[k];
                return (
                  <div key={k} className={`ft-compare-card ${k}`} data-testid={`compare-card-${k}`}>
                    <div className="muted small">
                      {k.toUpperCase()} · run {ev.runId} · {name(ev.runId)}
                    </div>
                    <div className="big">{pct(ev.summary.mIoU)} %</div>
                    <div className="muted small">
                      mIoU · mDice {pct(ev.summary.mDice)} % · {ev.images} images
                    </div>
                  </div>
                );
              })}
            </div>
            <h3>Per class (A, then B)</h3>
            <PerClassTable classes={cmp.a.classes} iou={cmp.a.summary.iou} dice={cmp.a.summary.dice} compare={{ iou: cmp.b.summary.iou, dice: cmp.b.summary.dice }} />
          </>
        )}
      </section>
      {cmp && (
        <section className="panel">
          <div className="panel-head">
            <h2>Per image, worst first</h2>
            <span className="muted small">Click an image to open it in the annotator</span>
          </div>
          <div className="ft-scroll">
            <table className="ft-table" data-testid="compare-images">
              <thead>
                <tr>
                  <th>Image</th>
                  <th className="num">IoU A %</th>
                  <th className="num">IoU B %</th>
                  <th className="num">B − A</th>
                  <th style={{ width: '35%' }} />
                </tr>
              </thead>
              <tbody>
                {cmp.images.map((r) => (
                  <tr key={r.imageId} onClick={() => props.onOpenImage(r.imageId)} data-testid="compare-row" data-image-id={r.imageId}>
                    <td className="name">{r.name}</td>
                    <td className="num">{pct(r.a)}</td>
                    <td className="num">{pct(r.b)}</td>
                    <td className={`num delta ${r.delta === null ? '' : r.delta > 0 ? 'up' : r.delta < 0 ? 'down' : ''}`}>{r.delta === null ? '–' : `${r.delta > 0 ? '+' : ''}${(100 * r.delta).toFixed(1)}`}</td>
                    <td>
                      <span className="ft-bar" style={{ width: `${Math.round(45 * (r.a ?? 0))}%`, background: '#3d8bfd' }} />
                      <span className="ft-bar" style={{ width: `${Math.round(45 * (r.b ?? 0))}%`, background: '#f0883e' }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
