// A `pasam serve` over a fresh workspace holding one NEU-Seg project whose images (with masks) are
// all in the train split: the starting point of the fine-tuning and batch end-to-end tests.
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../../helpers/cli.js';
import { startServe, tempDir, type ServeHandle } from './serveProcess.js';

export const NEU = join(SHARED_DIR, 'datasets', 'neu-seg');
export const NEU_CLASSES = [
  { name: 'inclusion', color: '#e6194b' },
  { name: 'patches', color: '#3cb44b' },
  { name: 'scratches', color: '#ffe119' },
];

/** Four NEU-Seg training images covering the three classes: enough for a run of a few seconds. */
export const NEU_TRAIN_FOUR = ['train_000201', 'train_000501', 'train_000601', 'train_003591'];
/** The training tests pin the backend the CI machine has (wasm) so timings and results are comparable. */
export const WASM_ENV = { PASAM_BACKEND: 'wasm' };

export async function startNeuTrainProject(prefix: string, name: string, ids: readonly string[], env: Record<string, string>): Promise<{ serve: ServeHandle; home: string; projectDir: string }> {
  const r = await startNeuProject(prefix, name, { train: ids }, env);
  return { serve: r.serve, home: r.home, projectDir: r.projectDir };
}

/**
 * A served NEU-Seg project: the images of each split imported with their masks and put in that
 * split, plus `bare` images imported without masks (unassigned). `ids` maps NEU names to image ids.
 */
export async function startNeuProject(
  prefix: string,
  name: string,
  splits: { train?: readonly string[]; val?: readonly string[]; test?: readonly string[]; bare?: readonly string[] },
  env: Record<string, string>,
): Promise<{ serve: ServeHandle; home: string; projectDir: string; ids: Record<string, number> }> {
  const home = tempDir(`${prefix}-home`);
  const workspace = tempDir(`${prefix}-ws`);
  const images = tempDir(`${prefix}-img`);
  const masks = tempDir(`${prefix}-masks`);
  const labelled = (['train', 'val', 'test'] as const).flatMap((s) => splits[s] ?? []);
  for (const id of labelled) {
    symlinkSync(join(NEU, 'images', `${id}.jpg`), join(images, `${id}.jpg`));
    symlinkSync(join(NEU, 'masks', `${id}.png`), join(masks, `${id}.png`));
  }
  const projectDir = join(workspace, 'neu');
  const serve = await startServe(['--workspace', workspace], { PASAM_HOME: home, ...env });
  await serve.rpc('projects.create', { dir: projectDir, name, classes: NEU_CLASSES });
  if (labelled.length) await serve.rpc('images.import', { path: images, masks });
  if (splits.bare?.length) {
    const bare = tempDir(`${prefix}-bare`);
    for (const id of splits.bare) symlinkSync(join(NEU, 'images', `${id}.jpg`), join(bare, `${id}.jpg`));
    await serve.rpc('images.import', { path: bare });
  }
  const ids: Record<string, number> = {};
  for (const r of (await serve.rpc<{ items: { id: number; name: string }[] }>('images.list', {})).items) ids[r.name.replace(/\.jpg$/, '')] = r.id;
  for (const split of ['train', 'val', 'test'] as const) {
    if (splits[split]?.length) await serve.rpc('images.setSplit', { ids: splits[split]!.map((n) => ids[n]!), split });
  }
  return { serve, home, projectDir, ids };
}
