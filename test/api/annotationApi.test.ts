// The annotation and job handlers of ApiService in process, on a real project made from three
// NEU-Seg images: parameter checks answer 'bad-request' / 'not-found', an accepted SAM mask
// annotates its image, image rows carry the latest mask, classes edit in one call, and the
// run / batch listings of a project without runs are empty.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiService } from '../../app/api/apiService.js';
import { ApiError } from '../../app/api/apiErrors.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { tempDir } from '../helpers/tempDir.js';

const api = new ApiService({ transport: 'http', home: tempDir('annot-api-home') });
after(() => api.close());

const code = (c: string) => (err: unknown) => err instanceof ApiError && err.code === c;

test('project, classes, images and masks through the handlers', async () => {
  const dir = join(tempDir('annot-api'), 'p');
  await assert.rejects(api.call('projects.create', { dir: 'relative/p', name: 'x' }), code('bad-request'));
  await assert.rejects(api.invoke('projects.create', { dir, name: 'p', classes: [{ name: 'scratch', color: 'red' }] }), code('bad-request'));
  const summary = await api.invoke('projects.create', { dir, name: 'p', classes: [{ name: 'scratch', color: '#112233' }, { name: 'pit' }] } as never);
  assert.deepEqual(summary.classes.map((c) => [c.index, c.name]), [[1, 'scratch'], [2, 'pit']]);
  assert.equal(summary.classes[0]!.color, '#112233');

  const classes = await api.invoke('classes.update', { index: 2, name: 'pitting', color: '#AABBCC' });
  assert.deepEqual(classes[1], { index: 2, name: 'pitting', color: '#aabbcc' });
  await assert.rejects(api.invoke('classes.update', { index: 9, name: 'x' }), code('not-found'));
  await assert.rejects(api.invoke('classes.update', { index: 1, name: 'pitting' }), code('bad-request'));

  const src = tempDir('annot-api-src');
  for (const n of ['000001', '000002', '000003']) copyFileSync(join(SHARED_DIR, 'datasets', 'neu-seg', 'images', `test_${n}.jpg`), join(src, `${n}.jpg`));
  await api.invoke('images.import', { path: src });
  const rows = (await api.invoke('images.list', {})).items;
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => r.maskVersion === 0 && r.classes.length === 0 && r.status === 'new'));
  const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];

  const mask = { width: a.width, height: a.height, data: new Uint8Array(a.width * a.height) };
  mask.data.fill(2, 0, 10);
  await assert.rejects(api.invoke('masks.save', { imageId: a.id, mask: { ...mask, width: a.width - 1 }, source: 'sam' }), code('bad-request'));
  await assert.rejects(api.invoke('masks.save', { imageId: 999, mask, source: 'sam' }), code('not-found'));
  const v1 = await api.invoke('masks.save', { imageId: a.id, mask, source: 'sam', note: 'accepted' });
  assert.equal((await api.invoke('images.get', { id: a.id })).image.status, 'annotated', 'an accepted SAM mask annotates');
  await api.invoke('masks.save', { imageId: b.id, mask: { ...mask, data: mask.data.slice() }, source: 'model' });
  assert.equal((await api.invoke('images.get', { id: b.id })).image.status, 'new', 'a model prediction does not');
  mask.data.fill(1, 10, 20);
  const v2 = await api.invoke('masks.save', { imageId: a.id, mask, source: 'manual' });

  const after2 = new Map((await api.invoke('images.list', {})).items.map((r) => [r.id, r]));
  assert.deepEqual([after2.get(a.id)!.maskVersion, after2.get(a.id)!.classes, after2.get(a.id)!.hasPrediction], [2, [1, 2], false]);
  assert.deepEqual([after2.get(b.id)!.maskVersion, after2.get(b.id)!.classes, after2.get(b.id)!.hasPrediction], [1, [2], true]);
  assert.deepEqual((await api.invoke('images.list', { filter: { classIndex: 1 } })).items.map((r) => r.id), [a.id]);

  const latest = await api.invoke('masks.get', { imageId: a.id });
  assert.equal(latest.version!.id, v2.id);
  assert.deepEqual(latest.mask!.data, mask.data);
  const first = await api.invoke('masks.get', { imageId: a.id, versionId: v1.id });
  assert.equal(first.mask!.data.slice(10, 20).every((v) => v === 0), true);
  await assert.rejects(api.invoke('masks.get', { imageId: b.id, versionId: v1.id }), code('not-found'));
  assert.deepEqual((await api.invoke('masks.versions', { imageId: a.id })).map((v) => v.source), ['sam', 'manual']);

  const listing = await api.invoke('host.listDir', { path: join(dir, '..') });
  assert.deepEqual(listing.entries.map((e) => [e.name, e.isProject]), [['p', true]]);
});

test('run and batch listings and their not-found answers', async () => {
  assert.deepEqual(await api.invoke('training.runs', {}), []);
  assert.deepEqual(await api.invoke('batch.jobs', {}), []);
  assert.deepEqual(await api.invoke('model.active', {}), { runId: null, name: null });
  await assert.rejects(api.invoke('training.run', { runId: 4 }), code('not-found'));
  await assert.rejects(api.invoke('batch.items', { jobId: 4 }), code('not-found'));
  await assert.rejects(api.invoke('batch.resume', { jobId: 4 }), code('not-found'));
  assert.deepEqual(await api.invoke('batch.cancel', { jobId: 4 }), { cancelled: false });
  await assert.rejects(api.invoke('batch.start', { input: '/tmp/in', output: '/tmp/out' }), /choose a run or an exported model/);
  await assert.rejects(api.invoke('model.setActive', { runId: 3 }), code('bad-request'));
  await assert.rejects(api.invoke('model.preannotate', {}), (err: unknown) => code('unavailable')(err) && /no fine-tuned model yet/.test((err as Error).message));
  await assert.rejects(api.call('training.evaluate', { runId: 1, split: 'nope' }), code('bad-request'));
});
