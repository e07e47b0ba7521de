// Versioned schema of project.db. The version lives in PRAGMA user_version; step k (1-based) turns
// a version k-1 database into version k. Steps are append-only: never edit a released step, add one.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'project, classes, imports, images, mask versions',
    sql: `
      CREATE TABLE project (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- index 0 (background) is implicit and never stored
      CREATE TABLE classes (
        idx INTEGER PRIMARY KEY CHECK (idx BETWEEN 1 AND 255),
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        color TEXT NOT NULL
      );
      CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        added INTEGER NOT NULL,
        report TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        ext TEXT NOT NULL,
        original_name TEXT NOT NULL,
        source_path TEXT,
        width INTEGER NOT NULL CHECK (width > 0),
        height INTEGER NOT NULL CHECK (height > 0),
        split TEXT NOT NULL DEFAULT 'unassigned' CHECK (split IN ('train', 'val', 'test', 'unassigned')),
        split_locked INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'annotated', 'reviewed')),
        group_key TEXT,
        conversion TEXT,
        import_id INTEGER REFERENCES imports(id),
        created_at TEXT NOT NULL
      );
      CREATE INDEX images_split ON images(split);
      CREATE INDEX images_status ON images(status);
      CREATE INDEX images_group ON images(group_key);
      -- run_id has no foreign key: it may name a training run or an inference run (tables of v2+).
      CREATE TABLE mask_versions (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('import', 'manual', 'sam', 'model')),
        run_id INTEGER,
        note TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (image_id, version)
      );
      -- pixel count of every non-background class value in a mask version (fast class filters)
      CREATE TABLE mask_classes (
        mask_version_id INTEGER NOT NULL REFERENCES mask_versions(id),
        class_idx INTEGER NOT NULL,
        pixels INTEGER NOT NULL,
        PRIMARY KEY (mask_version_id, class_idx)
      ) WITHOUT ROWID;
      CREATE INDEX mask_classes_class ON mask_classes(class_idx);
    `,
  },
  {
    version: 2,
    description: 'base models, training runs, per-epoch metrics, run mask versions, checkpoints',
    sql: `
      CREATE TABLE base_models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT,
        config TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        base_model_id INTEGER REFERENCES base_models(id),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        config TEXT NOT NULL DEFAULT '{}',
        metrics TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE run_epochs (
        run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, epoch)
      );
      -- exactly which mask versions a run trained/validated on
      CREATE TABLE run_mask_versions (
        run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        mask_version_id INTEGER NOT NULL REFERENCES mask_versions(id),
        split TEXT NOT NULL,
        PRIMARY KEY (run_id, mask_version_id)
      );
      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES training_runs(id),
        epoch INTEGER,
        path TEXT NOT NULL,
        sha256 TEXT,
        metrics TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX mask_versions_source ON mask_versions(source, image_id);
    `,
  },
  {
    version: 3,
    description: 'batch jobs and items, embedding cache bookkeeping',
    sql: `
      CREATE TABLE batch_jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        checkpoint_id INTEGER REFERENCES checkpoints(id),
        source TEXT,
        output TEXT,
        config TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE batch_job_items (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        source_path TEXT NOT NULL,
        image_id INTEGER REFERENCES images(id),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'skipped')),
        result TEXT,
        error TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX batch_job_items_job ON batch_job_items(job_id, status);
      CREATE TABLE embeddings (
        image_id INTEGER NOT NULL REFERENCES images(id),
        model_key TEXT NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (image_id, model_key)
      );
    `,
  },
  {
    version: 4,
    description: 'project settings (e.g. the active model)',
    sql: `
      -- one JSON value per key
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'recoverable trash for images',
    sql: `
      -- set when the image was moved to the Trash: it leaves every listing, count, split, training,
      -- evaluation and export, and keeps its rows and files until deleted permanently
      ALTER TABLE images ADD COLUMN trashed_at TEXT;
      CREATE INDEX images_trashed ON images(trashed_at);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` from its current version up to `target` (default: latest), one transaction per step,
 * so that a crash leaves the database at a whole version. Refuses a database newer than this code.
 */
export function migrate(db: Database.Database, target: number = LATEST_VERSION, file = 'project.db'): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > LATEST_VERSION) {
    throw new Error(`${file}: schema version ${from} is newer than this pasam understands (up to ${LATEST_VERSION}); update pasam to open this project`);
  }
  if (target > LATEST_VERSION || target < from) throw new Error(`cannot migrate ${file} from version ${from} to ${target}`);
  for (const step of MIGRATIONS) {
    if (step.version <= from || step.version > target) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  return { from, to: target };
}
