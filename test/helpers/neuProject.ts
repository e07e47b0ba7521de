// Builds real projects from NEU-Seg images through the store's own import pipeline.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_DIR } from './cli.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { runImport } from '../../app/dataset/importPipeline.js';
import { decodeMaskPng } from '../../app/images/imageIO.js';
import type { ImportCandidate } from '../../app/dataset/importTypes.js';
import type { Split } from '../../app/store/storeTypes.js';

export const NEU_DIR = join(SHARED_DIR, 'datasets', 'neu-seg');
export const NEU_CLASSES = ['inclusion', 'patches', 'scratches'];

export interface NeuRow {
  id: string;
  split: 'train' | 'test';
  classes: string;
  pixels: [number, number, number];
}

export function neuManifest(): NeuRow[] {
  const lines = readFileSync(join(NEU_DIR, 'manifest.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const c = l.split(',');
    return { id: c[0]!, split: c[1] as 'train' | 'test', classes: c[4]!, pixels: [Number(c[5]), Number(c[6]), Number(c[7])] };
  });
}

/** The 11 test images that duplicate training images (the dataset README lists them). */
export const NEU_CROSS_SPLIT_DUPLICATES = ['test_000043', 'test_000044', 'test_000532', 'test_000547', 'test_000723', 'test_000724', 'test_000747', 'test_000752', 'test_000755', 'test_000756', 'test_000757'];

export async function neuCandidate(id: string, split: Split): Promise<ImportCandidate> {
  const maskPath = join(NEU_DIR, 'masks', `${id}.png`);
  const mask = await decodeMaskPng(readFileSync(maskPath), maskPath);
  return { sourcePath: join(NEU_DIR, 'images', `${id}.jpg`), originalName: `${id}.jpg`, imageBytes: readFileSync(join(NEU_DIR, 'images', `${id}.jpg`)), mask: { ...mask, sourcePath: maskPath }, split };
}

/** A new project in a temp folder with the given NEU-Seg images (id → split). */
export async function makeNeuProject(images: [string, Split][], dir = mkdtempSync(join(tmpdir(), 'pasam-engine-'))): Promise<string> {
  const store = ProjectStore.create(dir, { name: 'neu', classes: NEU_CLASSES });
  try {
    const candidates: ImportCandidate[] = [];
    for (const [id, split] of images) candidates.push(await neuCandidate(id, split));
    const report = await runImport(store, candidates, { format: 'neu-test', source: NEU_DIR });
    if (report.failed || report.added !== images.length) throw new Error(`NEU import failed: ${JSON.stringify(report.problems)}`);
  } finally {
    store.close();
  }
  return dir;
}
