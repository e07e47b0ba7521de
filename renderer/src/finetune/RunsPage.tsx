// Runs: every training run with status, base model, data version, best mIoU/mDice and duration;
// the selected run's per-class table and confusion heat map on the test split; the project's
// active model and pre-annotation from it; two runs ticked → side-by-side comparison. Each run can
// be renamed, exported (ONNX / Triton) and deleted; its last test evaluation is kept with it (the
// Test mIoU column, per class on hover and in the selected run's test panel).
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ProjectSummary } from '../../../app/api/apiTypes.js';
import type { RunDetail, RunEvaluation, RunRow, StoredEvaluation } from '../../../app/api/fineTuneTypes.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { RunExportDialog } from './RunExportDialog.js';
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
  const [renaming, setRenaming] = useState<{ id: number; name: string } | null>(null);
  const [deleting, setDeleting] = useState<RunRow | null>(null);
  const [exporting, setExporting] = useState<RunRow | null>(null);

  const reload = useCallback(async () => {
    try {
      const r = await api.call('training.runs', {});
      setRuns(r);
      setSelected((s) => (s !== null && r.some((x) => x.id === s) ? s : (r[0]?.id ?? null)));
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

  const rename = async () => {
    if (!renaming) return;
    try {
      const r = await api.call('training.rename', { runId: renaming.id, name: renaming.name });
      toasts.info(`Run ${r.runId} is now “${r.name}”`);
      setRenaming(null);
      await reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  const remove = async (run: RunRow) => {
    setDeleting(null);
    try {
      const r = await api.call('training.delete', { runId: run.id, clearActive: run.active });
      toasts.info(`Deleted run ${r.runId} (${run.name})${r.clearedActive ? '; the project has no active model now' : ''}`);
      setTicked((t) => t.filter((x) => x !== run.id));
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

  const dialogs = (
    <>
      {deleting && (
        <ConfirmDialog title={`Delete run ${deleting.id}?`} confirmLabel="Delete run" danger onCancel={() => setDeleting(null)} onConfirm={() => void remove(deleting)} testid="run-delete-dialog">
          <p>
            Run {deleting.id} “{deleting.name}” will be deleted for good: its record, curves, checkpoints and cached exports. Masks and images are not touched; predictions it made keep its number.
          </p>
          {deleting.active && (
            <p className="ft-err" data-testid="run-delete-active">
              This run is the active model. Predict and pre-annotation will have no model until you set another run active.
            </p>
          )}
        </ConfirmDialog>
      )}
      {exporting && <RunExportDialog api={api} run={exporting} projectDir={props.project.dir} onClose={() => setExporting(null)} onDone={(m) => toasts.info(m)} />}
    </>
  );

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
                <th className="num" title="The last evaluation on the test split (hover a value for per-class IoU)">Test mIoU %</th>
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
                  <td className="name" onClick={(e) => renaming?.id === r.id && e.stopPropagation()}>
                    {renaming?.id === r.id ? (
                      <span className="row">
                        <input
                          autoFocus
                          value={renaming.name}
                          maxLength={200}
                          aria-label={`new name of run ${r.id}`}
                          data-testid="run-name-input"
                          onChange={(e) => setRenaming({ id: r.id, name: e.target.value })}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter') void rename();
                            else if (e.key === 'Escape') setRenaming(null);
                          }}
                        />
                        <button onClick={() => void rename()} disabled={!renaming.name.trim()} data-testid="run-name-save">
                          Save
                        </button>
                        <button onClick={() => setRenaming(null)}>Cancel</button>
                      </span>
                    ) : (
                      <>
                        <strong>{r.id}</strong> · <span data-testid="run-name">{r.name}</span>{' '}
                        <button className="icon-btn" title="Rename" aria-label={`rename run ${r.id}`} data-testid="run-rename" onClick={(e) => (e.stopPropagation(), setRenaming({ id: r.id, name: r.name }))}>
                          ✎
                        </button>
                      </>
                    )}
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
                  <td className="num" data-testid="run-test-miou" title={r.test ? testTooltip(r.test) : 'Not evaluated on the test split yet'}>
                    {pct(r.test?.mIoU)}
                  </td>
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
                    {r.active && <button onClick={() => void setActive(null)}>Unset</button>}{' '}
                    <button onClick={() => setExporting(r)} disabled={!r.best && r.status !== 'completed'} title="Export the model as ONNX or as a Triton repository" data-testid="run-export">
                      Export…
                    </button>{' '}
                    <button className="danger" onClick={() => setDeleting(r)} disabled={r.live} title={r.live ? 'Cancel the run before deleting it' : 'Delete the run and its checkpoints'} data-testid="run-delete">
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {dialogs}
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
            ) : sel.test ? (
              <div data-testid="stored-test-eval">
                <p className="muted small">
                  Last evaluated {new Date(sel.test.at).toLocaleString()} on {sel.test.images} test images · {evalSetting(sel.test)} · mIoU {pct(sel.test.mIoU)} % · mDice {pct(sel.test.mDice)} %. Re-evaluate for the confusion matrix.
                </p>
                <PerClassTable classes={sel.test.classes} iou={sel.test.iou} dice={sel.test.dice} testId="stored-test-per-class" />
              </div>
            ) : (
              <div className="muted">Evaluate the run’s best checkpoint on the test split to see where classes are confused.</div>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

/** Resolution and tiling an evaluation ran at, in words. */
function evalSetting(t: StoredEvaluation): string {
  return t.tiling ? `tiles of ${t.tiling.tile} px (overlap ${t.tiling.overlap}, scale ${t.tiling.scale})` : `whole image at S = ${t.inputSize}`;
}

/** The Test mIoU cell's hover: per-class IoU, when and how. */
function testTooltip(t: StoredEvaluation): string {
  const perClass = t.classes.map((c, i) => `${c}: ${pct(t.iou[i])} %`).join('\n');
  return `Test split, ${t.images} images, ${new Date(t.at).toLocaleString()}\n${evalSetting(t)}\n${perClass}`;
}
