// Runs: every training run with status, base model, data version, best mIoU/mDice and duration;
// the selected run's per-class table and confusion heat map on the test split; the project's
// active model and pre-annotation from it; two runs ticked → side-by-side comparison.
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ProjectSummary } from '../../../app/api/apiTypes.js';
import type { RunDetail, RunEvaluation, RunRow } from '../../../app/api/fineTuneTypes.js';
import type { ToastState } from '../components/Toasts.js';
import { ConfusionHeatmap, PerClassTable } from './ConfusionHeatmap.js';
import { RunCompare } from './RunCompare.js';
import { StatusPill } from './FineTunePage.js';
import { runState } from './runState.js';
import { duration, pct } from './fineTuneStyles.js';

export function RunsPage(props: { api: ApiClient; project: ProjectSummary; toasts: ToastState; onOpenImage: (id: number) => void; onImagesChanged: () => void }) {
  const { api, toasts } = props;
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [ticked, setTicked] = useState<number[]>([]);
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [evaluation, setEvaluation] = useState<RunEvaluation | null>(null);
  const [evaluating, setEvaluating] = useState(false);
  const [compare, setCompare] = useState<[number, number] | null>(null);
  const [preannotating, setPreannotating] = useState(false);

  const reload = useCallback(async () => {
    try {
      const r = await api.call('training.runs', {});
      setRuns(r);
      setSelected((s) => s ?? r[0]?.id ?? null);
    } catch (err) {
      toasts.error(err);
    }
  }, [api]);
  useEffect(() => {
    void reload();
  }, [reload, props.project.dir]);
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.type === 'runs.changed') void reload();
      }),
    [api, reload],
  );
  useEffect(() => {
    setDetail(null);
    setEvaluation(null);
    if (selected === null) return;
    api.call('training.run', { runId: selected }).then(setDetail, toasts.error);
  }, [selected, api]);

  const evaluate = async () => {
    if (selected === null) return;
    setEvaluating(true);
    try {
      setEvaluation(await api.call('training.evaluate', { runId: selected, split: 'test' }));
    } catch (err) {
      toasts.error(err);
    } finally {
      setEvaluating(false);
    }
  };

  const setActive = async (runId: number | null) => {
    try {
      const r = await api.call('model.setActive', { runId });
      toasts.info(r.runId === null ? 'No active model' : `Active model: run ${r.runId} (${r.name})`);
      await reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  const resume = async (runId: number) => {
    try {
      await api.call('training.resume', { runId });
      toasts.info(`Resuming run ${runId}`);
      await reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  const preannotate = async () => {
    setPreannotating(true);
    try {
      const r = await api.call('model.preannotate', {});
      toasts.info(`${r.created} image(s) received a pre-annotation from run ${r.runId}${r.skipped ? `; ${r.skipped} kept their human or current mask` : ''}. Filter the dataset by “Has prediction” to review them.`);
      props.onImagesChanged();
    } catch (err) {
      toasts.error(err);
    } finally {
      setPreannotating(false);
    }
  };

  if (compare) return <RunCompare api={api} a={compare[0]} b={compare[1]} runs={runs} toasts={toasts} onBack={() => setCompare(null)} onOpenImage={props.onOpenImage} />;

  const active = runs.find((r) => r.active) ?? null;
  const sel = runs.find((r) => r.id === selected) ?? null;
  return (
    <div className="ft-page" data-testid="runs-page" style={{ flexDirection: 'column', alignItems: 'stretch' }}>
      <section className="panel">
        <div className="panel-head">
          <h2>Training runs</h2>
          <div className="row">
            <span className="muted small" data-testid="active-model">
              Active model: {active ? <strong>run {active.id} · {active.name}</strong> : 'none'}
            </span>
            <button data-testid="preannotate" disabled={!active || preannotating} onClick={() => void preannotate()} title="Predict every image without a human mask and send the result to the annotator for review">
              {preannotating ? 'Predicting…' : '⇢ Send predictions to annotator'}
            </button>
            <button className="primary" data-testid="compare-button" disabled={ticked.length !== 2} onClick={() => setCompare([Math.min(ticked[0]!, ticked[1]!), Math.max(ticked[0]!, ticked[1]!)])} title="Tick two runs to compare them on the same test images">
              Compare {ticked.length === 2 ? `${Math.min(ticked[0]!, ticked[1]!)} ↔ ${Math.max(ticked[0]!, ticked[1]!)}` : '(tick two)'}
            </button>
          </div>
        </div>
        {runs.length === 0 ? (
          <div className="empty muted">No runs yet — start one on the Fine-tune page.</div>
        ) : (
          <table className="ft-table" data-testid="runs-table">
            <thead>
              <tr>
                <th />
                <th>Run</th>
                <th>Status</th>
                <th>Base model</th>
                <th className="num">S</th>
                <th>Data version</th>
                <th className="num">Epochs</th>
                <th className="num">Best mIoU %</th>
                <th className="num">Best mDice %</th>
                <th className="num">Duration</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} className={r.id === selected ? 'sel' : ''} onClick={() => setSelected(r.id)} data-testid="run-row" data-run-id={r.id}>
                  <td onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" aria-label={`compare run ${r.id}`} data-testid="run-tick" checked={ticked.includes(r.id)} onChange={(e) => setTicked((t) => (e.target.checked ? [...t.filter((x) => x !== r.id), r.id].slice(-2) : t.filter((x) => x !== r.id)))} />
                  </td>
                  <td className="name">
                    <strong>{r.id}</strong> · {r.name}
                  </td>
                  <td>
                    <StatusPill row={r} /> {r.active && <span className="st active">active</span>}
                  </td>
                  <td title={r.trainedWith ? `trained with ${r.trainedWith}` : undefined} data-testid="run-base" data-trained-with={r.trainedWith ?? ''}>
                    {r.base}
                  </td>
                  <td className="num">{r.inputSize}</td>
                  <td title={`${r.data.train} train + ${r.data.val} validation mask versions`}>
                    {r.data.images} img · <code>{r.data.digest}</code>
                  </td>
                  <td className="num">
                    {r.epochsDone}/{r.epochs}
                  </td>
                  <td className="num">{pct(r.best?.mIoU)}</td>
                  <td className="num">{pct(r.best?.mDice)}</td>
                  <td className="num">{duration(r.durationSeconds)}</td>
                  <td onClick={(e) => e.stopPropagation()}>
                    {runState(r).canResume && (
                      <button onClick={() => void resume(r.id)} data-testid="runs-resume">
                        Resume
                      </button>
                    )}{' '}
                    {!r.active && (r.best || r.status === 'completed') && (
                      <button onClick={() => void setActive(r.id)} data-testid="set-active">
                        Set active
                      </button>
                    )}
                    {r.active && <button onClick={() => void setActive(null)}>Unset</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {sel && detail && (
        <div className="row" style={{ alignItems: 'flex-start', gap: 16 }}>
          <section className="panel" style={{ flex: 1 }}>
            <div className="panel-head">
              <h2>
                Run {sel.id}: per-class validation metrics {detail.run.best?.epoch ? `(best epoch ${detail.run.best.epoch})` : ''}
              </h2>
            </div>
            {detail.best ? <PerClassTable classes={detail.classes} iou={detail.best.iou} dice={detail.best.dice} testId="runs-per-class" /> : <div className="muted">No validation result yet.</div>}
            {sel.error && <p className="ft-err">{sel.error}</p>}
          </section>
          <section className="panel" style={{ flex: 1 }}>
            <div className="panel-head">
              <h2>Test split: confusion matrix</h2>
              <button data-testid="evaluate-test" disabled={evaluating || !sel.best} onClick={() => void evaluate()}>
                {evaluating ? 'Evaluating…' : evaluation ? 'Re-evaluate' : 'Evaluate on test'}
              </button>
            </div>
            {evaluation ? (
              <>
                <p className="muted small" data-testid="eval-summary">
                  {evaluation.images} test images at original resolution · mIoU {pct(evaluation.summary.mIoU)} % · mDice {pct(evaluation.summary.mDice)} % · pixel accuracy {pct(evaluation.summary.pixelAccuracy)} %
                </p>
                <ConfusionHeatmap classes={evaluation.classes} confusion={evaluation.confusion} />
                <h3>Per class on test</h3>
                <PerClassTable classes={evaluation.classes} iou={evaluation.summary.iou} dice={evaluation.summary.dice} />
              </>
            ) : (
              <div className="muted">Evaluate the run’s best checkpoint on the test split to see where classes are confused.</div>
            )}
          </section>
        </div>
      )}
    </div>
  );
}
