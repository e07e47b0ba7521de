// `pasam predict`: one interactive-style SAM prediction from the command line.
// Heavy modules (tfjs, sharp) load inside run(), so that other commands start fast.
import type { OutputInfo } from 'sharp';
import { sharpInputOptions } from '../../images/inputLimits.js';
import { UsageError, type CliCommand } from '../cliTypes.js';
import { parseCommandArgs, parseIntOption, stringOption } from '../args.js';

const USAGE = `pasam predict --model <name> --image <file> [--point x,y,label]... [--box x0,y0,x1,y1] --out <mask.png>
              [--single] [--size S] [--cache <dir>] [--json]

Runs SAM from the model library on one image. Points and the box are in image pixels; label 1 is
foreground, 0 background. Writes the mask with the highest predicted IoU as a black/white PNG.
  --single   ask SAM for one mask instead of three (the reference's multimask_output=False)
  --size     encoder input side S (a multiple of 16; default: the checkpoint's)
  --cache    folder for image embeddings (re-running on the same image skips the encoder)`;

function numbers(text: string, count: number, what: string): number[] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== count || parts.some((n) => !Number.isFinite(n))) throw new UsageError(`${what} must be ${count} comma-separated numbers, got '${text}'`);
  return parts;
}

export const predictCommand: CliCommand = {
  name: 'predict',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { model: { type: 'string' }, image: { type: 'string' }, point: { type: 'string', multiple: true }, box: { type: 'string' }, out: { type: 'string' }, single: { type: 'boolean' }, size: { type: 'string' }, cache: { type: 'string' } },
      { min: 0, max: 0 },
    );
    const modelName = stringOption(values, 'model');
    const imagePath = stringOption(values, 'image');
    const outPath = stringOption(values, 'out');
    if (!modelName || !imagePath || !outPath) throw new UsageError('--model, --image and --out are required');
    const pointArgs = (values.point as string[] | undefined) ?? [];
    const points = pointArgs.map((p) => numbers(p, 3, '--point'));
    for (const p of points) if (p[2] !== 0 && p[2] !== 1) throw new UsageError(`--point label must be 0 or 1, got ${p[2]}`);
    const boxText = stringOption(values, 'box');
    const box = boxText ? numbers(boxText, 4, '--box') : undefined;
    if (points.length === 0 && !box) throw new UsageError('give at least one --point or a --box');
    const sizeText = stringOption(values, 'size');
    const size = sizeText === undefined ? undefined : parseIntOption('size', sizeText, 1024);
    if (size !== undefined && size % 16 !== 0) throw new UsageError(`--size must be a multiple of 16, got ${size}`);

    const { default: sharp } = await import('sharp');
    const { initBackend } = await import('../../tensor/backend.js');
    const { FileEmbeddingCache } = await import('../../model/sam/embeddingCache.js');
    const { loadSamModel } = await import('../../model/sam/loadSam.js');
    const { SamPredictor } = await import('../../model/sam/predictor.js');
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(imagePath, sharpInputOptions()).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw new Error(`${imagePath}: cannot decode image (${(err as Error).message})`);
    }
    const img = { data: new Uint8Array(decoded.data), width: decoded.info.width, height: decoded.info.height };
    const backend = await initBackend();
    const { model, manifest } = await loadSamModel(modelName, size);
    try {
      const { encoderAttentionPeakBytes } = await import('../../model/sam/imageEncoder.js');
      const { assertFits } = await import('../../tensor/memoryGuard.js');
      const peak = encoderAttentionPeakBytes(manifest.config, size ?? manifest.config.imgSize, 1);
      assertFits(peak.what, peak.bytes);
      const cacheDir = stringOption(values, 'cache');
      const predictor = new SamPredictor(model, manifest.modelId, cacheDir ? new FileEmbeddingCache(cacheDir) : undefined);
      const t0 = Date.now();
      const { fromCache } = await predictor.setImage(img);
      const t1 = Date.now();
      const out = predictor.predict({
        points: points.length ? points.map((p) => [p[0], p[1]]) : undefined,
        labels: points.length ? points.map((p) => p[2]) : undefined,
        box,
        multimask: values.single !== true,
      });
      const t2 = Date.now();
      predictor.reset();
      const best = out.iouScores.indexOf(Math.max(...out.iouScores));
      const mask = out.masks[best];
      await sharp(Buffer.from(mask.map((v) => v * 255)), { raw: { width: out.width, height: out.height, channels: 1 } }).toColourspace('b-w').png().toFile(outPath);
      const area = mask.reduce((a, v) => a + v, 0);
      const report = { out: outPath, model: modelName, backend: backend.name, inputSize: model.inputSize, width: out.width, height: out.height, iouScores: out.iouScores, chosen: best, area, embeddingFromCache: fromCache, encoderMs: t1 - t0, decoderMs: t2 - t1 };
      if (values.json) io.out(JSON.stringify(report, null, 2));
      else io.out(`wrote ${outPath}: mask ${best + 1} of ${out.masks.length} (predicted IoU ${out.iouScores[best].toFixed(3)}, ${area} pixels)`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
