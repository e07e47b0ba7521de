// `pasam model import|list` and `pasam predict` end to end, as a user runs them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli } from '../helpers/cli.js';
import { fixtureTensor, loadFixture, type SamFixture } from '../helpers/samFixture.js';

let fx: SamFixture;
let dir: string;
let env: Record<string, string>;

before(() => {
  fx = loadFixture();
  dir = mkdtempSync(join(tmpdir(), 'pasam-cli-sam-'));
  env = { PASAM_HOME: join(dir, 'home') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('model import, model list and predict work end to end and match the reference mask', async () => {
  const pth = join(fx.dir, fx.manifest.checkpoints.pth);
  const imp = runCli(['model', 'import', pth, '--name', 'tiny', '--config', join(fx.dir, 'manifest.json'), '--json'], env);
  assert.equal(imp.code, 0, imp.stderr);
  const summary = JSON.parse(imp.stdout);
  assert.equal(summary.name, 'tiny');
  assert.equal(summary.nameStyle, 'official');

  const list = runCli(['model', 'list', '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const models = JSON.parse(list.stdout);
  assert.deepEqual(models.map((m: { name: string }) => m.name), ['tiny']);
  assert.equal(models[0].modelId, summary.modelId);
  assert.equal(models[0].imgSize, fx.config.imgSize);

  const out = join(dir, 'mask.png');
  const p = fx.manifest.prompts.point;
  const args = ['predict', '--model', 'tiny', '--image', join(fx.dir, fx.manifest.image), ...p.point_coords!.flatMap((c, i) => ['--point', `${c[0]},${c[1]},${p.point_labels![i]}`]), '--out', out, '--json'];
  const pred = runCli(args, env);
  assert.equal(pred.code, 0, pred.stderr);
  const report = JSON.parse(pred.stdout);
  const iou = fixtureTensor(fx, 'point_multi_iou').data;
  const best = iou.indexOf(Math.max(...iou));
  assert.equal(report.chosen, best);
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  const [h, w] = fx.manifest.image_size_hw;
  assert.deepEqual([info.height, info.width], [h, w]);
  const ch = info.channels;
  const logits = fixtureTensor(fx, 'point_multi_masks').data.subarray(best * h * w, (best + 1) * h * w);
  let differ = 0;
  for (let i = 0; i < h * w; i++) if ((data[i * ch] > 127) !== (logits[i] > 0) && Math.abs(logits[i]) > 1e-4) differ++;
  assert.equal(differ, 0, 'the written mask is the reference mask thresholded at 0');
  assert.equal(report.area, Array.from(logits).filter((v) => v > 0).length);
});

test('CLI errors: bad usage exits 2, a wrong preset or unknown model exits 1 with the reason', () => {
  const pth = join(fx.dir, fx.manifest.checkpoints.pth);
  const wrong = runCli(['model', 'import', pth, '--preset', 'vit_h', '--name', 'x'], env);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /does not fit preset vit_h/);
  assert.match(wrong.stderr, /image_encoder\.pos_embed: expected \[1, 64, 64, 1280\], found \[1, 10, 10, 48\]/);
  const usage = runCli(['predict', '--model', 'tiny', '--image', 'a.png', '--out', 'b.png', '--point', '1,2'], env);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--point must be 3 comma-separated numbers/);
  const missing = runCli(['predict', '--model', 'nope', '--image', join(fx.dir, fx.manifest.image), '--out', join(dir, 'x.png'), '--box', '1,2,3,4'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /model 'nope' is not in the library/);
});
