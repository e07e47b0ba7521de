// Fine-tune: one click trains with the preset chosen from this machine and the data (what it chose
// and why is shown), an Advanced panel exposes every training option; the current run shows a
// progress bar with ETA, live loss and validation mIoU/mDice curves, images/s and the learning
// rate, with cancel, and resume for a run that the app left behind (closed or crashed).
import { useCallback, useEffect, useMemo, useState } from 'react';
import { runState } from './runState.js';
import { useSessionState } from '../components/useSessionState.js';
import type { ApiClient } from '../apiClient.js';
import type { ProjectSummary } from '../../../app/api/apiTypes.js';
import type { PresetInfo, RunDetail, TrainConfig, ProgressEvent } from '../../../app/api/fineTuneTypes.js';
import type { ToastState } from '../components/Toasts.js';
import { LineChart } from './LineChart.js';
import { PerClassTable } from './ConfusionHeatmap.js';
import { duration, pct } from './fineTuneStyles.js';

const NUMBER_FIELDS: { key: keyof TrainConfig; label: string; step?: string }[] = [
  { key: 'inputSize', label: 'Input size S (multiple of 16)', step: '16' },
  { key: 'epochs', label: 'Epochs' },
  { key: 'batchSize', label: 'Batch size' },
  { key: 'accumulationSteps', label: 'Gradient accumulation steps' },
  { key: 'learningRate', label: 'Learning rate', step: 'any' },
  { key: 'weightDecay', label: 'Weight decay', step: 'any' },
  { key: 'beta1', label: 'Adam β1', step: 'any' },
  { key: 'beta2', label: 'Adam β2', step: 'any' },
  { key: 'epsilon', label: 'Adam ε', step: 'any' },
  { key: 'warmupFraction', label: 'Warm-up share of steps', step: 'any' },
  { key: 'polyPower', label: 'Poly decay power', step: 'any' },
  { key: 'ceWeight', label: 'Cross-entropy weight', step: 'any' },
  { key: 'diceWeight', label: 'Dice weight', step: 'any' },
  { key: 'valFraction', label: 'Held-out validation share', step: 'any' },
  { key: 'patience', label: 'Early-stopping patience (0 = off)' },
  { key: 'checkpointEverySteps', label: 'Checkpoint every N steps (0 = epochs)' },
  { key: 'seed', label: 'Seed' },
  { key: 'tileSize', label: 'Tile side (0 = whole image; else = S)', step: '16' },
  { key: 'tileOverlap', label: 'Tile overlap at inference (px)' },
  { key: 'tileScale', label: 'Image scale before tiling (1 = native)', step: 'any' },
  { key: 'defectCropShare', label: 'Share of crops centred on defects', step: 'any' },
  { key: 'focalGamma', label: 'Focal loss γ (0 = plain CE; tfjs engine only)', step: 'any' },
];

export function StatusPill({ row }: { row: Parameters<typeof runState>[0] }) {
  const s = runState(row);
  return (
    <span className={`st ${s.kind === 'training' || s.kind === 'starting' ? 'live' : s.kind}`} data-state={s.kind} title={s.explanation}>
      {s.label}
    </span>
  );
}

export function FineTunePage(props: { api: ApiClient; project: ProjectSummary; toasts: ToastState; onShowRuns: () => void }) {
  const { api, toasts } = props;
  const [info, setInfo] = useState<PresetInfo | null>(null);
  // The Advanced form survives leaving the page (per project).
  const keep = `pasam.finetune.${props.project.dir}`;
  const [draft, setDraft, draftKept] = useSessionState<TrainConfig | null>(`${keep}.draft`, null);
  const [optionsText, setOptionsText] = useSessionState(`${keep}.options`, '{}');
  const [advanced, setAdvanced] = useSessionState(`${keep}.advanced`, false);
  const [name, setName] = useSessionState(`${keep}.name`, '');
  const [runId, setRunId] = useState<number | null>(null);
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [progress, setProgress] = useState<ProgressEvent | null>(null);
  const [loss, setLoss] = useState<{ step: number; loss: number }[]>([]);
  const [busy, setBusy] = useState(false);

  const loadPreset = useCallback(async () => {
    try {
      const p = await api.call('training.preset', {});
      setInfo(p);
      if (!draftKept) {
        setDraft(p.config);
        setOptionsText(JSON.stringify(p.config.model.options, null, 0));
      }
    } catch (err) {
      toasts.error(err);
    }
  }, [api]);

  const loadDetail = useCallback(
    async (id: number) => {
      try {
        const d = await api.call('training.run', { runId: id });
        setDetail(d);
        if (d.progress) setProgress(d.progress);
        if (d.lossCurve.length) setLoss(d.lossCurve);
      } catch (err) {
        toasts.error(err);
      }
    },
    [api],
  );

  useEffect(() => {
    void loadPreset();
    void (async () => {
      try {
        const runs = await api.call('training.runs', {});
        const pick = runs.find((r) => r.live) ?? runs.find((r) => r.interrupted) ?? runs[0];
        if (pick) setRunId(pick.id);
      } catch (err) {
        toasts.error(err);
      }
    })();
  }, [api, props.project.dir]);

  useEffect(() => {
    setProgress(null);
    setLoss([]);
    setDetail(null);
    if (runId !== null) void loadDetail(runId);
  }, [runId]);

  useEffect(
    () =>
      api.onEvent((e) => {
        // Cancel, resume or a change made on the Runs page: re-read the record, the one truth.
        if (e.type === 'runs.changed' && runId !== null) return void loadDetail(runId);
        if (e.type !== 'training.event') return;
        const ev = e.event;
        if (ev.runId === null || ev.runId !== runId) return;
        if (ev.type === 'progress') {
          setProgress(ev);
          setLoss((l) => [...l, { step: ev.step, loss: ev.loss }]);
        } else if (ev.type === 'epoch' || ev.type === 'finished' || ev.type === 'failed' || ev.type === 'started') void loadDetail(ev.runId);
        if (ev.type === 'failed') toasts.error(`Run ${ev.runId} failed: ${ev.error}`);
        if (ev.type === 'finished') toasts.info(`Run ${ev.runId} ${ev.status}${ev.best?.mIoU != null ? ` — best val mIoU ${pct(ev.best.mIoU)} %` : ''}`);
      }),
    [api, runId, loadDetail],
  );

  const start = async () => {
    if (!draft) return;
    setBusy(true);
    try {
      let options: Record<string, unknown> = {};
      try {
        options = optionsText.trim() ? JSON.parse(optionsText) : {};
      } catch {
        throw new Error('Model options must be a JSON object, e.g. {"loraRank": 8}');
      }
      const config = advanced ? { ...draft, model: { ...draft.model, options } } : undefined;
      const r = await api.call('training.start', { config, name: name.trim() || undefined });
      setRunId(r.runId);
      toasts.info(`Fine-tuning started (run ${r.runId})`);
    } catch (err) {
      toasts.error(err);
    } finally {
      setBusy(false);
    }
  };

  const act = async (what: 'cancel' | 'resume') => {
    if (runId === null) return;
    try {
      if (what === 'cancel') await api.call('training.cancel', { runId });
      else {
        await api.call('training.resume', { runId });
        toasts.info(`Resuming run ${runId} from its last checkpoint`);
      }
      await loadDetail(runId);
    } catch (err) {
      toasts.error(err);
    }
  };

  const row = detail?.run ?? null;
  const cfg = detail?.config ?? null;
  const stepsPerEpoch = progress ? progress.totalSteps / Math.max(1, progress.epochs) : null;
  const state = row ? runState(row) : null;
  const running = state?.kind === 'training' || state?.kind === 'starting';
  // The last progress event of a run that has stopped is history (the loss chart's), not its state.
  const live = running ? progress : null;
  const fraction = row?.status === 'completed' ? 1 : live ? live.step / Math.max(1, live.totalSteps) : row && row.epochs ? row.epochsDone / row.epochs : 0;
  const lossSeries = useMemo(
    () => [
      { name: 'per step', color: '#3d8bfd', points: stepsPerEpoch ? loss.map((p) => [p.step / stepsPerEpoch, p.loss] as [number, number]) : [] },
      { name: 'epoch mean', color: '#f0883e', points: (detail?.epochs ?? []).filter((e) => e.trainLoss !== null).map((e) => [e.epoch, e.trainLoss!] as [number, number]) },
    ],
    [loss, detail, stepsPerEpoch],
  );
  const metricSeries = useMemo(
    () => [
      { name: 'val mIoU', color: '#3fb950', points: (detail?.epochs ?? []).filter((e) => e.val?.mIoU != null).map((e) => [e.epoch, 100 * e.val!.mIoU!] as [number, number]) },
      { name: 'val mDice', color: '#d2a8ff', points: (detail?.epochs ?? []).filter((e) => e.val?.mDice != null).map((e) => [e.epoch, 100 * e.val!.mDice!] as [number, number]) },
    ],
    [detail],
  );
  const set = (k: keyof TrainConfig, v: unknown) => setDraft((d) => (d ? ({ ...d, [k]: v } as TrainConfig) : d));

  return (
    <div className="ft-page" data-testid="finetune-page">
      <div className="ft-col side">
        <section className="panel">
          <div className="panel-head">
            <h2>One-click fine-tuning</h2>
          </div>
          {!info ? (
            <div className="muted">Reading this machine and the data set…</div>
          ) : (
            <>
              <div className="ft-preset-label" data-testid="preset-label">
                {info.preset.label}
              </div>
              <ul className="ft-reasons" data-testid="preset-reasons">
                {info.preset.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
              <h3>This machine</h3>
              <dl className="ft-facts">
                <dt>Backend</dt>
                <dd>
                  {info.hardware.backend}
                  {info.hardware.device ? ` · ${info.hardware.device}` : ''}
                </dd>
                <dt>CPU</dt>
                <dd>{info.hardware.cores} cores</dd>
                <dt>Memory</dt>
                <dd>{(info.hardware.memoryBytes / 1024 ** 3).toFixed(0)} GiB{info.hardware.gpuMemoryBytes ? ` · GPU ${(info.hardware.gpuMemoryBytes / 1024 ** 3).toFixed(0)} GiB` : ''}</dd>
                <dt>Training data</dt>
                <dd data-testid="preset-data">
                  {info.dataset.trainImages} train · {info.dataset.valImages} val annotated images
                </dd>
              </dl>
              <div className="ft-actions">
                <button className="primary" data-testid="finetune-start" disabled={busy || running || info.dataset.trainImages === 0} onClick={start}>
                  ▶ Fine-tune
                </button>
                <input placeholder="Run name (optional)" value={name} onChange={(e) => setName(e.target.value)} style={{ flex: 1, minWidth: 120 }} data-testid="run-name" />
              </div>
              {info.dataset.trainImages === 0 && <p className="ft-note">Put annotated images in the train split (Dataset page) to fine-tune.</p>}
              <button className="link" style={{ marginTop: 10 }} data-testid="advanced-toggle" onClick={() => setAdvanced((a) => !a)}>
                {advanced ? '▾' : '▸'} Advanced — every training option
              </button>
              {advanced && draft && (
                <div className="ft-advanced" data-testid="advanced-panel">
                  <label>
                    Base model
                    <select
                      value={draft.model.base ? `base:${draft.model.base}` : `preset:${draft.model.preset}`}
                      onChange={(e) => {
                        const [kind, v] = e.target.value.split(':') as [string, string];
                        setDraft({ ...draft, model: { ...draft.model, base: kind === 'base' ? v : null, preset: kind === 'preset' ? v : null } });
                      }}
                      data-testid="adv-model"
                    >
                      {info.baseModels.map((m) => (
                        <option key={m} value={`base:${m}`}>
                          {m} (library)
                        </option>
                      ))}
                      {info.presets.map((p) => (
                        <option key={p} value={`preset:${p}`}>
                          {p} from scratch
                        </option>
                      ))}
                    </select>
                  </label>
                  {NUMBER_FIELDS.map((f) => (
                    <label key={f.key}>
                      {f.label}
                      <input type="number" step={f.step ?? '1'} value={String(draft[f.key] as number)} data-testid={`adv-${f.key}`} onChange={(e) => set(f.key, e.target.value === '' ? '' : Number(e.target.value))} />
                    </label>
                  ))}
                  <label className="check">
                    <input type="checkbox" checked={draft.lossOnUpsampledLogits} onChange={(e) => set('lossOnUpsampledLogits', e.target.checked)} /> Loss on upsampled logits
                  </label>
                  <label className="check">
                    <input type="checkbox" checked={draft.dicePresentOnly} data-testid="adv-dicePresentOnly" onChange={(e) => set('dicePresentOnly', e.target.checked)} /> Dice over present classes only
                  </label>
                  <label>
                    Class weighting (CE)
                    <select value={draft.classWeighting} data-testid="adv-classWeighting" onChange={(e) => set('classWeighting', e.target.value as TrainConfig['classWeighting'])}>
                      <option value="none">none</option>
                      <option value="frequency">from pixel frequencies (clipped)</option>
                    </select>
                  </label>
                  <span />
                  {(['hflip', 'vflip', 'rot90'] as const).map((k) => (
                    <label className="check" key={k}>
                      <input type="checkbox" checked={draft.augmentation[k]} onChange={(e) => setDraft({ ...draft, augmentation: { ...draft.augmentation, [k]: e.target.checked } })} /> Augment: {k}
                    </label>
                  ))}
                  <span />
                  {(['brightness', 'contrast'] as const).map((k) => (
                    <label key={k}>
                      Augment: {k} (±share)
                      <input type="number" step="any" value={draft.augmentation[k]} onChange={(e) => setDraft({ ...draft, augmentation: { ...draft.augmentation, [k]: Number(e.target.value) } })} />
                    </label>
                  ))}
                  <label className="span2">
                    PA-SAM model options (JSON: LoRA rank, IPEG, decoder…)
                    <textarea value={optionsText} onChange={(e) => setOptionsText(e.target.value)} spellCheck={false} />
                  </label>
                  <button className="span2" onClick={() => void loadPreset()}>
                    Reset to the preset
                  </button>
                </div>
              )}
            </>
          )}
        </section>
      </div>
      <div className="ft-col main">
        <section className="panel" data-testid="run-panel">
          {!row ? (
            <div className="empty muted">No training run yet. Press “Fine-tune” to train a model on this project’s annotated images.</div>
          ) : (
            <>
              <div className="ft-run-head">
                <h2 data-testid="run-title">
                  Run {row.id} · {row.name}
                </h2>
                <span data-testid="run-status">
                  <StatusPill row={row} />
                </span>
                {row.active && <span className="st active">active model</span>}
                <span className="grow" />
                {state?.canCancel && (
                  <button data-testid="run-cancel" onClick={() => void act('cancel')}>
                    ■ Cancel
                  </button>
                )}
                {state?.canResume && (
                  <button className="primary" data-testid="run-resume" onClick={() => void act('resume')}>
                    ⟳ Resume
                  </button>
                )}
                <button onClick={props.onShowRuns}>All runs →</button>
              </div>
              <div className={`ft-progress ${row.status === 'completed' ? 'done' : row.status === 'failed' ? 'failed' : ''}`} data-testid="progress-bar" data-fraction={fraction.toFixed(3)}>
                <div style={{ width: `${Math.round(100 * fraction)}%` }} />
              </div>
              <div className="row small muted">
                <span data-testid="progress-text">
                  {row.status === 'completed'
                    ? `Completed ${row.epochsDone} epochs in ${duration(row.durationSeconds)}`
                    : live
                      ? `${Math.round(100 * fraction)} % · epoch ${live.epoch}/${live.epochs} · step ${live.step}/${live.totalSteps}`
                      : state!.explanation}
                </span>
                <span className="grow" />
                {live && <span data-testid="eta">ETA {duration(live.etaSeconds)}</span>}
              </div>
              <div className="ft-stats">
                <Stat k="Epoch" v={live ? `${live.epoch} / ${live.epochs}` : `${row.epochsDone} / ${row.epochs}`} />
                <Stat k="Loss" v={live ? live.loss.toFixed(4) : (detail?.epochs.at(-1)?.trainLoss?.toFixed(4) ?? '–')} />
                <Stat k="Learning rate" v={live ? live.learningRate.toExponential(2) : '–'} />
                <Stat k="Images/s" v={progress ? progress.imagesPerSecond.toFixed(2) : '–'} testId="images-per-second" />
                <Stat k="Best mIoU" v={row.best ? `${pct(row.best.mIoU)} %` : '–'} testId="best-miou" />
                <Stat k="Best mDice" v={row.best ? `${pct(row.best.mDice)} %` : '–'} />
              </div>
              <div className="ft-charts">
                <LineChart title="Training loss (x = epoch)" series={lossSeries} xMin={0} testId="loss-chart" />
                <LineChart title="Validation mIoU / mDice (%)" series={metricSeries} yMin={0} yMax={100} format={(v) => v.toFixed(0)} testId="metric-chart" />
              </div>
              {cfg && (
                <p className="ft-note">
                  {row.base} · S = {cfg.inputSize} · batch {cfg.batchSize}
                  {cfg.accumulationSteps > 1 ? ` × ${cfg.accumulationSteps}` : ''} · lr {cfg.learningRate} · data: {row.data.train} train / {row.data.val} validation images ({detail?.valSource ?? '–'}), version {row.data.digest}
                </p>
              )}
            </>
          )}
        </section>
        {detail?.best && (
          <section className="panel">
            <div className="panel-head">
              <h2>Per-class validation metrics (best epoch {row?.best?.epoch ?? ''})</h2>
            </div>
            <PerClassTable classes={detail.classes} iou={detail.best.iou} dice={detail.best.dice} testId="per-class-table" />
          </section>
        )}
      </div>
    </div>
  );
}

function Stat(props: { k: string; v: string; testId?: string }) {
  return (
    <div className="ft-stat">
      <div className="k">{props.k}</div>
      <div className="v" data-testid={props.testId}>
        {props.v}
      </div>
    </div>
  );
}
