// Acceptance (issue 12): 20 optimiser steps of the real trainer (AdamW, warm-up + poly schedule,
// accumulation, validation) from the same seed and data — once with the tfjs StepEngine, once with
// the ONNX Runtime one — agree within 1e-3 per step. `tiny` from scratch at S = 32 on four NEU-Seg
// images (every tensor trainable, so the whole graph's gradients steer the trajectory), with
// gradient accumulation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../app/tensor/backend.js';
import { ProjectStore } from '../../app/store/projectStore.js';
import { chooseRunMasks, loadRunData } from '../../app/engine/dataPipeline.js';
import { buildSegmenter } from '../../app/engine/modelFactory.js';
import { train } from '../../app/engine/trainer.js';
import type { TrainConfig } from '../../app/engine/trainConfig.js';
import type { StepEngine } from '../../app/engine/stepEngine.js';
import { createOrtStepEngine } from '../../app/onnx/training/ortStepEngine.js';
import { makeNeuProject } from '../helpers/neuProject.js';
import { config, MIXED_FOUR } from '../helpers/engineTestUtils.js';

let dir: string;
before(async () => {
  await initBackend();
  dir = await makeNeuProject(MIXED_FOUR);
});

async function trajectory(cfg: TrainConfig, engine: 'tfjs' | 'ort'): Promise<number[]> {
  const store = ProjectStore.open(dir);
  try {
    const chosen = chooseRunMasks(store, { seed: cfg.seed, valFraction: 0 });
    const data = await loadRunData(store, chosen.used, chosen.valSource, cfg.inputSize);
    const built = await buildSegmenter(cfg, 4);
    let ort: StepEngine | undefined;
    try {
      if (engine === 'ort') {
        ort = await createOrtStepEngine(built.model, { batch: cfg.batchSize, loss: { ceWeight: cfg.ceWeight, diceWeight: cfg.diceWeight, lossOnUpsampledLogits: cfg.lossOnUpsampledLogits }, mode: 'train' });
      }
      const losses: number[] = [];
      await train({
        runId: 0,
        model: built.model,
        config: cfg,
        data,
        ...(ort ? { engine: ort } : {}),
        hooks: {
          emit: (e) => {
            if (e.type === 'progress') losses.push(e.loss);
          },
          saveCheckpoint: () => {},
          recordEpoch: () => {},
          isCancelled: () => false,
          pause: async () => {},
        },
      });
      return losses;
    } finally {
      await ort?.dispose();
      built.model.dispose();
    }
  } finally {
    store.close();
  }
}

// Learning rate: float32 rounding alone (tfjs's cpu against its wasm backend, same engine) makes
// two runs of this from-scratch model drift apart by ~3e-3 within 4 steps and ~1e-2 by step 20 at
// lr 2e-3 (AdamW normalises each element's gradient, so rounding-level gradients still move
// weights), and ORT against tfjs drifts by the same ~1e-2 there. At 5e-4 ORT stays within 5e-4 of
// tfjs over the 20 steps (measured), so the 1e-3 bound is meaningful.
const RUNS = [{ name: 'tiny, batch 2 with 2-step accumulation, lr 5e-4', cfg: config({ model: { preset: 'tiny', base: null }, inputSize: 32, valFraction: 0, learningRate: 5e-4, batchSize: 2, accumulationSteps: 2, epochs: 20 }) }];

for (const run of RUNS) {
  test(`trajectory (${run.name}): 20 steps of the trainer agree between tfjs and ONNX Runtime within 1e-3`, async () => {
    const ref = await trajectory(run.cfg, 'tfjs');
    const got = await trajectory(run.cfg, 'ort');
    assert.equal(ref.length, 20);
    assert.equal(got.length, 20);
    const diffs = ref.map((l, i) => Math.abs(got[i]! - l));
    console.log(`# ${run.name}: loss ${ref[0]!.toFixed(4)} → ${ref[19]!.toFixed(4)}, largest per-step difference ${Math.max(...diffs).toExponential(2)}`);
    assert.ok(ref[19]! < ref[0]!, 'the run learns (the comparison is not between two flat lines)');
    diffs.forEach((d, i) => assert.ok(d <= 1e-3, `step ${i + 1}: tfjs loss ${ref[i]} vs ORT ${got[i]}`));
  });
}
