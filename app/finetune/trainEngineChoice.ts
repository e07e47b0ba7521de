// Which engine computes a run's training steps, and on which execution provider: ONNX Runtime
// wherever onnxruntime-node (and its training graphs) load, tfjs otherwise; PASAM_TRAIN_ENGINE
// (ort|tfjs) and PASAM_ORT_EP (cuda|dml|cpu) force a choice. Providers are tried fastest first —
// CUDA (Linux, provider library installed) → DirectML (Windows) → CPU — and every provider not
// taken keeps its reason, for `pasam doctor` and the run's record. This lives above app/engine
// (which may not import app/onnx); the trainer only sees the resulting StepEngine.
import { platform } from 'node:os';
import type { TrainableSegmenter } from '../model/segmenterTypes.js';
import type { TrainConfig } from '../engine/trainConfig.js';
import { createTfjsStepEngine, type StepEngine, type StepLossOptions } from '../engine/stepEngine.js';

export type TrainEngineName = 'ort' | 'tfjs';
export const ORT_PROVIDERS = ['cuda', 'dml', 'cpu'] as const;
export type OrtProvider = (typeof ORT_PROVIDERS)[number];

export interface SkippedOption {
  /** 'onnxruntime', 'cuda', 'dml', ... */
  option: string;
  reason: string;
}

export interface TrainEngineChoice {
  engine: TrainEngineName;
  /** 'cuda' | 'dml' | 'cpu' on ONNX Runtime, 'tfjs-<backend>' on tfjs. */
  executionProvider: string;
  /** Set when PASAM_TRAIN_ENGINE / PASAM_ORT_EP decided. */
  forcedBy: string | null;
  /** Every faster option not taken, with why. */
  skipped: SkippedOption[];
}

/** What a run records about the engine that trained it (run metrics `trainedWith`). */
export interface TrainedWith {
  engine: TrainEngineName;
  executionProvider: string;
  recompute: boolean;
  skipped: SkippedOption[];
}

export interface EngineEnv {
  PASAM_TRAIN_ENGINE?: string;
  PASAM_ORT_EP?: string;
}

/** The facts the choice depends on, gathered once (injectable for tests of the policy itself). */
export interface EngineFacts {
  platform: NodeJS.Platform;
  /** null when onnxruntime-node and its training graphs load; else why not. */
  ortUnavailable: string | null;
  /** Providers onnxruntime-node lists as usable here (bundled or with their library installed). */
  ortProviders: string[];
  tfjsBackend: string;
}

type OrtTrainingModule = typeof import('../onnx/training/ortStepEngine.js');

let ortTraining: Promise<OrtTrainingModule> | null = null;
/** onnxruntime-node plus the training-graph builder, loaded on first use (the native binding may be absent). */
function loadOrtTraining(): Promise<OrtTrainingModule> {
  ortTraining ??= import('../onnx/training/ortStepEngine.js');
  return ortTraining;
}

export async function gatherEngineFacts(): Promise<EngineFacts> {
  const { tf } = await import('../tensor/tf.js');
  let ortUnavailable: string | null = null;
  let ortProviders: string[] = [];
  try {
    await loadOrtTraining();
    const { ortInfo } = await import('../onnx/ortSession.js');
    ortProviders = ortInfo().executionProviders;
  } catch (err) {
    ortUnavailable = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  }
  return { platform: platform(), ortUnavailable, ortProviders, tfjsBackend: tf.getBackend() || 'wasm' };
}

/** Why provider `p` cannot run here (null: it can). */
function providerSkipReason(p: OrtProvider, facts: EngineFacts): string | null {
  if (p === 'cuda') {
    if (facts.platform !== 'linux') return `CUDA training is supported on Linux only (this is ${facts.platform})`;
    if (!facts.ortProviders.includes('cuda')) return 'the CUDA provider library is not installed beside onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci)';
    return null;
  }
  if (p === 'dml') {
    if (facts.platform !== 'win32') return `DirectML exists on Windows only (this is ${facts.platform})`;
    if (!facts.ortProviders.includes('dml')) return 'this onnxruntime-node build lists no DirectML provider';
    return null;
  }
  return null;
}

/** The policy: pure over the facts and the environment. Throws on a forced choice that cannot run. */
export function decideTrainEngine(facts: EngineFacts, env: EngineEnv = process.env): TrainEngineChoice {
  const forcedEngine = env.PASAM_TRAIN_ENGINE?.trim().toLowerCase() || undefined;
  if (forcedEngine !== undefined && forcedEngine !== 'ort' && forcedEngine !== 'tfjs') throw new Error(`PASAM_TRAIN_ENGINE='${env.PASAM_TRAIN_ENGINE}' is not a training engine (use ort or tfjs)`);
  const forcedEp = env.PASAM_ORT_EP?.trim().toLowerCase() || undefined;
  if (forcedEp !== undefined && !(ORT_PROVIDERS as readonly string[]).includes(forcedEp)) throw new Error(`PASAM_ORT_EP='${env.PASAM_ORT_EP}' is not an execution provider (use ${ORT_PROVIDERS.join(', ')})`);
  const tfjs = `tfjs-${facts.tfjsBackend}`;
  if (forcedEngine === 'tfjs') return { engine: 'tfjs', executionProvider: tfjs, forcedBy: 'PASAM_TRAIN_ENGINE=tfjs', skipped: [{ option: 'onnxruntime', reason: 'PASAM_TRAIN_ENGINE=tfjs' }] };
  if (facts.ortUnavailable !== null) {
    if (forcedEngine === 'ort' || forcedEp) throw new Error(`${forcedEngine === 'ort' ? 'PASAM_TRAIN_ENGINE=ort' : `PASAM_ORT_EP=${forcedEp}`} but ONNX Runtime training cannot load here: ${facts.ortUnavailable}`);
    return { engine: 'tfjs', executionProvider: tfjs, forcedBy: null, skipped: [{ option: 'onnxruntime', reason: facts.ortUnavailable }] };
  }
  const skipped: SkippedOption[] = [];
  if (forcedEp) {
    const why = providerSkipReason(forcedEp as OrtProvider, facts);
    if (why) throw new Error(`PASAM_ORT_EP=${forcedEp} cannot run here: ${why}`);
    for (const p of ORT_PROVIDERS) {
      if (p === forcedEp) break;
      skipped.push({ option: p, reason: `PASAM_ORT_EP=${forcedEp}` });
    }
    return { engine: 'ort', executionProvider: forcedEp, forcedBy: `PASAM_ORT_EP=${forcedEp}`, skipped };
  }
  for (const p of ORT_PROVIDERS) {
    const why = providerSkipReason(p, facts);
    if (why === null) return { engine: 'ort', executionProvider: p, forcedBy: forcedEngine ? 'PASAM_TRAIN_ENGINE=ort' : null, skipped };
    skipped.push({ option: p, reason: why });
  }
  throw new Error('unreachable: the CPU provider is always available');
}

/**
 * config: a run's config; a loss only the tfjs engine computes moves the choice to tfjs
 * (engineForLoss). Every backbone (SAM's ViT, MobileSAM's TinyViT, the presets) has ORT graphs.
 */
export async function chooseTrainEngine(env: EngineEnv = process.env, config?: TrainConfig): Promise<TrainEngineChoice> {
  const facts = await gatherEngineFacts();
  const tfjs = `tfjs-${facts.tfjsBackend}`;
  let choice = decideTrainEngine(facts, env);
  if (config) choice = engineForLoss(choice, config, tfjs);
  return choice;
}

/**
 * The ONNX Runtime loss graph computes CE (with class weights) + Dice over all or over the present
 * classes; a config asking for focal CE trains on tfjs, with the reason recorded, rather than
 * silently training a different loss. Forced ONNX Runtime (env) refuses such a config.
 */
export function engineForLoss(choice: TrainEngineChoice, config: Pick<TrainConfig, 'focalGamma'>, tfjsProvider: string): TrainEngineChoice {
  if (choice.engine !== 'ort' || !(config.focalGamma > 0)) return choice;
  const reason = `the ONNX Runtime loss graph has no focalGamma ${config.focalGamma} (plain CE); tfjs computes it`;
  if (choice.forcedBy) throw new Error(`${choice.forcedBy} but ${reason}: remove focalGamma from the config or unset ${choice.forcedBy.split('=')[0]}`);
  return { engine: 'tfjs', executionProvider: tfjsProvider, forcedBy: null, skipped: [...choice.skipped, { option: 'onnxruntime', reason }] };
}

export function lossOptions(config: TrainConfig): StepLossOptions {
  return { ceWeight: config.ceWeight, diceWeight: config.diceWeight, lossOnUpsampledLogits: config.lossOnUpsampledLogits };
}

/** The ORT graph's loss: refuses what it cannot compute (engineForLoss moves such configs to tfjs first). */
function ortLoss(loss: StepLossOptions): StepLossOptions {
  if ((loss.focalGamma ?? 0) > 0) throw new Error('the ONNX Runtime training graph does not compute focal CE; train this config on tfjs (PASAM_TRAIN_ENGINE=tfjs)');
  return { ceWeight: loss.ceWeight, diceWeight: loss.diceWeight, lossOnUpsampledLogits: loss.lossOnUpsampledLogits, ...(loss.classWeights ? { classWeights: loss.classWeights } : {}), ...(loss.dicePresentOnly ? { dicePresentOnly: true } : {}) };
}

/**
 * The StepEngine of `choice` for a run's model (mode 'forward': evaluation only, no gradient graph).
 * A GPU provider that is installed but cannot start here (no device, driver or cuDNN) falls back
 * to the CPU provider, and the fallback is recorded — whether it fails when the engine is created
 * or, since ONNX Runtime builds its sessions lazily, at the engine's first step or forward pass.
 */
export async function createStepEngine(choice: TrainEngineChoice, model: TrainableSegmenter, config: TrainConfig, opts: { recompute: boolean; cacheDir?: string; mode?: 'train' | 'forward'; loss?: StepLossOptions }): Promise<{ engine: StepEngine; trainedWith: TrainedWith }> {
  const loss = opts.loss ?? lossOptions(config);
  if (choice.engine === 'tfjs') {
    return { engine: createTfjsStepEngine(model, loss, choice.executionProvider), trainedWith: { engine: 'tfjs', executionProvider: choice.executionProvider, recompute: false, skipped: choice.skipped } };
  }
  const mod = await loadOrtTraining();
  // The ORT engine keeps one session per (mode, batch size), built on first use: an epoch's last
  // micro-batch and the last validation chunk may be smaller.
  const open = (executionProvider: string) => mod.createOrtStepEngine(model, { batch: config.batchSize, loss: ortLoss(loss), mode: opts.mode ?? 'train', recompute: opts.recompute, executionProvider, cacheDir: opts.cacheDir });
  const canFallBack = choice.executionProvider !== 'cpu' && !choice.forcedBy?.startsWith('PASAM_ORT_EP');
  const trainedWith: TrainedWith = { engine: 'ort', executionProvider: choice.executionProvider, recompute: opts.recompute, skipped: [...choice.skipped] };
  const fellBack = (reason: string) => {
    trainedWith.executionProvider = 'cpu';
    trainedWith.skipped.push({ option: choice.executionProvider, reason });
  };
  let engine: StepEngine;
  try {
    engine = await open(choice.executionProvider);
  } catch (err) {
    if (!canFallBack) throw err;
    fellBack(`installed but could not start: ${firstLine(err)}`);
    return { engine: await open('cpu'), trainedWith };
  }
  return { engine: canFallBack ? cpuOnFirstFailure(engine, () => open('cpu'), (err) => fellBack(`installed but failed at its first step: ${firstLine(err)}`)) : engine, trainedWith };
}

function firstLine(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/**
 * `primary` until one of its calls has succeeded; if its first step or forward pass fails, the
 * CPU engine from `openCpu` replaces it (told to `onFallback`) and takes that call. Later failures
 * are the run's own and propagate.
 */
function cpuOnFirstFailure(primary: StepEngine, openCpu: () => Promise<StepEngine>, onFallback: (err: unknown) => void): StepEngine {
  let current = primary;
  let proven = false;
  const call = async <T>(f: (e: StepEngine) => Promise<T>): Promise<T> => {
    if (proven) return f(current);
    try {
      const r = await f(current);
      proven = true;
      return r;
    } catch (err) {
      if (current !== primary) throw err;
      onFallback(err);
      await Promise.resolve(primary.dispose()).catch(() => undefined);
      current = await openCpu();
      const r = await f(current);
      proven = true;
      return r;
    }
  };
  return {
    name: primary.name,
    get executionProvider() {
      return current.executionProvider;
    },
    step: (params, images, labels) => call((e) => e.step(params, images, labels)),
    forward: (params, images) => call((e) => e.forward(params, images)),
    dispose: () => current.dispose(),
  };
}

export function describeChoice(c: { engine: TrainEngineName; executionProvider: string; skipped: SkippedOption[] }): string[] {
  const lines = [`training engine: ${c.engine === 'ort' ? 'ONNX Runtime' : 'TensorFlow.js'} on ${c.executionProvider}`];
  for (const s of c.skipped) lines.push(`  skipped ${s.option}: ${s.reason}`);
  return lines;
}

/** "ONNX Runtime (cpu)" / "tfjs (tfjs-wasm)" from a run's recorded `trainedWith`, or null. */
export function trainedWithLabel(metrics: Record<string, unknown>): string | null {
  const t = metrics.trainedWith as { engine?: string; executionProvider?: string; recompute?: boolean } | undefined;
  if (!t?.engine) return null;
  return `${t.engine === 'ort' ? 'ONNX Runtime' : 'tfjs'} (${t.executionProvider ?? '?'}${t.recompute ? ', recomputing activations' : ''})`;
}
