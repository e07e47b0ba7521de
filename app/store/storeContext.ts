// What the record modules (classes, images, masks, runs, batchJobs, settings, embeddings) need
// from an open project: its folder, its SQLite connection with cached statements, its content
// files and a write transaction. ProjectStore provides it; the modules never open anything.
import type Database from 'better-sqlite3';
import type { ContentStore } from './contentStore.js';
import type { JsonObject } from './storeTypes.js';

export interface StoreContext {
  readonly dir: string;
  readonly db: Database.Database;
  readonly content: ContentStore;
  /** A prepared statement, cached. */
  sql(source: string): Database.Statement;
  /** Runs `fn` in one IMMEDIATE write transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
}

/**
 * A thrown error whose message is meant for the user as-is: a bad request, not a fault. The store
 * and the use cases above it throw it (or a subclass); the API answers it as 'bad-request'.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A UsageError from the project store (bad names, unknown ids, damaged files). */
export class StoreError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export const now = (): string => new Date().toISOString();
export const json = (v: JsonObject | null | undefined): string => JSON.stringify(v ?? {});
export const parseJson = (s: string | null): JsonObject => (s ? (JSON.parse(s) as JsonObject) : {});

/** Latest mask version of every image (versions only grow, so the largest id is the latest). */
export const LATEST_MASKS = 'SELECT image_id, MAX(id) AS id FROM mask_versions GROUP BY image_id';

/** Start/finish stamps of a run or job moving to `status` (shared by training runs and batch jobs). */
export function lifecycleStamps(cur: { startedAt: string | null; finishedAt: string | null }, status: string): { startedAt: string | null; finishedAt: string | null } {
  const t = now();
  return {
    startedAt: cur.startedAt ?? (status === 'running' ? t : null),
    finishedAt: ['completed', 'failed', 'cancelled'].includes(status) ? (cur.finishedAt ?? t) : null,
  };
}
