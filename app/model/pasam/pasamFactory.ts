// One entry point for the engine and the CLI: a PA-SAM model from a spec naming its base — a SAM
// model in the library (imported with `pasam model import`) or a preset trained from scratch.
import { loadModelWeights } from '../library.js';
import { disposeSamWeights } from '../sam/weights.js';
import { BACKBONE_NAMES, type BackboneName } from './backbones.js';
import { parsePasamConfig } from './pasamConfig.js';
import { PasamModel } from './pasamModel.js';

export type PasamBase = { kind: 'library'; model: string } | { kind: 'scratch'; preset: BackboneName };

export interface PasamSpec {
  base: PasamBase;
  /** PA-SAM options (JSON; defaults for anything left out). */
  config?: unknown;
  /** K+1: background plus the defect classes. */
  numClasses: number;
  seed?: number;
}

export interface BuiltPasam {
  model: PasamModel;
  /** What the trained tensors must be loaded onto again: the library model's id, or the preset. */
  baseId: string;
}

/** Parses 'scratch:<preset>' or a library model name into a base. */
export function parsePasamBase(text: string): PasamBase {
  if (text.startsWith('scratch:')) {
    const preset = text.slice('scratch:'.length);
    if (!(BACKBONE_NAMES as readonly string[]).includes(preset)) throw new Error(`unknown preset in '${text}' (known: ${BACKBONE_NAMES.map((n) => `scratch:${n}`).join(', ')})`);
    return { kind: 'scratch', preset: preset as BackboneName };
  }
  return { kind: 'library', model: text };
}

export async function createPasam(spec: PasamSpec): Promise<BuiltPasam> {
  const config = parsePasamConfig(spec.config ?? {});
  const opts = { numClasses: spec.numClasses, seed: spec.seed };
  if (spec.base.kind === 'scratch') {
    return { model: PasamModel.fromScratch(spec.base.preset, config, opts), baseId: `scratch:${spec.base.preset}` };
  }
  const { manifest, weights } = await loadModelWeights(spec.base.model);
  try {
    return { model: PasamModel.fromSam(weights, manifest.config, config, opts), baseId: manifest.modelId };
  } finally {
    disposeSamWeights(weights);
  }
}
