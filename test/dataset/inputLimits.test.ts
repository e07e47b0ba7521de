// Hostile inputs (issue 15), one per limit, imported for real in a child process that reports the
// growth of its peak resident set: each must end in a clear error naming the file and the limit
// (or a correct import), in bounded memory. The bombs are built in milliseconds (test/helpers/bombs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { noise, pngOf } from '../helpers/images.js';
import { blackPngBomb, jpegClaiming, pngWithIdat, pngWithOversizedStream } from '../helpers/bombs.js';
import { deflateSync } from 'node:zlib';

const DRIVER = fileURLToPath(new URL('./fixtures/limitDriver.ts', import.meta.url));
/** Generous: the bombs would take 0.9–3.7 GB without the limits. */
const MAX_GROWTH_MB = 500;

interface Outcome {
  name: string;
  ms: number;
  peakGrowthMB: number;
  failed?: boolean;
  added?: number;
  withMasks?: number;
  problems?: { file: string; reason: string; detail: string }[];
  thrown?: string;
}

const labelmeDoc = (imagePath: string, points: number[][] = [[1, 1], [10, 1], [5, 8]], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ version: '5.2.1', shapes: [{ label: 'scratch', points, shape_type: 'polygon' }], imagePath, imageData: null, ...extra });

const cocoDoc = (images: unknown[], annotations: unknown[]): string => JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'scratch' }] });

test('input limits: every hostile file ends in a clear error naming it, in bounded memory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pasam-limits-'));
  try {
    const dir = (name: string): string => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const img16 = await pngOf(noise(16 * 16 * 3, 3), 16, 16, 3);
    const img64 = await pngOf(noise(64 * 64, 4), 64, 64, 1);
    const cases: { name: string; source: string; format: string; env?: Record<string, string> }[] = [];
    const add = (name: string, source: string, format: string, env?: Record<string, string>): void => void cases.push({ name, source, format, ...(env ? { env } : {}) });

    writeFileSync(join(dir('png30k'), 'bomb.png'), blackPngBomb(30000, 30000));
    add('30000² PNG', join(root, 'png30k'), 'folder');
    writeFileSync(join(dir('jpeg16k'), 'bomb.jpg'), await jpegClaiming(16000, 16000));
    add('16000² JPEG', join(root, 'jpeg16k'), 'folder');
    writeFileSync(join(dir('maskbomb/images'), 'a.png'), await pngOf(noise(200 * 200, 5), 200, 200, 1));
    writeFileSync(join(dir('maskbomb/masks'), 'a.png'), pngWithOversizedStream(200, 200, 500 * 1048576));
    add('200×200 mask PNG with a 500 MB zlib stream', join(root, 'maskbomb'), 'mask-png');
    writeFileSync(join(dir('imgstream'), 'a.png'), pngWithOversizedStream(200, 200, 500 * 1048576));
    add('200×200 image PNG with a 500 MB zlib stream', join(root, 'imgstream'), 'folder');
    writeFileSync(join(dir('lm-devzero'), 'a.json'), labelmeDoc('/dev/zero'));
    add('labelme imagePath /dev/zero', join(root, 'lm-devzero'), 'labelme');
    writeFileSync(join(dir('lm-escape'), 'a.json'), labelmeDoc('../../../../../../dev/zero'));
    add('labelme imagePath ../../dev/zero', join(root, 'lm-escape'), 'labelme');
    symlinkSync('/dev/zero', join(dir('lm-symlink'), 'zero.png'));
    writeFileSync(join(root, 'lm-symlink', 'a.json'), labelmeDoc('zero.png'));
    add('labelme imagePath → symlink to /dev/zero', join(root, 'lm-symlink'), 'labelme');
    execFileSync('mkfifo', [join(dir('lm-fifo'), 'pipe.png')]);
    writeFileSync(join(root, 'lm-fifo', 'a.json'), labelmeDoc('pipe.png'));
    add('labelme imagePath → FIFO', join(root, 'lm-fifo'), 'labelme');
    writeFileSync(join(dir('folder-fifo'), 'a.png'), img16);
    execFileSync('mkfifo', [join(root, 'folder-fifo', 'b.png')]);
    symlinkSync('/dev/zero', join(root, 'folder-fifo', 'c.png'));
    add('folder with a FIFO and a /dev/zero symlink named as images', join(root, 'folder-fifo'), 'folder');
    writeFileSync(join(dir('lm-1M'), 'a.png'), img64);
    writeFileSync(join(root, 'lm-1M', 'a.json'), labelmeDoc('a.png', Array.from({ length: 1_000_000 }, (_, i) => [i % 60, (i * 7) % 60])));
    add('labelme 1M-point polygon', join(root, 'lm-1M'), 'labelme');
    writeFileSync(join(dir('lm-deep'), 'a.png'), img64);
    writeFileSync(join(root, 'lm-deep', 'a.json'), labelmeDoc('a.png', undefined, { flags: '@' }).replace('"@"', '['.repeat(200_000) + ']'.repeat(200_000)));
    add('labelme JSON nested 200000 deep', join(root, 'lm-deep'), 'labelme');
    writeFileSync(join(dir('coco-lies'), 'a.png'), img16);
    writeFileSync(join(root, 'coco-lies', 'instances.json'), cocoDoc([{ id: 1, file_name: 'a.png', width: 65535, height: 65535 }], [{ id: 1, image_id: 1, category_id: 1, segmentation: [[1, 1, 9, 1, 5, 8]] }]));
    add('COCO declaring 65535² for a 16² image', join(root, 'coco-lies'), 'coco');
    writeFileSync(join(dir('coco-escape'), 'instances.json'), cocoDoc([{ id: 1, file_name: '../../../../../../dev/zero', width: 16, height: 16 }], []));
    add('COCO file_name ../../dev/zero', join(root, 'coco-escape'), 'coco');
    const many = Array.from({ length: 50_000 }, (_, i) => ({ id: i + 1, image_id: 1, category_id: 1, segmentation: [[i % 50, i % 40, (i % 50) + 10, i % 40, (i % 50) + 5, (i % 40) + 9]] }));
    writeFileSync(join(dir('coco-50k'), 'a.png'), img64);
    writeFileSync(join(root, 'coco-50k', 'instances.json'), cocoDoc([{ id: 1, file_name: 'a.png', width: 64, height: 64 }], many));
    add('COCO 50k annotations on one image', join(root, 'coco-50k'), 'coco');
    add('COCO 50k annotations, limit raised', join(root, 'coco-50k'), 'coco', { PASAM_MAX_ANNOTATIONS_PER_IMAGE: '100000' });
    writeFileSync(join(dir('coco-1M'), 'a.png'), img64);
    writeFileSync(join(root, 'coco-1M', 'instances.json'), cocoDoc([{ id: 1, file_name: 'a.png', width: 64, height: 64 }], [{ id: 1, image_id: 1, category_id: 1, segmentation: [Array.from({ length: 2_000_000 }, (_, i) => i % 60)] }]));
    add('COCO 1M-point polygon', join(root, 'coco-1M'), 'coco');
    writeFileSync(join(dir('coco-null'), 'a.png'), img16);
    writeFileSync(join(root, 'coco-null', 'instances.json'), JSON.stringify({ images: [null, { id: 1, file_name: 'a.png', width: 16, height: 16 }], annotations: [null, 7], categories: [null, { id: 1, name: 'x' }] }));
    add('COCO null entries', join(root, 'coco-null'), 'coco');
    const fullCoco = cocoDoc([{ id: 1, file_name: 'a.png', width: 16, height: 16 }], []);
    writeFileSync(join(dir('coco-trunc'), 'a.png'), img16);
    writeFileSync(join(root, 'coco-trunc', 'instances.json'), fullCoco.slice(0, fullCoco.length / 2));
    add('COCO truncated JSON', join(root, 'coco-trunc'), 'coco');
    writeFileSync(join(dir('coco-trunc-head'), 'instances.json'), `{"info": {"description": "${'x'.repeat(70_000)}`);
    add('COCO truncated before its keys', join(root, 'coco-trunc-head'), 'coco');
    writeFileSync(join(root, 'coco-trunc-head', 'a.png'), img16);
    add('auto-detect beside a truncated JSON', join(root, 'coco-trunc-head'), 'auto');
    const greyRow = deflateSync(Buffer.alloc(17 * 16));
    writeFileSync(join(dir('png-colortype/images'), 'a.png'), img16);
    writeFileSync(join(dir('png-colortype/masks'), 'a.png'), pngWithIdat(16, 16, greyRow, 5, 8));
    add('mask PNG with colour type 5', join(root, 'png-colortype'), 'mask-png');
    writeFileSync(join(dir('png-noplte/images'), 'a.png'), img16);
    writeFileSync(join(dir('png-noplte/masks'), 'a.png'), pngWithIdat(16, 16, greyRow, 3, 8));
    add('palette mask PNG without PLTE', join(root, 'png-noplte'), 'mask-png');

    const list = join(root, 'cases.json');
    writeFileSync(list, JSON.stringify(cases));
    const r = spawnSync(process.execPath, ['--import', 'tsx', DRIVER, list], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, r.stderr);
    const outcomes = new Map(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome).map((o) => [o.name, o]));
    assert.equal(outcomes.size, cases.length);
    const figures: string[] = [];
    for (const o of outcomes.values()) {
      figures.push(`${o.name}: ${o.ms} ms, peak RSS growth ${o.peakGrowthMB} MB`);
      if (o.name !== 'auto-detect beside a truncated JSON') assert.equal(o.thrown, undefined, `${o.name}: threw instead of reporting (${o.thrown})`);
      assert.ok(o.peakGrowthMB < MAX_GROWTH_MB, `${o.name}: peak RSS grew ${o.peakGrowthMB} MB`);
    }
    console.log(figures.join('\n'));

    /** The one fatal problem of a failed import, checked for file, reason and detail. */
    const refused = (name: string, file: RegExp, reason: string, detail: RegExp): void => {
      const o = outcomes.get(name)!;
      assert.equal(o.failed, true, `${name}: import must fail: ${JSON.stringify(o.problems)}`);
      const p = o.problems!.find((x) => x.reason === reason);
      assert.ok(p, `${name}: no '${reason}' problem in ${JSON.stringify(o.problems)}`);
      assert.match(p.file, file, name);
      assert.match(p.detail, detail, name);
    };
    refused('30000² PNG', /bomb\.png$/, 'over limit', /30000×30000 = 900 MP, above the limit of 200 MP \(set PASAM_MAX_IMAGE_PIXELS/);
    refused('16000² JPEG', /bomb\.jpg$/, 'over limit', /16000×16000 = 256 MP, above the limit of 200 MP/);
    refused('200×200 mask PNG with a 500 MB zlib stream', /masks\/a\.png$/, 'over limit', /decompresses to more than the 40200 bytes its header declares/);
    const imgStream = outcomes.get('200×200 image PNG with a 500 MB zlib stream')!;
    assert.ok(imgStream.added === 1 || imgStream.problems!.some((p) => /a\.png$/.test(p.file)), 'the image imports (libpng reads only what it needs) or is refused by name');
    refused('labelme imagePath /dev/zero', /a\.json$/, 'invalid annotation', /imagePath '\/dev\/zero' points outside the source folder/);
    refused('labelme imagePath ../../dev/zero', /a\.json$/, 'invalid annotation', /points outside the source folder/);
    refused('labelme imagePath → symlink to /dev/zero', /zero\.png$/, 'invalid annotation', /is a character device; only regular files are read \(referenced by .*a\.json\)/);
    refused('labelme imagePath → FIFO', /pipe\.png$/, 'invalid annotation', /is a FIFO \(named pipe\); only regular files are read/);
    refused('labelme 1M-point polygon', /a\.json$/, 'over limit', /shape 0 \('scratch'\) has 1000000 points, above the limit of 100000 \(set PASAM_MAX_POLYGON_POINTS/);
    refused('labelme JSON nested 200000 deep', /a\.json$/, 'over limit', /JSON is nested 65\+ levels deep, above the limit of 64 \(set PASAM_MAX_JSON_DEPTH/);
    refused('COCO declaring 65535² for a 16² image', /instances\.json \(image 1 'a\.png'\)$/, 'mask size mismatch', /declared 65535×65535 but .*a\.png is 16×16/);
    refused('COCO file_name ../../dev/zero', /instances\.json/, 'invalid annotation', /points outside the source folder/);
    refused('COCO 50k annotations on one image', /instances\.json/, 'over limit', /image has 50000 annotations, above the limit of 10000 \(set PASAM_MAX_ANNOTATIONS_PER_IMAGE/);
    refused('COCO 1M-point polygon', /instances\.json/, 'over limit', /polygon 0 has 1000000 points, above the limit of 100000/);
    refused('COCO null entries', /instances\.json$/, 'invalid annotation', /(image|annotation|category) .*null/);
    refused('COCO truncated JSON', /instances\.json$/, 'corrupt', /malformed JSON/);
    refused('COCO truncated before its keys', /instances\.json$/, 'corrupt', /malformed JSON/);
    // not a plain image folder whose images would come in without their annotations
    assert.match(outcomes.get('auto-detect beside a truncated JSON')!.thrown ?? '', /instances\.json: malformed JSON .*cannot tell which annotation format/);
    refused('mask PNG with colour type 5', /masks\/a\.png$/, 'corrupt', /invalid colour type 5/);
    refused('palette mask PNG without PLTE', /masks\/a\.png$/, 'corrupt', /palette PNG without a PLTE chunk/);
    const fifo = outcomes.get('folder with a FIFO and a /dev/zero symlink named as images')!;
    assert.equal(fifo.added, 1, 'the real image imports; reading never blocks on the FIFO');
    assert.deepEqual(
      fifo.problems!.map((p) => [p.file.split('/').pop(), p.reason, p.detail]),
      [
        ['b.png', 'unsupported', 'is a FIFO (named pipe); only regular files are read'],
        ['c.png', 'unsupported', 'is a character device; only regular files are read'],
      ],
    );
    const raised = outcomes.get('COCO 50k annotations, limit raised')!;
    assert.equal(raised.failed, false, JSON.stringify(raised.problems));
    assert.equal(raised.withMasks, 1);
    // linear time: these took over 30 s each before (quadratic grouping / unbounded polygons); the
    // bound is generous for a loaded shared machine and only catches a return to quadratic work
    for (const n of ['COCO 50k annotations on one image', 'COCO 50k annotations, limit raised', 'COCO 1M-point polygon', 'labelme 1M-point polygon']) {
      assert.ok(outcomes.get(n)!.ms < 15_000, `${n}: ${outcomes.get(n)!.ms} ms`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
