// Batch segmentation throughput: images/s through the batch path (decode, model, class map +
// confidence at original resolution, per-class statistics, mask PNG encode) for the `tiny` preset
// and for vit_b at S = 512, on ONNX Runtime (what `pasam segment` uses) and on the tfjs backend in
// use. Random weights: speed does not depend on the values. Results → bench/results/batch-<backend>.json.
//   node --import tsx bench/batchBench.ts [--images 24] [--models tiny:256,vit_b:512] [--engines onnx,tfjs]
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../app/tensor/backend.js';
import { PasamModel } from '../app/model/pasam/pasamModel.js';
import { parsePasamConfig } from '../app/model/pasam/pasamConfig.js';
import type { BackboneName } from '../app/model/pasam/backbones.js';
import { buildPasamGraph } from '../app/onnx/pasamExport.js';
import { writeModel } from '../app/onnx/samExport.js';
import { MODEL_CARD_FORMAT, MODEL_CARD_VERSION, samPreprocessing, writeModelCard, type ModelCard } from '../app/onnx/modelCard.js';
import { OrtSegmenter, TfjsSegmenter, type SegmentationEngine } from '../app/onnx/ortSegmenter.js';
import { predictImages } from '../app/batch/batchPredict.js';
import { maskClassStats } from '../app/batch/maskStats.js';
import { decodeImageRgb, encodeMaskPng } from '../app/images/imageIO.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { images: { type: 'string', default: '24' }, models: { type: 'string', default: 'tiny:256,vit_b:512' }, engines: { type: 'string', default: 'onnx,tfjs' } } });
const N = Number(values.images);
const NEU = join(process.env.PASAM_SHARED ?? join(root, '..', 'shared'), 'datasets', 'neu-seg', 'images');
const files = readdirSync(NEU).filter((f) => f.startsWith('test_')).sort().slice(0, N).map((f) => join(NEU, f));
const CLASSES = [
  { index: 0, name: 'background', color: '#000000' },
  { index: 1, name: 'inclusion', color: '#e6194b' },
  { index: 2, name: 'patches', color: '#3cb44b' },
  { index: 3, name: 'scratches', color: '#ffe119' },
];

const backend = await initBackend();
const rows: Record<string, unknown>[] = [];

async function timeEngine(engine: SegmentationEngine): Promise<{ imagesPerSecond: number; msPerImage: number; modelMsPerImage: number }> {
  // Warm-up (first call allocates / compiles).
  await predictImages(engine, [await decodeImageRgb(readFileSync(files[0]!), files[0]!)]);
  let modelMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < files.length; i += engine.batchSize) {
    const batch = await Promise.all(files.slice(i, i + engine.batchSize).map(async (f) => decodeImageRgb(readFileSync(f), f)));
    const tm = performance.now();
    const preds = await predictImages(engine, batch);
    modelMs += performance.now() - tm;
    preds.forEach((p, j) => {
      maskClassStats(p.map, batch[j]!.width, batch[j]!.height, 4);
      encodeMaskPng(p.map, batch[j]!.width, batch[j]!.height);
    });
  }
  const ms = performance.now() - t0;
  return { imagesPerSecond: (1000 * files.length) / ms, msPerImage: ms / files.length, modelMsPerImage: modelMs / files.length };
}

for (const spec of values.models!.split(',')) {
  const [name, size] = spec.split(':') as [BackboneName, string];
  const s = Number(size);
  const model = PasamModel.fromScratch(name, parsePasamConfig({ inputSize: s }), { numClasses: 4, seed: 1 });
  for (const eng of values.engines!.split(',')) {
    let engine: SegmentationEngine;
    if (eng === 'onnx') {
      const dir = mkdtempSync(join(tmpdir(), 'pasam-bench-onnx-'));
      const t0 = performance.now();
      writeModel(buildPasamGraph(model), join(dir, 'model.onnx'));
      const d = model.describe();
      const card = { format: MODEL_CARD_FORMAT, formatVersion: MODEL_CARD_VERSION, kind: 'pasam', name: `${name} bench`, files: { model: 'model.onnx' }, signatures: {}, preprocessing: samPreprocessing(d.inputSize, d.pixelMean, d.pixelStd), postprocessing: '', classes: CLASSES, source: {}, metrics: {}, onnx: {}, exportedAt: new Date().toISOString() } as unknown as ModelCard;
      writeModelCard(dir, card);
      engine = await OrtSegmenter.open(dir);
      console.log(`${name} S=${s}: exported to ONNX in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else engine = new TfjsSegmenter(model);
    const r = await timeEngine(engine);
    const row = { model: name, inputSize: s, engine: eng === 'onnx' ? 'onnxruntime (cpu)' : `tfjs ${backend.name}`, batch: engine.batchSize, images: files.length, imageSize: '200×200', ...r };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  model.dispose();
}

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `batch-${backend.name}.json`);
writeFileSync(
  out,
  JSON.stringify(
    {
      bench: 'batch-segmentation',
      what: 'images/s of the batch path: decode JPEG, model, class map + max-softmax confidence at original resolution, per-class pixels + 8-connected components, mask PNG encode (no disk writes); random weights',
      backend: backend.name,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      loadavg: loadavg(),
      when: new Date().toISOString(),
      rows,
    },
    null,
    2,
  ) + '\n',
);
console.log(`written ${out}`);
