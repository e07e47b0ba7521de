// A StepEngine (app/engine/stepEngine.ts) over onnxruntime-node: PA-SAM's training graph run as
// inference. One session per (mode, batch size) — the last micro-batch of an epoch may be smaller —
// built on first use; graphs are cached on disk under their content hash when a cache folder is
// given (the product passes <project>/cache/training-graphs), so a second run on the same model,
// S, batch and loss skips serialisation. Inputs are ort.Tensors over the caller's Float32Arrays
// (no copies); the gradients come back as ORT's own output buffers.
import * as ort from 'onnxruntime-node';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { StepEngine, StepResult } from '../../engine/stepEngine.js';
import { PasamModel } from '../../model/pasam/pasamModel.js';
import { GRAD_PREFIX, prepareTrainingGraph, type TrainingGraphOptions } from './trainingGraph.js';

export interface OrtStepEngineOptions extends TrainingGraphOptions {
  /** ONNX Runtime execution provider ('cpu' default; 'cuda', 'dml'). */
  executionProvider?: string;
  /** Where built graphs are cached (content-hash file names); none = build in memory each time. */
  cacheDir?: string;
  /** Threads for one op (default: every core). */
  intraOpNumThreads?: number;
  /** ORT profiling: writes a Chrome-trace JSON with this prefix (benchmarks). */
  profileFilePrefix?: string;
  /**
   * Let idle intra-op threads spin (default false). Spinning saves a little wake-up latency on an
   * idle machine but burns a core per waiting thread; on a loaded 2-core machine the vit_b step
   * took ~40 % more wall time and ~60 % more CPU with it.
   */
  allowSpinning?: boolean;
}

interface Loaded {
  session: ort.InferenceSession;
  inputs: string[];
  shapes: Map<string, number[]>;
}

export async function createOrtStepEngine(model: unknown, opts: OrtStepEngineOptions): Promise<StepEngine> {
  if (!(model instanceof PasamModel)) throw new Error('ONNX Runtime training: only PA-SAM models have training graphs');
  const ep = opts.executionProvider ?? 'cpu';
  const s = model.samConfig.imgSize;
  const names = [...model.trainableVariables().keys()];
  const sessions = new Map<string, Promise<Loaded>>();

  const load = (mode: 'train' | 'forward', batch: number): Promise<Loaded> => {
    const key = `${mode}:${batch}`;
    let p = sessions.get(key);
    if (!p) {
      p = open(mode, batch);
      sessions.set(key, p);
      p.catch(() => sessions.delete(key));
    }
    return p;
  };

  async function open(mode: 'train' | 'forward', batch: number): Promise<Loaded> {
    const graph = prepareTrainingGraph(model as PasamModel, { ...opts, mode, batch });
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.intraOpNumThreads ?? availableParallelism(),
      executionMode: 'sequential',
      enableMemPattern: true,
      extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
      ...(opts.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix } : {}),
    };
    let session: ort.InferenceSession;
    if (opts.cacheDir) {
      mkdirSync(opts.cacheDir, { recursive: true });
      const file = join(opts.cacheDir, `pasam-${mode}-${graph.hash.slice(0, 32)}.onnx`);
      if (!existsSync(file)) {
        // Large weights go to `<file>.data` first; the graph is written under a temporary name and
        // renamed last, so an interrupted write is never taken for a cached graph.
        const tmp = `${file}.partial-${process.pid}`;
        writeFileSync(tmp, graph.serialize(file));
        renameSync(tmp, file);
      }
      session = await ort.InferenceSession.create(file, options);
    } else {
      session = await ort.InferenceSession.create(graph.serialize(), options);
    }
    return { session, inputs: graph.inputs, shapes: new Map(graph.trainable.map((t) => [t.name, t.shape])) };
  }

  const batchOf = (images: Float32Array): number => {
    const b = images.length / (s * s * 3);
    if (!Number.isInteger(b) || b < 1) throw new Error(`ORT step engine: ${images.length} image values are not a whole batch of ${s}×${s}×3`);
    return b;
  };

  const feeds = (l: Loaded, params: Map<string, Float32Array>, images: Float32Array, b: number): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = { images: new ort.Tensor('float32', images, [b, s, s, 3]) };
    for (const name of l.inputs) {
      const v = params.get(name);
      const shape = l.shapes.get(name)!;
      if (!v) throw new Error(`ORT step engine: no value for trainable tensor '${name}'`);
      if (v.length !== shape.reduce((x, y) => x * y, 1)) throw new Error(`ORT step engine: '${name}' has ${v.length} values, the model's tensor [${shape}]`);
      f[name] = new ort.Tensor('float32', v, shape);
    }
    return f;
  };

  return {
    name: 'ort',
    executionProvider: ep,
    async step(params, images, labels): Promise<StepResult> {
      const b = batchOf(images);
      const g = Math.round(Math.sqrt(labels.length / b));
      const want = opts.loss.lossOnUpsampledLogits ? s : s / 4;
      if (g !== want || g * g * b !== labels.length) throw new Error(`ORT step engine: labels must be (${b}, ${want}, ${want}), got ${labels.length} values`);
      const l = await load('train', b);
      const f = feeds(l, params, images, b);
      f.labels = new ort.Tensor('int32', labels, [b, g, g]);
      const out = await l.session.run(f);
      const grads = new Map<string, Float32Array>();
      for (const name of names) grads.set(name, out[`${GRAD_PREFIX}${name}`]!.data as Float32Array);
      const scalar = (k: string) => (out[k]!.data as Float32Array)[0]!;
      return { loss: scalar('loss'), ce: scalar('ce'), dice: scalar('dice'), logits: out.logits!.data as Float32Array, grads };
    },
    async forward(params, images) {
      const b = batchOf(images);
      const l = await load('forward', b);
      const out = await l.session.run(feeds(l, params, images, b));
      return out.logits!.data as Float32Array;
    },
    async dispose() {
      for (const p of sessions.values()) await (await p.catch(() => undefined))?.session.release();
      sessions.clear();
    },
  };
}
