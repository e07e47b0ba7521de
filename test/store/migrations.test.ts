import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../app/store/migrations.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { encodeGrey8Png } from '../../app/images/greyPng.js';
import { ContentStore } from '../../app/store/contentStore.js';

const NOW = '2026-01-01T00:00:00.000Z';

function tableNames(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

function schemaSql(db: Database.Database): string[] {
  return (db.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name").all() as { sql: string }[]).map((r) => r.sql.replace(/\s+/g, ' '));
}

test('migration steps are numbered 1..N and there are at least three', () => {
  assert.ok(MIGRATIONS.length >= 3);
  MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1));
  assert.equal(LATEST_VERSION, MIGRATIONS.length);
});

test('an empty database migrates to the latest version; migrating again is a no-op', () => {
  const db = new Database(':memory:');
  assert.equal(schemaVersion(db), 0);
  assert.deepEqual(migrate(db), { from: 0, to: LATEST_VERSION });
  assert.equal(schemaVersion(db), LATEST_VERSION);
  const names = tableNames(db);
  for (const t of ['project', 'classes', 'images', 'mask_versions', 'imports', 'base_models', 'training_runs', 'run_epochs', 'run_mask_versions', 'checkpoints', 'batch_jobs', 'batch_job_items', 'embeddings', 'settings']) {
    assert.ok(names.includes(t), `table ${t}`);
  }
  assert.deepEqual(migrate(db), { from: LATEST_VERSION, to: LATEST_VERSION });
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

/** Data a version-k database can hold, inserted with plain SQL as an older pasam would have. */
function seed(db: Database.Database, dir: string, version: number): void {
  db.prepare("INSERT INTO project (id, name, created_at) VALUES (1, 'old', ?)").run(NOW);
  db.prepare("INSERT INTO classes (idx, name, color) VALUES (1, 'scratch', '#ff0000'), (2, 'pit', '#00ff00')").run();
  db.prepare("INSERT INTO imports (id, source, format, added, report, created_at) VALUES (1, '/src', 'folder', 1, '{}', ?)").run(NOW);
  db.prepare("INSERT INTO images (id, sha256, ext, original_name, width, height, split, status, import_id, created_at) VALUES (1, ?, 'png', 'a.png', 2, 2, 'train', 'annotated', 1, ?)").run('a'.repeat(64), NOW);
  const png = encodeGrey8Png(new Uint8Array([0, 1, 2, 2]), 2, 2);
  const { sha256 } = new ContentStore(dir).put('masks', png, 'png');
  db.prepare("INSERT INTO mask_versions (id, image_id, version, sha256, source, created_at) VALUES (1, 1, 1, ?, 'manual', ?)").run(sha256, NOW);
  db.prepare('INSERT INTO mask_classes (mask_version_id, class_idx, pixels) VALUES (1, 1, 1), (1, 2, 2)').run();
  if (version >= 2) {
    db.prepare("INSERT INTO base_models (id, name, kind, path, created_at) VALUES (1, 'sam', 'sam-vit-b', 'models/sam.bin', ?)").run(NOW);
    db.prepare("INSERT INTO training_runs (id, name, base_model_id, status, config, created_at) VALUES (1, 'r', 1, 'completed', '{\"lr\":0.001}', ?)").run(NOW);
    db.prepare("INSERT INTO run_epochs (run_id, epoch, metrics, created_at) VALUES (1, 1, '{\"loss\":0.5}', ?)").run(NOW);
    db.prepare("INSERT INTO run_mask_versions (run_id, mask_version_id, split) VALUES (1, 1, 'train')").run();
    db.prepare("INSERT INTO checkpoints (id, run_id, epoch, path, created_at) VALUES (1, 1, 1, 'runs/1/e1.bin', ?)").run(NOW);
  }
  if (version >= 3) {
    db.prepare("INSERT INTO batch_jobs (id, kind, status, source, output, config, created_at) VALUES (1, 'segment-folder', 'running', '/in', '/out', '{\"overlay\":true}', ?)").run(NOW);
    db.prepare("INSERT INTO batch_job_items (id, job_id, source_path, status, result, updated_at) VALUES (1, 1, 'a.png', 'done', '{\"mask\":\"a.png\"}', ?)").run(NOW);
  }
}

for (let k = 1; k < LATEST_VERSION; k++) {
  test(`a version ${k} project opens with its data intact and is migrated to version ${LATEST_VERSION}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pasam-mig-'));
    try {
      mkdirSync(join(dir, 'images'));
      const db = new Database(join(dir, 'project.db'));
      db.pragma('journal_mode = WAL');
      migrate(db, k);
      assert.equal(schemaVersion(db), k);
      seed(db, dir, k);
      db.close();

      const s = ProjectStore.open(dir);
      assert.equal(s.info().schemaVersion, LATEST_VERSION);
      assert.equal(s.info().name, 'old');
      assert.deepEqual(s.listClasses().map((c) => c.name), ['scratch', 'pit']);
      const img = s.getImage(1)!;
      assert.equal(img.originalName, 'a.png');
      assert.equal(img.split, 'train');
      assert.equal(img.importId, 1);
      assert.deepEqual(s.readMask(s.latestMask(1)!), new Uint8Array([0, 1, 2, 2]));
      assert.deepEqual(s.listImages({ classIndex: 2 }).map((i) => i.id), [1]);
      if (k >= 2) {
        assert.deepEqual(s.getRun(1)!.config, { lr: 0.001 });
        assert.deepEqual(s.listRunEpochs(1)[0]!.metrics, { loss: 0.5 });
        assert.deepEqual(s.runMaskVersions(1), [{ maskVersionId: 1, split: 'train' }]);
        assert.equal(s.listCheckpoints(1)[0]!.path, 'runs/1/e1.bin');
      }
      if (k >= 3) {
        assert.deepEqual(s.getBatchJob(1)!.config, { overlay: true });
        assert.deepEqual(s.listBatchJobItems(1)[0]!.result, { mask: 'a.png' });
        assert.deepEqual(s.batchJobProgress(1), { pending: 0, done: 1, failed: 0, skipped: 0 });
      }
      // tables of later versions work on the migrated database
      const job = s.createBatchJob({ kind: 'segment-folder', items: ['x.png'] });
      assert.equal(s.listBatchJobItems(job.id).length, 1);
      s.setSetting('activeModel', { runId: 1 });
      assert.deepEqual(s.getSetting('activeModel'), { runId: 1 });
      assert.equal(s.db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(s.db.pragma('foreign_key_check'), []);
      s.close();

      // the migrated schema equals a fresh one
      const fresh = new Database(':memory:');
      migrate(fresh);
      const migrated = new Database(join(dir, 'project.db'), { readonly: true });
      assert.deepEqual(schemaSql(migrated), schemaSql(fresh));
      fresh.close();
      migrated.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a project from a newer pasam is refused with a clear error and left untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pasam-mig-'));
  try {
    const s = ProjectStore.create(dir, { name: 'p' });
    s.db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    s.close();
    assert.throws(() => ProjectStore.open(dir), new RegExp(`schema version ${LATEST_VERSION + 1} is newer than this pasam understands \\(up to ${LATEST_VERSION}\\)`));
    const db = new Database(join(dir, 'project.db'), { readonly: true });
    assert.equal(schemaVersion(db), LATEST_VERSION + 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing migration step rolls back to the previous whole version', () => {
  const db = new Database(':memory:');
  migrate(db, 1);
  db.exec('CREATE TABLE base_models (x INTEGER)'); // collides with step 2
  assert.throws(() => migrate(db), /already exists/);
  assert.equal(schemaVersion(db), 1);
  assert.ok(!tableNames(db).includes('training_runs'), 'nothing of step 2 remains');
  db.close();
});
