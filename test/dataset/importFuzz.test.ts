// Seeded, bounded fuzzing of the import readers (issue 15): valid COCO, labelme, VOC and mask-png
// sources and PNG/JPEG/mask files are mutated (bit flips, truncation, boundary values, inserted and
// repeated ranges; for JSON also nulls, huge numbers and deep nesting put into the parsed document)
// and read the way an import reads them. Every case must end in a correct read or our own error
// naming the file, within a time and memory budget. A failing case is reproduced by its name
// (reader, seed, case number). `PASAM_FUZZ_MS` lengthens the run for a soak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeMaskPng, ImageDecodeError } from '../../app/images/imageIO.js';
import { decodeGrey8Png, encodeGrey8Png, PngFormatError } from '../../app/images/greyPng.js';
import { InputLimitError } from '../../app/images/inputLimits.js';
import { decodeColorMask, decodeIndexMask, MaskDecodeError } from '../../app/dataset/maskDecode.js';
import { encodeIndexPng, PngError } from '../../app/dataset/pngPalette.js';
import { prepareImport } from '../../app/dataset/readSource.js';
import type { FormatName } from '../../app/dataset/formats/readerTypes.js';
import { SourceFileError } from '../../app/dataset/sourceFiles.js';
import { rleEncode } from '../../app/dataset/cocoRle.js';
import { describeFailures, mutate, pick, randInt, runCases, seededRng, type FuzzCase, type Rng } from '../helpers/fuzz.js';
import { noise, pngOf } from '../helpers/images.js';

const SEED = 1515;
const TOTAL_MS = Number(process.env.PASAM_FUZZ_MS) || 20_000;
/** Per case, on a loaded shared machine; a hang or a super-linear path blows far past it. */
const CASE_BUDGET_MS = 8_000;
const MAX_CASE_RSS_GROWTH = 500 * 1048576;

/** The project the sources import into (class-index masks name values 1 and 2). */
const PROJECT_CLASSES = [{ index: 1, name: 'scratch' }, { index: 2, name: 'pit' }];

const OUR_ERRORS = [ImageDecodeError, InputLimitError, MaskDecodeError, PngError, PngFormatError, SourceFileError];

/**
 * A clean refusal: one of our error types, or a plain Error (a reader refusing a whole layout)
 * whose message names the file or folder. Never TypeError, RangeError or a stack overflow.
 */
function clean(file: string): (err: unknown) => boolean {
  return (err) => OUR_ERRORS.some((E) => err instanceof E) || (err instanceof Error && err.constructor === Error && err.message.includes(file));
}

const DEEP = '"@@deep@@"';

/** JSON-aware mutations: random values in the parsed document replaced by hostile ones; JSON text. */
function mutateJson(doc: unknown, rng: Rng): string {
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  const holders: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => (holders.push([v, i]), walk(x)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) holders.push([v as Record<string, unknown>, k]), walk(x);
  };
  walk(copy);
  const rounds = 1 + randInt(rng, 3);
  for (let r = 0; r < rounds && holders.length; r++) {
    const [holder, key] = pick(rng, holders);
    const value = pick(rng, [null, 0, -1, 1.5, 65535, 2 ** 31, 1e12, -1e308, 'x', '../../../../etc/passwd', '/dev/zero', [], {}, [null], '@@deep@@', Array(70_000).fill(1)]);
    (holder as Record<string | number, unknown>)[key] = value;
  }
  // deep nesting spliced into the text (building it as a value would overflow JSON.stringify here)
  const depth = pick(rng, [30, 100, 5000]);
  return JSON.stringify(copy).replaceAll(DEEP, '['.repeat(depth) + ']'.repeat(depth));
}

interface Source {
  format: FormatName;
  files: Record<string, Buffer>;
  /** The file the mutations aim at. */
  target: string;
}

async function validSources(): Promise<Source[]> {
  const w = 32;
  const h = 24;
  const image = await pngOf(noise(w * h * 3, 11), w, h, 3);
  const jpeg = await sharp(Buffer.from(noise(w * h * 3, 12)), { raw: { width: w, height: h, channels: 3 } }).jpeg().toBuffer();
  const mask = new Uint8Array(w * h).map((_, i) => (i % w > 10 && i % w < 20 ? 1 : 0));
  const coco = {
    images: [{ id: 1, file_name: 'a.png', width: w, height: h }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, segmentation: [[2, 2, 20, 2, 11, 18]], iscrowd: 0 },
      { id: 2, image_id: 1, category_id: 2, segmentation: { size: [h, w], counts: rleEncode(mask, w, h) }, iscrowd: 1 },
    ],
    categories: [{ id: 1, name: 'scratch' }, { id: 2, name: 'pit' }],
  };
  const labelme = {
    version: '5.2.1',
    shapes: [
      { label: 'scratch', points: [[2, 2], [20, 3], [11, 18]], shape_type: 'polygon' },
      { label: 'pit', points: [[4, 4], [9, 9]], shape_type: 'rectangle' },
      { label: 'pit', points: [[20, 12], [23, 12]], shape_type: 'circle' },
    ],
    imagePath: 'a.png',
    imageData: null,
    imageHeight: h,
    imageWidth: w,
  };
  const palette: [number, number, number][] = [[0, 0, 0], [128, 0, 0], [0, 128, 0]];
  return [
    { format: 'coco', files: { 'a.png': image, 'instances.json': Buffer.from(JSON.stringify(coco)) }, target: 'instances.json' },
    { format: 'labelme', files: { 'a.png': image, 'a.json': Buffer.from(JSON.stringify(labelme)) }, target: 'a.json' },
    { format: 'voc', files: { 'JPEGImages/a.jpg': jpeg, 'SegmentationClass/a.png': encodeIndexPng(w, h, mask, palette) }, target: 'SegmentationClass/a.png' },
    { format: 'mask-png', files: { 'images/a.png': image, 'masks/a.png': encodeGrey8Png(mask, w, h) }, target: 'masks/a.png' },
    { format: 'mask-png', files: { 'images/a.jpg': jpeg, 'masks/a.png': encodeGrey8Png(mask, w, h) }, target: 'images/a.jpg' },
  ];
}

test('fuzz: mutated COCO, labelme, VOC, mask-png sources and PNG/JPEG/mask files end in a correct read or our error', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-fuzz-'));
  try {
    const sources = await validSources();
    // the unmutated sources import cleanly (else every case would only exercise the error path)
    for (const [k, src] of sources.entries()) {
      const dir = join(root, `valid${k}`);
      for (const [rel, b] of Object.entries(src.files)) {
        mkdirSync(join(dir, rel, '..'), { recursive: true });
        writeFileSync(join(dir, rel), b);
      }
      const p = await prepareImport(dir, { format: src.format, projectClasses: PROJECT_CLASSES });
      assert.deepEqual(p.problems, [], `${src.format} ${src.target}`);
      assert.equal(p.candidates.filter((c) => c.mask).length, 1, `${src.format} ${src.target}`);
    }
    const rng = seededRng(SEED);
    let n = 0;
    const tally = { importRefused: 0, importClean: 0, decoderRefused: 0, decoderRead: 0 };
    // one endless, seeded stream of cases; runCases stops it after TOTAL_MS
    function* cases(): Generator<FuzzCase> {
      for (;;) {
        const i = n++;
        const src = sources[i % sources.length]!;
        const original = src.files[src.target]!;
        const isJson = src.target.endsWith('.json');
        let bytes: Uint8Array;
        let how: string;
        if (isJson && rng() < 0.5) {
          bytes = Buffer.from(mutateJson(JSON.parse(original.toString('utf8')), rng));
          how = 'json';
        } else {
          const m = mutate(original, rng, rng() < 0.5 && !isJson ? { region: [0, Math.min(64, original.length)] } : {});
          bytes = m.bytes;
          how = m.applied.join('+');
        }
        const dir = join(root, `c${i}`);
        const name = `${src.format} ${src.target} seed ${SEED} case ${i} (${how})`;
        yield {
          name,
          run: async () => {
            for (const [rel, b] of Object.entries(src.files)) {
              mkdirSync(join(dir, rel, '..'), { recursive: true });
              writeFileSync(join(dir, rel), rel === src.target ? bytes : b);
            }
            try {
              const p = await prepareImport(dir, { format: src.format, projectClasses: PROJECT_CLASSES });
              if (p.problems.length) tally.importRefused++;
              else tally.importClean++;
              for (const pr of p.problems) {
                assert.ok(pr.file && pr.detail, `${name}: a problem without file or detail: ${JSON.stringify(pr)}`);
                assert.doesNotMatch(pr.detail, /TypeError|RangeError|Maximum call stack|is not a function|Cannot read propert/, name);
              }
              // what the reader accepted must decode as the import would decode it
              for (const c of p.candidates) {
                try {
                  const img = await decodeImage(c.imageBytes, c.sourcePath);
                  if (c.mask) assert.deepEqual([c.mask.width, c.mask.height], [img.width, img.height], `${name}: mask and image sizes differ`);
                } catch (err) {
                  if (!(err instanceof ImageDecodeError)) throw err;
                }
              }
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
            // the file-level decoders on the mutated bytes directly
            const buf = Buffer.from(bytes);
            if (!isJson) {
              for (const decode of [() => decodeImage(buf, src.target), () => decodeMaskPng(buf, src.target), () => decodeIndexMask(buf), () => decodeColorMask(buf), () => decodeGrey8Png(buf, true, src.target)]) {
                try {
                  await decode();
                  tally.decoderRead++;
                } catch (err) {
                  if (!clean(src.target)(err)) throw err;
                  tally.decoderRefused++;
                }
              }
            }
          },
        };
      }
    }
    const summary = await runCases(cases(), CASE_BUDGET_MS, { accept: clean(root), stopAfterMs: TOTAL_MS });
    console.log(
      `fuzz: ${summary.cases} cases in ${(summary.totalMs / 1000).toFixed(1)} s (${summary.casesPerSecond.toFixed(1)}/s); sources: ${tally.importRefused} refused with problems, ${tally.importClean} read cleanly, ` +
        `${JSON.stringify(summary.refusedByKind)} thrown; direct decoders: ${tally.decoderRefused} refused, ${tally.decoderRead} read; ` +
        `slowest ${summary.slowest?.name} ${summary.slowest?.ms.toFixed(0)} ms; largest RSS growth ${((summary.largestRssGrowth?.rssGrowthBytes ?? 0) / 1048576).toFixed(0)} MB; peak RSS ${(summary.peakRssBytes / 1048576).toFixed(0)} MB`,
    );
    assert.ok(summary.cases >= 50, `only ${summary.cases} cases ran`);
    assert.deepEqual(summary.failures, [], describeFailures(summary.failures));
    assert.deepEqual(summary.overBudget.map((o) => `${o.name}: ${o.ms.toFixed(0)} ms`), []);
    assert.ok((summary.largestRssGrowth?.rssGrowthBytes ?? 0) < MAX_CASE_RSS_GROWTH, `${summary.largestRssGrowth?.name}: RSS grew ${summary.largestRssGrowth?.rssGrowthBytes} bytes`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
