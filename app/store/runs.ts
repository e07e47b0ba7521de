// Training records: base models, training runs with their per-epoch metrics and the exact mask
// versions each used, and checkpoints. Config and metrics are free JSON here; the typed readers
// that validate them live with their producer (app/engine/runRecord.ts).
import { json, lifecycleStamps, now, parseJson, StoreError, type StoreContext } from './storeContext.js';
import { getSetting, setSetting } from './settings.js';
import type { BaseModelRecord, CheckpointRecord, JsonObject, RunEpochRecord, RunStatus, Split, TrainingRunRecord } from './storeTypes.js';

// Rows come straight from SQLite; the converters name every column they read.
type Row = Record<string, any>;

const toBaseModel = (r: Row): BaseModelRecord => ({ id: r.id, name: r.name, kind: r.kind, path: r.path, sha256: r.sha256, config: parseJson(r.config), createdAt: r.created_at });

const toRun = (r: Row): TrainingRunRecord => ({
  id: r.id,
  name: r.name,
  baseModelId: r.base_model_id,
  status: r.status,
  config: parseJson(r.config),
  metrics: parseJson(r.metrics),
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const toCheckpoint = (r: Row): CheckpointRecord => ({ id: r.id, runId: r.run_id, epoch: r.epoch, path: r.path, sha256: r.sha256, metrics: parseJson(r.metrics), createdAt: r.created_at });

export function addBaseModel(s: StoreContext, m: { name: string; kind: string; path: string; sha256?: string | null; config?: JsonObject }): BaseModelRecord {
  const id = Number(s.sql('INSERT INTO base_models (name, kind, path, sha256, config, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(m.name, m.kind, m.path, m.sha256 ?? null, json(m.config), now()).lastInsertRowid);
  return getBaseModel(s, id)!;
}

export function getBaseModel(s: StoreContext, id: number): BaseModelRecord | null {
  const r = s.sql('SELECT * FROM base_models WHERE id = ?').get(id) as Row | undefined;
  return r ? toBaseModel(r) : null;
}

export function listBaseModels(s: StoreContext): BaseModelRecord[] {
  return (s.sql('SELECT * FROM base_models ORDER BY id').all() as Row[]).map(toBaseModel);
}

/** The settings key that remembers the largest id of a deleted run (ids are never reused). */
const LAST_DELETED_RUN_KEY = 'runs.lastDeletedId';

export function createRun(s: StoreContext, r: { name: string; baseModelId?: number | null; config?: JsonObject; status?: RunStatus }): TrainingRunRecord {
  // A deleted run's id is never given again: mask versions and exported models keep naming it.
  const floor = (getSetting(s, LAST_DELETED_RUN_KEY) as number | null) ?? 0;
  const id = s.transaction(() => {
    const next = Math.max((s.sql('SELECT COALESCE(MAX(id), 0) AS m FROM training_runs').get() as { m: number }).m, floor) + 1;
    s.sql('INSERT INTO training_runs (id, name, base_model_id, status, config, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(next, r.name, r.baseModelId ?? null, r.status ?? 'queued', json(r.config), now());
    return next;
  });
  return getRun(s, id)!;
}

export const MAX_RUN_NAME = 200;

/** Gives a run a new display name (shown wherever the run is named; its id and folder stay). */
export function renameRun(s: StoreContext, id: number, name: string): TrainingRunRecord {
  const clean = name.trim();
  if (!clean) throw new StoreError('a run name cannot be empty');
  if (clean.length > MAX_RUN_NAME) throw new StoreError(`a run name has at most ${MAX_RUN_NAME} characters`);
  if (s.sql('UPDATE training_runs SET name = ? WHERE id = ?').run(clean, id).changes === 0) throw new StoreError(`no training run with id ${id}`);
  return getRun(s, id)!;
}

/**
 * Deletes a run's records: the run, its epochs, mask-version list and checkpoints. Batch jobs that
 * segmented with one of its checkpoints keep their results and stop pointing at it; mask versions
 * it predicted keep its id (never reused). Whether it may be deleted is the caller's business.
 */
export function deleteRunRecords(s: StoreContext, id: number): void {
  s.transaction(() => {
    if (!getRun(s, id)) throw new StoreError(`no training run with id ${id}`);
    s.sql('UPDATE batch_jobs SET checkpoint_id = NULL WHERE checkpoint_id IN (SELECT id FROM checkpoints WHERE run_id = ?)').run(id);
    s.sql('DELETE FROM checkpoints WHERE run_id = ?').run(id);
    s.sql('DELETE FROM run_epochs WHERE run_id = ?').run(id);
    s.sql('DELETE FROM run_mask_versions WHERE run_id = ?').run(id);
    s.sql('DELETE FROM training_runs WHERE id = ?').run(id);
    const floor = (getSetting(s, LAST_DELETED_RUN_KEY) as number | null) ?? 0;
    if (id > floor) setSetting(s, LAST_DELETED_RUN_KEY, id);
  });
}

export function getRun(s: StoreContext, id: number): TrainingRunRecord | null {
  const r = s.sql('SELECT * FROM training_runs WHERE id = ?').get(id) as Row | undefined;
  return r ? toRun(r) : null;
}

export function listRuns(s: StoreContext): TrainingRunRecord[] {
  return (s.sql('SELECT * FROM training_runs ORDER BY id').all() as Row[]).map(toRun);
}

/** Updates a run's status (stamping start/finish times) and optionally its summary metrics/error. */
export function updateRun(s: StoreContext, id: number, u: { status?: RunStatus; metrics?: JsonObject; error?: string | null; config?: JsonObject }): TrainingRunRecord {
  const cur = getRun(s, id);
  if (!cur) throw new StoreError(`no training run with id ${id}`);
  const status = u.status ?? cur.status;
  const { startedAt, finishedAt } = lifecycleStamps(cur, status);
  s.sql('UPDATE training_runs SET status = ?, metrics = ?, error = ?, config = ?, started_at = ?, finished_at = ? WHERE id = ?').run(
    status,
    json(u.metrics ?? cur.metrics),
    u.error === undefined ? cur.error : u.error,
    json(u.config ?? cur.config),
    startedAt,
    finishedAt,
    id,
  );
  return getRun(s, id)!;
}

/** Records (or replaces, if re-run after a resume) one epoch's metrics. */
export function addRunEpoch(s: StoreContext, runId: number, epoch: number, metrics: JsonObject): RunEpochRecord {
  const t = now();
  s.sql('INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics, created_at) VALUES (?, ?, ?, ?)').run(runId, epoch, json(metrics), t);
  return { runId, epoch, metrics, createdAt: t };
}

export function listRunEpochs(s: StoreContext, runId: number): RunEpochRecord[] {
  return (s.sql('SELECT * FROM run_epochs WHERE run_id = ? ORDER BY epoch').all(runId) as { run_id: number; epoch: number; metrics: string; created_at: string }[]).map((r) => ({
    runId: r.run_id,
    epoch: r.epoch,
    metrics: parseJson(r.metrics),
    createdAt: r.created_at,
  }));
}

/** Records exactly which mask versions a run used, with the split each was used as. */
export function setRunMaskVersions(s: StoreContext, runId: number, used: { maskVersionId: number; split: Split }[]): void {
  const ins = s.sql('INSERT OR REPLACE INTO run_mask_versions (run_id, mask_version_id, split) VALUES (?, ?, ?)');
  s.transaction(() => {
    for (const u of used) ins.run(runId, u.maskVersionId, u.split);
  });
}

export function runMaskVersions(s: StoreContext, runId: number): { maskVersionId: number; split: Split }[] {
  return (s.sql('SELECT mask_version_id, split FROM run_mask_versions WHERE run_id = ? ORDER BY mask_version_id').all(runId) as { mask_version_id: number; split: Split }[]).map((r) => ({
    maskVersionId: r.mask_version_id,
    split: r.split,
  }));
}

export function addCheckpoint(s: StoreContext, c: { runId?: number | null; epoch?: number | null; path: string; sha256?: string | null; metrics?: JsonObject }): CheckpointRecord {
  const id = Number(s.sql('INSERT INTO checkpoints (run_id, epoch, path, sha256, metrics, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(c.runId ?? null, c.epoch ?? null, c.path, c.sha256 ?? null, json(c.metrics), now()).lastInsertRowid);
  return getCheckpoint(s, id)!;
}

export function getCheckpoint(s: StoreContext, id: number): CheckpointRecord | null {
  const r = s.sql('SELECT * FROM checkpoints WHERE id = ?').get(id) as Row | undefined;
  return r ? toCheckpoint(r) : null;
}

export function listCheckpoints(s: StoreContext, runId?: number): CheckpointRecord[] {
  const rows = (runId === undefined ? s.sql('SELECT * FROM checkpoints ORDER BY id').all() : s.sql('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY id').all(runId)) as Row[];
  return rows.map(toCheckpoint);
}
