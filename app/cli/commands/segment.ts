import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { CliCommand } from '../cliTypes.js';
import { UsageError } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';
import { ProjectStore } from '../../store/projectStore.js';
import { initBackend } from '../../engine/backend.js';
import type { RgbImage } from '../../model/sam/transforms.js';
import { decodeImageRgb, encodeMaskPng } from '../../images/imageIO.js';
import { IMAGE_EXTENSIONS, walkFiles } from '../../dataset/folderImport.js';

export const segmentCommand: CliCommand = {
  name: 'segment',
  summary: "segment a folder of images with a run's model into class-index PNG masks",
  usage: [
    'pasam segment <dir> --run <id> <inputFolder> <outputFolder> [--checkpoint best|last] [--engine auto|onnx|tfjs] [--json]',
    '',
    'Writes one 8-bit class-index PNG (value = class, 0 = background) per image of <inputFolder>',
    '(recursive; png/jpg/bmp/tif), at the image’s original size, to the same relative path under',
    '<outputFolder> with a .png extension. Unreadable images are listed and skipped (exit 1).',
    'Runs on ONNX Runtime (the run is exported once, cached under <dir>/runs/<id>/onnx/); --engine tfjs',
    '(or PASAM_INFERENCE=tfjs) uses the tfjs model, which is also the fallback when ONNX Runtime fails.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { run: { type: 'string' }, checkpoint: { type: 'string' }, engine: { type: 'string' } }, { min: 3, max: 3 });
    const runArg = stringOption(values, 'run');
    if (runArg === undefined) throw new UsageError('--run <id> is required');
    const runId = parseIntOption('run', runArg, 0);
    const kind = stringOption(values, 'checkpoint') ?? 'auto';
    if (!['best', 'last', 'auto'].includes(kind)) throw new UsageError(`--checkpoint must be best or last, got '${kind}'`);
    const engineArg = stringOption(values, 'engine');
    if (engineArg !== undefined && !['auto', 'onnx', 'tfjs'].includes(engineArg)) throw new UsageError(`--engine must be auto, onnx or tfjs, got '${engineArg}'`);
    const [dir, input, output] = positionals as [string, string, string];
    const files = walkFiles(resolve(input), [resolve(output)]).filter((f) => IMAGE_EXTENSIONS.includes(extname(f.rel).toLowerCase()));
    if (files.length === 0) throw new Error(`${resolve(input)}: no images (${IMAGE_EXTENSIONS.join(' ')}) found`);
    const store = ProjectStore.open(dir);
    const written: { input: string; output: string; width: number; height: number }[] = [];
    const failed: { input: string; error: string }[] = [];
    let engineUsed = '';
    try {
      await initBackend();
      // ONNX Runtime and tfjs load only when this command runs.
      const { openRunSegmentation } = await import('../../onnx/runExport.js');
      const engine = await openRunSegmentation(store, runId, {
        checkpoint: kind as 'best' | 'last' | 'auto',
        engine: engineArg as 'auto' | 'onnx' | 'tfjs' | undefined,
        onFallback: (reason) => io.err(`ONNX Runtime not used (${reason}); segmenting with tfjs`),
      });
      engineUsed = engine.engine;
      try {
        // Decode a batch, segment it in one call, write its masks.
        for (let i = 0; i < files.length; i += engine.batchSize) {
          const batch: { f: (typeof files)[number]; img: RgbImage }[] = [];
          for (const f of files.slice(i, i + engine.batchSize)) {
            try {
              batch.push({ f, img: await decodeImageRgb(readFileSync(f.path), f.path) });
            } catch (err) {
              failed.push({ input: f.path, error: err instanceof Error ? err.message : String(err) });
              io.err(`skipped ${err instanceof Error ? err.message : String(err)}`);
            }
          }
          if (batch.length === 0) continue;
          const masks = await engine.segment(batch.map((b) => b.img));
          batch.forEach(({ f, img }, j) => {
            try {
              const out = join(resolve(output), f.rel.slice(0, f.rel.length - extname(f.rel).length) + '.png');
              mkdirSync(dirname(out), { recursive: true });
              writeFileSync(out, encodeMaskPng(masks[j]!, img.width, img.height));
              written.push({ input: f.path, output: out, width: img.width, height: img.height });
              if (!values.json) io.out(`${f.rel} → ${out}`);
            } catch (err) {
              failed.push({ input: f.path, error: err instanceof Error ? err.message : String(err) });
              io.err(`skipped ${err instanceof Error ? err.message : String(err)}`);
            }
          });
        }
      } finally {
        engine.dispose();
      }
    } finally {
      store.close();
    }
    if (values.json) io.out(JSON.stringify({ runId, engine: engineUsed, written, failed }, null, 2));
    else io.out(`${written.length} mask(s) written${failed.length ? `, ${failed.length} image(s) failed` : ''}`);
    return failed.length ? 1 : 0;
  },
};
