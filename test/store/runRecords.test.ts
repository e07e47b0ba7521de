// Renaming and deleting run records (store): a rename trims and refuses empty names; deleting a
// run removes its epochs, mask-version list and checkpoints, detaches batch jobs that used one of
// its checkpoints, keeps the mask versions it predicted, and its id is never given to a new run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ProjectStore, type NewImage } from '../../app/store/projectStore.js';
import { tempDir } from '../helpers/tempDir.js';

test('rename and delete a run; a deleted run id is never reused', () => {
  const dir = tempDir('runrec');
  const s = ProjectStore.create(dir, { name: 'p', classes: ['scratch'] });
  try {
    const { sha256 } = s.content.put('images', Buffer.from('img'), 'png');
    const image: NewImage = { sha256, ext: 'png', originalName: 'a.png', sourcePath: null, width: 2, height: 1, split: 'train', groupKey: null, conversion: null, status: 'new' };
    const [imageId] = s.commitImport({ source: 't', format: 't', report: {} }, [image]).imageIds;
    const human = s.addMaskVersion(imageId!, new Uint8Array([1, 0]), { source: 'manual' });
    const a = s.createRun({ name: 'a' });
    const b = s.createRun({ name: 'b' });
    assert.deepEqual([a.id, b.id], [1, 2]);

    assert.equal(s.renameRun(b.id, '  night shift  ').name, 'night shift');
    assert.throws(() => s.renameRun(b.id, '   '), /cannot be empty/);
    assert.throws(() => s.renameRun(99, 'x'), /no training run with id 99/);

    s.addRunEpoch(b.id, 1, { trainLoss: 0.5 });
    s.setRunMaskVersions(b.id, [{ maskVersionId: human.id, split: 'train' }]);
    const ck = s.addCheckpoint({ runId: b.id, epoch: 1, path: 'runs/2/best' });
    const job = s.createBatchJob({ kind: 'segment-folder', checkpointId: ck.id, items: ['x.png'] });
    const predicted = s.addMaskVersion(imageId!, new Uint8Array([1, 1]), { source: 'model', runId: b.id });

    s.deleteRunRecords(b.id);
    assert.equal(s.getRun(b.id), null);
    assert.deepEqual([s.listRunEpochs(b.id), s.runMaskVersions(b.id), s.listCheckpoints(b.id)], [[], [], []]);
    assert.equal(s.getBatchJob(job.id)!.checkpointId, null);
    assert.equal(s.getMaskVersion(predicted.id)!.runId, b.id, 'the prediction keeps naming the run');
    assert.deepEqual(s.db.pragma('foreign_key_check'), []);
    assert.ok(s.getRun(a.id));

    // The highest id was deleted: the next run is 3, not 2 again.
    assert.equal(s.createRun({ name: 'c' }).id, 3);
    s.close();
    const o = ProjectStore.open(dir);
    assert.equal(o.createRun({ name: 'd' }).id, 4);
    o.close();
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
