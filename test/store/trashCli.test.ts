// `pasam trash` and `pasam info` over a project with a trained-on image: add, list, restore,
// --empty refused without --yes, then deleting for good keeps the image a run used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { ProjectStore, type NewImage } from '../../app/store/projectStore.js';
import { runCliInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tempDir.js';

test('pasam trash: add, list, restore, --empty --yes (keeps run-used images); info counts the Trash', async () => {
  const dir = tempDir('trash-cli');
  try {
    const s = ProjectStore.create(dir, { name: 'p', classes: ['scratch'] });
    const images: NewImage[] = ['a.png', 'b.png', 'c.png'].map((name) => ({ sha256: s.content.put('images', Buffer.from(name), 'png').sha256, ext: 'png', originalName: name, sourcePath: null, width: 1, height: 1, split: 'train', groupKey: null, conversion: null, status: 'new' }));
    const [a, b, c] = s.commitImport({ source: 't', format: 't', report: {} }, images).imageIds;
    const used = s.addMaskVersion(c!, new Uint8Array([1]), { source: 'manual' });
    s.setRunMaskVersions(s.createRun({ name: 'r' }).id, [{ maskVersionId: used.id, split: 'train' }]);
    const aFile = s.imagePath(s.getImage(a!)!);
    s.close();

    let r = await runCliInProcess(['trash', dir, '--add', `a.png,${b},c.png`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /moved 3 image\(s\) to the Trash: a\.png \(#1\), b\.png \(#2\), c\.png \(#3\)/);
    r = await runCliInProcess(['info', dir]);
    assert.match(r.stdout, /images: 0 \(0 with a mask\), from 1 import\(s\); 3 in the Trash/);
    r = await runCliInProcess(['trash', dir, '--json']);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((i) => i.name), ['a.png', 'b.png', 'c.png']);
    r = await runCliInProcess(['trash', dir, '--restore', 'b.png']);
    assert.match(r.stdout, /restored 1 image\(s\)/);
    r = await runCliInProcess(['trash', dir, '--restore', 'b.png']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no image 'b\.png' in the Trash/);
    r = await runCliInProcess(['trash', dir, '--empty']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /add --yes to confirm/);
    assert.ok(existsSync(aFile), 'nothing deleted without --yes');
    r = await runCliInProcess(['trash', dir, '--empty', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted 1 image\(s\) permanently, 1 file\(s\) removed\n  kept c\.png \(#3\): used by run 1/);
    assert.ok(!existsSync(aFile));
    const o = ProjectStore.open(dir);
    assert.deepEqual([o.listImages().map((i) => i.id), o.listImages({ trashed: true }).map((i) => i.id)], [[b], [c]]);
    o.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
