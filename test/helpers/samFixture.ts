// Reads a SAM parity fixture made with the reference implementation (manifest.json + raw float32).
import { after, before } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { importCheckpoint } from '../../app/model/checkpoint/importer.js';
import { configFromReference, type SamConfig } from '../../app/model/sam/config.js';
import { loadModelWeights } from '../../app/model/library.js';
import type { SamWeights } from '../../app/model/sam/weights.js';
import type { RgbImage } from '../../app/model/sam/transforms.js';
import { SHARED_DIR } from './cli.js';

export const FIXTURE_DIR = process.env.PASAM_SAM_FIXTURE ?? join(SHARED_DIR, 'fixtures', 'sam-tiny');
export const MOBILE_SAM_FIXTURE_DIR = process.env.PASAM_MOBILESAM_FIXTURE ?? join(SHARED_DIR, 'fixtures', 'mobile-sam');

export interface FixturePrompt {
  point_coords: number[][] | null;
  point_labels: number[] | null;
  box: number[] | null;
  mask_input?: string;
}
export interface SamFixture {
  dir: string;
  config: SamConfig;
  rawConfig: Record<string, unknown>;
  manifest: {
    image: string;
    image_size_hw: [number, number];
    checkpoints: Record<string, string>;
    prompts: Record<string, FixturePrompt>;
    tensors: Record<string, { shape: number[]; dtype: string; file: string }>;
  };
}

export function loadFixture(dir = FIXTURE_DIR): SamFixture {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return { dir, manifest, rawConfig: manifest.config, config: configFromReference(manifest.config, join(dir, 'manifest.json')) };
}

export function fixtureTensor(f: SamFixture, name: string): { data: Float32Array; shape: number[] } {
  const t = f.manifest.tensors[name];
  if (!t) throw new Error(`fixture has no tensor '${name}'`);
  const buf = readFileSync(join(f.dir, t.file));
  const data = new Float32Array(buf.length / 4);
  new Uint8Array(data.buffer).set(buf);
  return { data, shape: t.shape };
}

export function fixtureFile(f: SamFixture, rel: string): Float32Array {
  const buf = readFileSync(join(f.dir, rel));
  const data = new Float32Array(buf.length / 4);
  new Uint8Array(data.buffer).set(buf);
  return data;
}

export async function fixtureImage(f: SamFixture): Promise<RgbImage> {
  const { data, info } = await sharp(join(f.dir, f.manifest.image)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** NCHW (1, C, H, W) from NHWC data. */
export function nhwcToNchw(data: Float32Array | Uint8Array | number[], h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = data[(y * w + x) * c + k] as number;
  return out;
}

/** Largest violation of |a−b| ≤ 1e-4 or ≤ 1e-4·|b|; returns undefined when all pass. */
export function compareTensors(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ expected ${expected.length}`;
  let worst = -1;
  let worstErr = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol || err <= tol * Math.abs(expected[i]))) {
      bad++;
      if (err > worstErr || Number.isNaN(err)) (worstErr = err), (worst = i);
    }
  }
  if (bad === 0) return undefined;
  return `${bad} of ${expected.length} values off; worst at ${worst}: ${actual[worst]} vs ${expected[worst]} (|Δ| ${worstErr})`;
}

/**
 * A temporary folder for the test file, with PASAM_HOME = <dir>/home while it runs (restored and
 * removed after). Call at module level, before the file's own `before` hooks.
 */
export function useTempPasamHome(prefix: string): { readonly dir: string } {
  const state = { dir: '' };
  const saved = process.env.PASAM_HOME;
  before(() => {
    state.dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.PASAM_HOME = join(state.dir, 'home');
  });
  after(() => {
    if (saved === undefined) delete process.env.PASAM_HOME;
    else process.env.PASAM_HOME = saved;
    rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}

/** Imports the fixture's checkpoint (`pth` by default) into the library under `name`. */
export function importFixtureModel(f: SamFixture, name = 'tiny', checkpoint = 'pth') {
  return importCheckpoint(join(f.dir, f.manifest.checkpoints[checkpoint]), { name, config: f.config });
}

/**
 * Imports the MobileSAM fixture's `.pt` (official key names; the architecture read from its
 * shapes) into the library under `name` and loads it (needs useTempPasamHome).
 */
export async function importMobileSamFixture(name: string, dir = MOBILE_SAM_FIXTURE_DIR): Promise<{ weights: SamWeights; config: SamConfig }> {
  const f = loadFixture(dir);
  await importCheckpoint(join(f.dir, f.manifest.checkpoints.pt ?? Object.values(f.manifest.checkpoints)[0]!), { name });
  const loaded = await loadModelWeights(name);
  return { weights: loaded.weights, config: loaded.manifest.config };
}
