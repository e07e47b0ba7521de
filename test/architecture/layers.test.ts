// The layer rule of CONTRIBUTING.md, enforced on the real import graph; the synthetic graphs show
// that the checker catches an upward import (it is not a test that cannot fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { layerViolations, readImportGraph, type ImportGraph } from '../helpers/importGraph.js';

test('the source tree has no import against the layer order', () => {
  const graph = readImportGraph(PROJECT_ROOT);
  assert.ok(graph.size > 150, `read ${graph.size} files`);
  const edges = [...graph.values()].reduce((n, t) => n + t.length, 0);
  assert.ok(edges > 500, `read ${edges} imports`);
  assert.deepEqual(layerViolations(graph), []);
});

test('a deliberately added upward import is reported', () => {
  const graph: ImportGraph = new Map([
    ['app/model/sam/imageEncoder.ts', ['app/tensor/gradOps.ts', 'app/engine/trainer.ts']],
    ['app/tensor/gradOps.ts', ['app/model/nn.ts']],
    ['app/engine/trainer.ts', ['app/model/nn.ts', 'app/store/projectStore.ts']],
    ['app/store/projectStore.ts', ['app/dataset/split.ts']],
    ['app/batch/batchSegmentation.ts', ['app/finetune/activeModel.ts']],
    ['main/electronMain.cjs', ['app/api/apiService.ts', 'app/server/serveServer.ts']],
  ]);
  assert.deepEqual(layerViolations(graph), [
    'app/model/sam/imageEncoder.ts → app/engine/trainer.ts (app/model may not import app/engine)',
    'app/tensor/gradOps.ts → app/model/nn.ts (app/tensor may not import app/model)',
    'app/store/projectStore.ts → app/dataset/split.ts (app/store may not import app/dataset)',
    'app/batch/batchSegmentation.ts → app/finetune/activeModel.ts (app/batch may not import app/finetune)',
    'main/electronMain.cjs → app/server/serveServer.ts (main may not import app/server)',
  ]);
});

test('the renderer may import only the API types and the wire codec', () => {
  const graph: ImportGraph = new Map([
    ['renderer/src/App.tsx', ['app/api/apiTypes.ts', 'renderer/src/apiClient.ts', 'app/api/apiService.ts']],
    ['renderer/src/apiClient.ts', ['app/api/wireCodec.ts', 'app/store/projectStore.ts']],
  ]);
  assert.deepEqual(layerViolations(graph), [
    "renderer/src/App.tsx → app/api/apiService.ts (the renderer imports only the API's types and wire codec)",
    "renderer/src/apiClient.ts → app/store/projectStore.ts (the renderer imports only the API's types and wire codec)",
  ]);
});
