// Batch segmentation of a folder with a run or an exported model: masks (same relative paths),
// optional colour overlays and a CSV/JSON report in the output folder; live progress with ETA;
// cancel, and resume of a job the app left behind (finished images are skipped). A new job whose
// output already holds files it would write asks first: overwrite, a new folder, or cancel. A job
// with failed images reads "completed with N failures" (amber), its failed files listed first.
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { HostInfo, ProjectSummary } from '../../../app/api/apiTypes.js';
import type { BatchItemRow, BatchJobParams, BatchJobPlan, BatchJobRow, BatchProgress, RunRow } from '../../../app/api/fineTuneTypes.js';
import type { ToastState } from '../components/Toasts.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { useSessionState } from '../components/useSessionState.js';
import { FolderPicker, pickNative } from '../components/FolderPicker.js';
import { duration } from './fineTuneStyles.js';

export function BatchPage(props: { api: ApiClient; host: HostInfo | null; project: ProjectSummary; toasts: ToastState }) {
  const { api, toasts } = props;
  // The form survives leaving the page (per project): a job's end is told on another page, and
  // the user comes back to the folders they chose.
  const keep = `pasam.batch.${props.project.dir}`;
  const [input, setInput] = useSessionState(`${keep}.input`, '');
  const [output, setOutput] = useSessionState(`${keep}.output`, '');
  const [source, setSource] = useState('');
  const [modelPath, setModelPath] = useSessionState(`${keep}.modelPath`, '');
  const [overlay, setOverlay] = useSessionState(`${keep}.overlay`, true);
  const [recursive, setRecursive] = useSessionState(`${keep}.recursive`, false);
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [jobs, setJobs] = useState<BatchJobRow[]>([]);
  const [live, setLive] = useState<Record<number, BatchProgress>>({});
  const [picker, setPicker] = useState<null | 'input' | 'output'>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [items, setItems] = useState<BatchItemRow[]>([]);
  /** A new job would replace files in its output: the question asked before anything is written. */
  const [ask, setAsk] = useState<{ params: BatchJobParams; plan: BatchJobPlan } | null>(null);

  const reload = useCallback(async () => {
    try {
      setJobs(await api.call('batch.jobs', {}));
    } catch (err) {
      toasts.error(err);
    }
  }, [api]);

  useEffect(() => {
    void reload();
    api.call('training.runs', {}).then((r) => {
      const usable = r.filter((x) => x.best || x.status === 'completed');
      setRuns(usable);
      const active = usable.find((x) => x.active) ?? usable[0];
      setSource((s) => s || (active ? `run:${active.id}` : 'model'));
    }, toasts.error);
  }, [api, props.project.dir]);

  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.type === 'batch.progress') setLive((l) => ({ ...l, [e.progress.jobId]: e.progress }));
        if (e.type === 'batch.changed') {
          void reload();
          if (e.jobId === open) void loadItems(e.jobId);
        }
      }),
    [api, reload, open],
  );

  const loadItems = async (jobId: number) => {
    try {
      setItems((await api.call('batch.items', { jobId, limit: 2000 })).items);
    } catch (err) {
      toasts.error(err);
    }
  };

  const browse = async (which: 'input' | 'output') => {
    const native = await pickNative(api, which === 'input' ? 'Folder of images to segment' : 'Output folder for masks and report');
    if (native === undefined) return setPicker(which);
    if (native) (which === 'input' ? setInput : setOutput)(native);
  };

  const launch = async (params: BatchJobParams, overwrite = false) => {
    try {
      const r = await api.call('batch.start', { ...params, overwrite });
      toasts.info(r.resumed ? `Resuming batch job ${r.jobId} (finished images are skipped)` : `Batch job ${r.jobId} started`);
      await reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  const start = async () => {
    const params: BatchJobParams = source === 'model' ? { input, output, model: modelPath, overlay, recursive } : { input, output, runId: Number(source.slice(4)), overlay, recursive };
    try {
      const plan = await api.call('batch.plan', params);
      if (plan.existing.total > 0) return setAsk({ params, plan });
    } catch (err) {
      return toasts.error(err);
    }
    await launch(params);
  };

  const answer = async (choice: 'overwrite' | 'new-folder' | 'cancel') => {
    const asked = ask!;
    setAsk(null);
    if (choice === 'overwrite') await launch(asked.params, true);
    if (choice === 'new-folder') {
      setOutput(asked.plan.freeOutput);
      await launch({ ...asked.params, output: asked.plan.freeOutput });
    }
  };

  const act = async (what: 'cancel' | 'resume', jobId: number) => {
    try {
      if (what === 'cancel') await api.call('batch.cancel', { jobId });
      else await api.call('batch.resume', { jobId });
      await reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  return (
    <div className="ft-page" data-testid="batch-page">
      <div className="ft-col side">
        <section className="panel">
          <div className="panel-head">
            <h2>Segment a folder</h2>
          </div>
          <div className="ft-form">
            <span>Images</span>
            <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="/path/to/images" data-testid="batch-input" />
            <button onClick={() => void browse('input')}>Browse…</button>
            <span>Output</span>
            <input value={output} onChange={(e) => setOutput(e.target.value)} placeholder="/path/to/results (not inside the images)" data-testid="batch-output" />
            <button onClick={() => void browse('output')}>Browse…</button>
            <span>Model</span>
            <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="batch-model" style={{ gridColumn: '2 / -1' }}>
              {runs.map((r) => (
                <option key={r.id} value={`run:${r.id}`}>
                  Run {r.id} · {r.name}
                  {r.active ? ' (active)' : ''}
                </option>
              ))}
              <option value="model">Exported model folder…</option>
            </select>
            {source === 'model' && (
              <>
                <span>Exported</span>
                <input value={modelPath} onChange={(e) => setModelPath(e.target.value)} placeholder="/path/to/export (model.json + model.onnx)" style={{ gridColumn: '2 / -1' }} data-testid="batch-model-path" />
              </>
            )}
            <span />
            <div className="checks">
              <label className="check">
                <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} data-testid="batch-overlay" /> Colour overlays
              </label>
              <label className="check">
                <input type="checkbox" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} data-testid="batch-recursive" /> Include sub-folders
              </label>
            </div>
          </div>
          <div className="ft-actions">
            <button className="primary" data-testid="batch-start" disabled={!input || !output || !source || (source === 'model' && !modelPath)} onClick={() => void start()}>
              ▶ Segment
            </button>
          </div>
          <p className="ft-note">
            Writes a class-index PNG per image (same relative path), overlays under <code>overlays/</code> and <code>report.csv</code>, <code>report-classes.csv</code>, <code>report.json</code> in the output folder. Damaged or unsupported files are
            listed in the report and skipped. Starting the same folders and model again resumes an unfinished job.
          </p>
        </section>
      </div>
      <div className="ft-col main">
        <section className="panel">
          <div className="panel-head">
            <h2>Batch jobs</h2>
          </div>
          {jobs.length === 0 && <div className="empty muted">No batch jobs yet.</div>}
          {jobs.map((j) => {
            const p = live[j.id];
            const counts = j.live && p ? { done: p.done, failed: p.failed, skipped: p.skipped, pending: p.pending, total: p.total } : j;
            const finished = counts.done + counts.failed + counts.skipped;
            const frac = counts.total ? finished / counts.total : 0;
            const label = j.interrupted ? 'interrupted' : j.live ? 'running' : j.status;
            return (
              <div className="ft-job" key={j.id} data-testid="batch-job" data-job-id={j.id} data-status={label} data-outcome={j.outcome}>
                <div className="ft-run-head">
                  <strong>Job {j.id}</strong>
                  <span className={`st ${j.outcome === 'running' ? 'live' : j.outcome}`} data-testid="batch-outcome">
                    {j.outcomeLabel}
                  </span>
                  <span className="muted small">{j.model}</span>
                  <span className="grow" />
                  {j.live && <button onClick={() => void act('cancel', j.id)}>■ Cancel</button>}
                  {!j.live && j.status !== 'completed' && (
                    <button className="primary" data-testid="batch-resume" onClick={() => void act('resume', j.id)}>
                      ⟳ Resume
                    </button>
                  )}
                  <button
                    data-testid="batch-details"
                    onClick={() => {
                      const next = open === j.id ? null : j.id;
                      setOpen(next);
                      if (next !== null) void loadItems(next);
                    }}
                  >
                    {open === j.id ? 'Hide files' : 'Files'}
                  </button>
                </div>
                <div className="paths" title={`${j.input} → ${j.output}`}>
                  {j.input} → {j.output}
                  {j.overlay ? ' · overlays' : ''}
                  {j.recursive ? ' · recursive' : ''}
                </div>
                <div className={`ft-progress ${PROGRESS_STYLE[j.outcome] ?? ''}`} data-fraction={frac.toFixed(3)}>
                  <div style={{ width: `${Math.round(100 * frac)}%` }} />
                </div>
                <div className="counts" data-testid="batch-counts">
                  <span>
                    <b>{finished}</b> / {counts.total} files
                  </span>
                  <span>
                    <b>{counts.done}</b> segmented
                  </span>
                  <span>
                    <b>{counts.failed}</b> failed
                  </span>
                  <span>
                    <b>{counts.skipped}</b> skipped
                  </span>
                  <span className="grow" />
                  {j.live && p?.imagesPerSecond ? (
                    <span>
                      {p.imagesPerSecond.toFixed(1)} img/s · ETA {duration(p.etaSeconds)}
                    </span>
                  ) : null}
                  {j.status === 'completed' && j.report && <span data-testid="batch-report">report: {j.report}</span>}
                </div>
                {j.error && <div className="ft-err small">{j.error}</div>}
                {open === j.id && (
                  <div className="ft-scroll" style={{ marginTop: 8 }}>
                    <table className="ft-table" data-testid="batch-items">
                      <thead>
                        <tr>
                          <th>File</th>
                          <th>Status</th>
                          <th>Classes</th>
                          <th className="num">Defect %</th>
                          <th className="num">Confidence</th>
                          <th>Problem</th>
                        </tr>
                      </thead>
                      <tbody>
                        {items.map((it) => (
                          <tr key={it.file} data-testid="batch-item" data-status={it.status}>
                            <td className="name">{it.file}</td>
                            <td>
                              <span className={`st ${it.status === 'done' ? 'completed' : it.status === 'pending' ? '' : 'failed'}`}>{it.status}</span>
                            </td>
                            <td>{it.classes.join(', ') || (it.status === 'done' ? 'none' : '')}</td>
                            <td className="num">{it.defectPercent === null ? '' : it.defectPercent.toFixed(2)}</td>
                            <td className="num">{it.meanConfidence === null ? '' : it.meanConfidence.toFixed(3)}</td>
                            <td className="ft-err" style={{ maxWidth: 380 }} title={it.error ?? ''}>
                              {it.error && it.error.length > 160 ? `${it.error.slice(0, 160)}…` : (it.error ?? '')}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </div>
            );
          })}
        </section>
      </div>
      {ask && (
        <ConfirmDialog
          title="The output folder already holds results"
          testid="batch-overwrite"
          danger
          confirmLabel={`Overwrite ${ask.plan.existing.total} ${ask.plan.existing.total === 1 ? 'file' : 'files'}`}
          onConfirm={() => void answer('overwrite')}
          alternative={{ label: `Write to ${lastSegment(ask.plan.freeOutput)}`, onChoose: () => void answer('new-folder'), testid: 'batch-new-folder' }}
          onCancel={() => void answer('cancel')}
        >
          <OverwriteQuestion plan={ask.plan} previous={jobs.find((j) => j.id === ask.plan.previous?.id) ?? null} />
        </ConfirmDialog>
      )}
      {picker && (
        <FolderPicker
          api={api}
          title={picker === 'input' ? 'Folder of images to segment' : 'Output folder'}
          start={(picker === 'input' ? input : output) || props.host?.homeDir || '/'}
          onPick={(p) => {
            (picker === 'input' ? setInput : setOutput)(p);
            setPicker(null);
          }}
          onCancel={() => setPicker(null)}
          pickLabel="Choose this folder"
        />
      )}
    </div>
  );
}

/** Progress bar colour per outcome: green done, amber when something needs a look, red failed. */
const PROGRESS_STYLE: Partial<Record<BatchJobRow['outcome'], string>> = { completed: 'done', 'completed-with-failures': 'partial', cancelled: 'partial', interrupted: 'partial', failed: 'failed' };

const lastSegment = (path: string): string => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** What would be replaced, in words, and what each answer does. */
function OverwriteQuestion({ plan, previous }: { plan: BatchJobPlan; previous: BatchJobRow | null }) {
  const e = plan.existing;
  return (
    <div data-testid="batch-overwrite-text" data-existing={e.total}>
      {previous && (
        <p>
          Job {previous.id} ({previous.outcomeLabel}) wrote its results here before.
        </p>
      )}
      <p>
        <code>{plan.output}</code> holds {e.total.toLocaleString()} {e.total === 1 ? 'file' : 'files'} this job would write ({e.summary}), e.g. <code>{e.examples.join(', ')}</code>.
      </p>
      <p className="muted small">
        Overwrite replaces those files; other files in the folder are left alone. Writing to <code>{plan.freeOutput}</code> keeps the earlier results as they are. Cancel writes nothing.
      </p>
    </div>
  );
}
