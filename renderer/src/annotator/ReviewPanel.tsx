// The side panel's review section: the run whose prediction is compared with the ground truth, the
// layer the stage shows, and the image's IoU per class and mean. A class in neither the ground
// truth nor the prediction has no IoU: "—", never 1 or 0.
import type { ClassDef } from '../../../app/api/apiTypes.js';
import type { ReviewState } from './usePredictionReview.js';

const iouText = (v: number | null): string => (v === null ? '—' : v.toFixed(3));

export function ReviewPanel({ r, classes }: { r: ReviewState; classes: ClassDef[] }) {
  if (!r.open) {
    return (
      <button className="review-open" onClick={() => r.setOpen(true)} data-testid="review-open" title="Compare the ground truth with a run's prediction (G)">
        Compare with a run (G)
      </button>
    );
  }
  const review = r.review;
  const color = (i: number) => classes.find((c) => c.index === i)?.color ?? '#000';
  return (
    <div className="review-panel" data-testid="review-panel" data-state={r.busy ? 'busy' : review ? 'ready' : 'empty'} data-run-id={review?.runId} data-mask-version={review?.truth?.version ?? 0}>
      <div className="row">
        <strong className="grow small">Ground truth vs prediction</strong>
        <button onClick={() => r.setOpen(false)} data-testid="review-close" title="Back to editing the mask">
          Close
        </button>
      </div>
      <select value={r.runId ?? ''} onChange={(e) => r.setRunId(Number(e.target.value))} aria-label="Run to compare" data-testid="review-run">
        {r.runs.map((run) => (
          <option key={run.id} value={run.id}>
            {run.name} (#{run.id}){run.id === r.activeRunId ? ' · active' : ''}
          </option>
        ))}
      </select>
      <div className="segmented" role="group" aria-label="Layer shown">
        <button className={r.view === 'truth' ? 'on grow' : 'grow'} onClick={() => r.setView('truth')} data-testid="review-show-truth">
          Ground truth
        </button>
        <button className={r.view === 'prediction' ? 'on grow' : 'grow'} onClick={() => r.setView('prediction')} data-testid="review-show-prediction">
          Prediction
        </button>
      </div>
      {r.busy && <div className="muted small">Predicting…</div>}
      {r.error && <div className="error-text small">{r.error}</div>}
      {review && !review.iou && <div className="muted small">This image has no mask yet: nothing to score the prediction against.</div>}
      {review?.iou && (
        <table className="review-iou" data-testid="review-iou">
          <tbody>
            {review.iou.classes.map((c) => (
              <tr key={c.index} title={`${c.truthPixels.toLocaleString()} px in the ground truth, ${c.predictedPixels.toLocaleString()} px predicted`}>
                <td>
                  <span className="swatch" style={{ display: 'inline-block', verticalAlign: 'middle', background: color(c.index) }} /> {c.name}
                </td>
                <td data-testid={`review-iou-${c.index}`}>{iouText(c.iou)}</td>
              </tr>
            ))}
            <tr className="mean">
              <td>Mean IoU</td>
              <td data-testid="review-miou">{iouText(review.iou.mIoU)}</td>
            </tr>
            <tr className="mean">
              <td>Mean (defects)</td>
              <td data-testid="review-miou-defects">{iouText(review.iou.mIoUDefects)}</td>
            </tr>
          </tbody>
        </table>
      )}
      {review && (
        <div className="muted small">
          {review.runName} ({review.checkpoint} checkpoint) vs {review.truth ? `mask v${review.truth.version}` : 'no mask'}
          {r.stale ? ' · your edits are scored once saved' : ''}. Read-only: Predict offers a prediction to accept.
        </div>
      )}
    </div>
  );
}
