import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { prepareImport } from '../../app/dataset/readSource.js';
import { detectFormat } from '../../app/dataset/formats/detect.js';
import { parseClassMap } from '../../app/dataset/classMapping.js';
import { encodeIndexPng } from '../../app/dataset/pngPalette.js';
import { rleEncode, rleToString } from '../../app/dataset/cocoRle.js';
import { grey16Png, indexMaskPng, jpegImage, maskOf, pngImage, sameMask, softBinaryMaskPng, tempDir, write } from './fixtures.js';

const byName = <T extends { originalName: string }>(list: T[], name: string): T => {
  const c = list.find((x) => x.originalName === name);
  assert.ok(c, `candidate ${name} present (have ${list.map((x) => x.originalName).join(', ')})`);
  return c;
};

test('mask-png: images/ + masks/ by stem and <stem>_mask, non-ASCII and spaces, mapping, unknown values, size mismatch', async () => {
  const dir = tempDir('pasam ds ü-');
  const m1 = indexMaskPng(8, 6, (x, y) => (x < 3 ? 1 : y > 3 ? 2 : 0));
  write(join(dir, 'images', 'plättchen 1.png'), await pngImage(8, 6, 1));
  write(join(dir, 'masks', 'plättchen 1.png'), m1.png);
  write(join(dir, 'images', 'b.jpg'), await jpegImage(8, 6, 2));
  const m2 = indexMaskPng(8, 6, (x) => (x === 7 ? 2 : 0));
  write(join(dir, 'masks', 'b_mask.png'), m2.png);
  write(join(dir, 'images', 'bad-size.png'), await pngImage(8, 6, 3));
  write(join(dir, 'masks', 'bad-size.png'), indexMaskPng(6, 8, () => 1).png);
  write(join(dir, 'images', 'odd.png'), await pngImage(8, 6, 4));
  write(join(dir, 'masks', 'odd.png'), indexMaskPng(8, 6, (x) => (x === 0 ? 9 : 0)).png);
  write(join(dir, 'images', 'plain.png'), await pngImage(8, 6, 5));

  assert.equal(detectFormat(dir).format, 'mask-png');
  const r = await prepareImport(dir, { classMap: parseClassMap('1=crack,2=dent') });
  assert.equal(r.format, 'mask-png');
  assert.match(r.detection!.reason, /masks/);
  assert.deepEqual(r.resolution.newClasses.map((c) => [c.index, c.name]), [[1, 'crack'], [2, 'dent']]);
  assert.ok(sameMask(byName(r.candidates, 'plättchen 1.png').mask?.data, m1.data));
  assert.ok(sameMask(byName(r.candidates, 'b.jpg').mask?.data, m2.data));
  assert.equal(byName(r.candidates, 'plain.png').mask, undefined, 'an image without mask is unannotated');
  const reasons = r.problems.map((p) => [p.file.split('/').pop(), p.reason]);
  assert.deepEqual(reasons.sort(), [['bad-size.png', 'mask size mismatch'], ['odd.png', 'unknown class value']]);
  assert.match(r.problems.find((p) => p.reason === 'unknown class value')!.detail, /9/);
  assert.equal(r.candidates.length, 3);
});

test('mask-png: project classes by index resolve unnamed values; corrupt and truncated masks are reported', async () => {
  const dir = tempDir();
  write(join(dir, 'images', 'a.png'), await pngImage(5, 5, 1));
  write(join(dir, 'masks', 'a.png'), indexMaskPng(5, 5, (x) => (x > 2 ? 1 : 0)).png);
  write(join(dir, 'images', 'trunc.png'), await pngImage(5, 5, 2));
  const good = indexMaskPng(5, 5, () => 1).png;
  write(join(dir, 'masks', 'trunc.png'), good.subarray(0, good.length - 20));
  write(join(dir, 'images', 'garbage.png'), await pngImage(5, 5, 3));
  write(join(dir, 'masks', 'garbage.png'), Buffer.from('not an image at all'));
  const r = await prepareImport(dir, { format: 'mask-png', projectClasses: [{ index: 1, name: 'scratch' }] });
  assert.deepEqual(r.resolution.newClasses, []);
  assert.equal(r.candidates.length, 1);
  assert.equal(Math.max(...r.candidates[0]!.mask!.data), 1);
  assert.deepEqual(r.problems.map((p) => p.reason).sort(), ['corrupt', 'corrupt']);
  assert.match(r.problems.find((p) => p.file.endsWith('trunc.png'))!.detail, /truncated/);
});

test('mask-png: a 16-bit grey class-index mask keeps its values', async () => {
  const dir = tempDir();
  write(join(dir, 'images', 'a.png'), await pngImage(4, 3, 1));
  const px = new Uint16Array(12).map((_, i) => (i % 4 === 3 ? 2 : 0));
  write(join(dir, 'masks', 'a.png'), grey16Png(4, 3, px));
  const r = await prepareImport(dir, { format: 'mask-png', classMap: parseClassMap('2=hole') });
  assert.equal(r.problems.length, 0, JSON.stringify(r.problems));
  assert.deepEqual(Array.from(r.candidates[0]!.mask!.data), Array.from(px).map((v) => (v ? 1 : 0)));
});

test('class-folders: binary masks with soft edges thresholded at 128, class from folder, defect-free folder gets empty masks', async () => {
  const dir = tempDir();
  const inside = (x: number, y: number) => x >= 2 && x <= 4 && y >= 1 && y <= 3;
  write(join(dir, 'MT_Crack', 'Imgs', 'exp1 ß.jpg'), await jpegImage(8, 6, 1));
  write(join(dir, 'MT_Crack', 'Imgs', 'exp1 ß.png'), await softBinaryMaskPng(8, 6, inside));
  write(join(dir, 'MT_Blowhole', 'Imgs', 'exp2.jpg'), await jpegImage(8, 6, 2));
  write(join(dir, 'MT_Blowhole', 'Imgs', 'exp2.png'), await softBinaryMaskPng(8, 6, (x, y) => x === 0 && y === 0));
  write(join(dir, 'MT_Free', 'Imgs', 'exp3.jpg'), await jpegImage(8, 6, 3));
  write(join(dir, 'MT_Free', 'Imgs', 'exp3.png'), await softBinaryMaskPng(8, 6, () => false));
  write(join(dir, 'MT_Free', 'Imgs', 'exp4.jpg'), await jpegImage(8, 6, 4));
  const det = detectFormat(dir);
  assert.equal(det.format, 'class-folders', det.reason);
  const r = await prepareImport(dir, { classMap: parseClassMap('MT_Crack=crack') });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.resolution.newClasses.map((c) => c.name), ['crack', 'MT_Blowhole'], 'mapping targets first, then classes as met');
  const crackIdx = r.resolution.newClasses.find((c) => c.name === 'crack')!.index;
  // The rim alternates 127/128: only 128 counts as foreground.
  const rimIn = (x: number, y: number) => !inside(x, y) && [[1, 0], [-1, 0], [0, 1], [0, -1]].some(([dx, dy]) => inside(x + dx!, y + dy!)) && (x + y) % 2 === 0;
  assert.ok(sameMask(byName(r.candidates, 'exp1 ß.jpg').mask?.data, maskOf(8, 6, (x, y) => (inside(x, y) || rimIn(x, y) ? crackIdx : 0))));
  for (const free of ['exp3.jpg', 'exp4.jpg']) {
    const m = byName(r.candidates, free).mask;
    assert.ok(m && m.data.length === 48 && m.data.every((v) => v === 0), `${free} has an empty mask`);
  }
});

test('voc: palette PNG indices, void 255 → background, ImageSets splits; labelmap colours name classes', async () => {
  const dir = tempDir();
  const pal: [number, number, number][] = Array.from({ length: 256 }, (_, i) => [i, 0, 0]);
  pal[1] = [128, 0, 0];
  pal[2] = [0, 128, 0];
  pal[255] = [224, 224, 192];
  write(join(dir, 'JPEGImages', '2007_000001.jpg'), await jpegImage(6, 4, 1));
  write(join(dir, 'JPEGImages', '2007_000002.jpg'), await jpegImage(6, 4, 2));
  const m = maskOf(6, 4, (x, y) => (x < 2 ? 1 : x === 2 ? 255 : y === 0 ? 2 : 0));
  write(join(dir, 'SegmentationClass', '2007_000001.png'), encodeIndexPng(6, 4, m, pal));
  write(join(dir, 'SegmentationClass', '2007_000002.png'), encodeIndexPng(6, 4, maskOf(6, 4, () => 2), pal));
  write(join(dir, 'ImageSets', 'Segmentation', 'train.txt'), '2007_000001\n');
  write(join(dir, 'ImageSets', 'Segmentation', 'val.txt'), '2007_000002\n');
  assert.equal(detectFormat(dir).format, 'voc');
  const r = await prepareImport(dir, { classMap: parseClassMap('1=aeroplane,2=bicycle') });
  assert.deepEqual(r.problems, []);
  const a = byName(r.candidates, '2007_000001.jpg');
  assert.equal(a.split, 'train');
  assert.equal(byName(r.candidates, '2007_000002.jpg').split, 'val');
  assert.ok(sameMask(a.mask?.data, m.map((v) => (v === 255 ? 0 : v))));
  // The same files through a CVAT labelmap: colours decide the class.
  write(join(dir, 'labelmap.txt'), '# label:color_rgb:parts:actions\nbackground:0,0,0::\nrust:128,0,0::\npit:0,128,0::\nvoid:224,224,192::\n');
  const r2 = await prepareImport(dir, { format: 'voc', classMap: parseClassMap('void=background') });
  assert.deepEqual(r2.problems, []);
  assert.deepEqual(r2.resolution.newClasses.map((c) => c.name), ['rust', 'pit']);
  assert.ok(sameMask(byName(r2.candidates, '2007_000001.jpg').mask?.data, m.map((v) => (v === 255 ? 0 : v))));
  // A colour outside the map is an unknown class value naming the colour.
  write(join(dir, 'SegmentationClass', '2007_000002.png'), encodeIndexPng(6, 4, maskOf(6, 4, () => 7), pal));
  const r3 = await prepareImport(dir, { format: 'voc' });
  assert.equal(r3.problems.length, 1);
  assert.equal(r3.problems[0]!.reason, 'unknown class value');
  assert.match(r3.problems[0]!.detail, /#070000/);
});

test('labelme: embedded and referenced images, polygon/rectangle/circle, later shapes win, malformed and out-of-bounds files reported', async () => {
  const dir = tempDir();
  const img = await pngImage(10, 8, 1);
  const shapes = [
    { label: 'scratch', points: [[1, 1], [6, 1], [6, 5], [1, 5]], shape_type: 'polygon' },
    { label: 'dent', points: [[2, 2], [3, 3]], shape_type: 'rectangle' },
    { label: 'pit', points: [[8, 6], [9, 6]], shape_type: 'circle' },
    { label: 'scratch', points: [[0, 0], [9, 0]], shape_type: 'mask' },
  ];
  write(join(dir, 'a.json'), JSON.stringify({ version: '5.4.1', shapes, imagePath: 'a.png', imageData: img.toString('base64'), imageHeight: 8, imageWidth: 10 }));
  write(join(dir, 'sub dir', 'bild ä.png'), await pngImage(10, 8, 2));
  write(join(dir, 'sub dir', 'bild ä.json'), JSON.stringify({ shapes: [{ label: 'dent', points: [[0, 0], [9, 0], [0, 7]], shape_type: 'polygon' }], imagePath: 'bild ä.png', imageData: null, imageHeight: 8, imageWidth: 10 }));
  write(join(dir, 'broken.json'), '{"shapes": [');
  write(join(dir, 'far.json'), JSON.stringify({ shapes: [{ label: 'dent', points: [[0, 0], [50, 0], [0, 5]], shape_type: 'polygon' }], imagePath: 'far.png', imageData: (await pngImage(10, 8, 3)).toString('base64'), imageHeight: 8, imageWidth: 10 }));
  write(join(dir, 'wrong size.json'), JSON.stringify({ shapes: [], imagePath: 'ws.png', imageData: (await pngImage(10, 8, 4)).toString('base64'), imageHeight: 9, imageWidth: 10 }));
  write(join(dir, 'lonely.png'), await pngImage(10, 8, 5));
  assert.equal(detectFormat(dir).format, 'labelme');
  const r = await prepareImport(dir, {});
  const idx = Object.fromEntries(r.resolution.newClasses.map((c) => [c.name, c.index]));
  const a = byName(r.candidates, 'a.png').mask!.data;
  const expected = maskOf(10, 8, (x, y) => {
    if ((x - 8) ** 2 + (y - 6) ** 2 <= 1) return idx.pit!;
    if (x >= 2 && x <= 3 && y >= 2 && y <= 3) return idx.dent!;
    if (x >= 1 && x <= 6 && y >= 1 && y <= 5) return idx.scratch!;
    return 0;
  });
  assert.ok(sameMask(a, expected), 'shapes painted in order as labelme does (PIL fills integer outlines inclusively)');
  const b = byName(r.candidates, 'bild ä.png').mask!.data;
  // PIL ends each row's span at the edge crossing rounded to the nearest pixel (halves inwards).
  assert.ok(sameMask(b, maskOf(10, 8, (x, y) => (x <= Math.ceil(9 * (1 - y / 7) - 0.5) ? idx.dent! : 0))));
  assert.equal(byName(r.candidates, 'lonely.png').mask, undefined);
  const probs = Object.fromEntries(r.problems.map((p) => [p.file.split('/').pop(), p.reason]));
  assert.deepEqual(probs, { 'broken.json': 'corrupt', 'far.json': 'invalid annotation', 'wrong size.json': 'mask size mismatch' });
  assert.match(r.problems.find((p) => p.file.endsWith('far.json'))!.detail, /outside the 10×8 image/);
});

test('coco: polygons, compressed and uncompressed RLE, iscrowd, empty images; bad RLE and unknown categories reported', async () => {
  const dir = tempDir();
  for (let i = 1; i <= 5; i++) write(join(dir, 'images', `img${i}.png`), await pngImage(6, 5, i));
  const blob = maskOf(6, 5, (x, y) => (x >= 3 && y >= 2 ? 1 : 0));
  const doc = {
    images: [1, 2, 3, 4, 5].map((id) => ({ id, file_name: `img${id}.png`, width: 6, height: 5 })),
    categories: [{ id: 7, name: 'crack' }, { id: 9, name: 'stain' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 7, iscrowd: 0, segmentation: [[0, 0, 3, 0, 3, 2, 0, 2]] },
      { id: 2, image_id: 1, category_id: 9, iscrowd: 0, segmentation: { size: [5, 6], counts: rleToString(rleEncode(blob, 6, 5)) } },
      { id: 3, image_id: 2, category_id: 9, iscrowd: 1, segmentation: { size: [5, 6], counts: rleEncode(blob, 6, 5) } },
      { id: 4, image_id: 4, category_id: 7, iscrowd: 1, segmentation: { size: [5, 6], counts: [3, 4] } },
      { id: 5, image_id: 5, category_id: 42, iscrowd: 0, segmentation: [[0, 0, 1, 0, 1, 1]] },
    ],
  };
  write(join(dir, 'annotations', 'instances_train.json'), JSON.stringify(doc));
  const det = detectFormat(dir);
  assert.equal(det.format, 'coco');
  assert.match(det.reason, /instances_train\.json/);
  const r = await prepareImport(dir, {});
  const idx = Object.fromEntries(r.resolution.newClasses.map((c) => [c.name, c.index]));
  assert.ok(sameMask(byName(r.candidates, 'img1.png').mask?.data, maskOf(6, 5, (x, y) => (x >= 3 && y >= 2 ? idx.stain! : x < 3 && y < 2 ? idx.crack! : 0))));
  assert.ok(sameMask(byName(r.candidates, 'img2.png').mask?.data, blob.map((v) => v * idx.stain!)));
  assert.ok(byName(r.candidates, 'img3.png').mask!.data.every((v) => v === 0), 'listed image without annotations is defect-free');
  assert.equal(byName(r.candidates, 'img1.png').split, 'train');
  const probs = r.problems.map((p) => [p.file.match(/img\d/)?.[0], p.reason, p.detail]);
  assert.equal(probs.length, 2);
  assert.deepEqual(probs.find((p) => p[0] === 'img4')!.slice(1, 2), ['invalid annotation']);
  assert.match(String(probs.find((p) => p[0] === 'img4')![2]), /RLE covers 7 pixels/);
  assert.deepEqual(probs.find((p) => p[0] === 'img5')!.slice(1, 2), ['unknown class value']);
  // Malformed JSON is reported, not thrown.
  write(join(dir, 'annotations', 'instances_val.json'), '{"images": [], "annotations": [], "categories": [');
  const r2 = await prepareImport(join(dir, 'annotations', 'instances_val.json'), { format: 'coco' });
  assert.equal(r2.problems[0]!.reason, 'corrupt');
  assert.match(r2.problems[0]!.detail, /malformed JSON/);
});

test('mvtec: train/good empty masks, test/<defect> with ground_truth masks, splits', async () => {
  const dir = tempDir();
  write(join(dir, 'train', 'good', '000.png'), await pngImage(8, 8, 1));
  write(join(dir, 'test', 'good', '000.png'), await pngImage(8, 8, 2));
  write(join(dir, 'test', 'crack', '000.png'), await pngImage(8, 8, 3));
  write(join(dir, 'test', 'cut lead', '000.png'), await pngImage(8, 8, 4));
  const inside = (x: number, y: number) => x > 4 && y > 4;
  write(join(dir, 'ground_truth', 'crack', '000_mask.png'), await softBinaryMaskPng(8, 8, inside, () => 100));
  write(join(dir, 'ground_truth', 'cut lead', '000_mask.png'), await softBinaryMaskPng(8, 8, (x) => x === 0, () => 200));
  assert.equal(detectFormat(dir).format, 'mvtec');
  const r = await prepareImport(dir, {});
  assert.deepEqual(r.problems, []);
  assert.equal(r.candidates.length, 4);
  const idx = Object.fromEntries(r.resolution.newClasses.map((c) => [c.name, c.index]));
  assert.deepEqual(Object.keys(idx).sort(), ['crack', 'cut lead']);
  const crack = byName(r.candidates, 'crack_000.png');
  assert.equal(crack.split, 'test');
  assert.ok(sameMask(crack.mask?.data, maskOf(8, 8, (x, y) => (inside(x, y) ? idx.crack! : 0))));
  assert.ok(sameMask(byName(r.candidates, 'cut lead_000.png').mask?.data, maskOf(8, 8, (x) => (x <= 1 ? idx['cut lead']! : 0))), 'rim at 200 ≥ 128 is foreground');
  const good = r.candidates.filter((c) => c.originalName === '000.png');
  assert.deepEqual(good.map((c) => c.split).sort(), ['test', 'train']);
  assert.ok(good.every((c) => c.mask!.data.every((v) => v === 0)));
});

test('folder: plain images, splits from folder names, an empty file reported as corrupt', async () => {
  const dir = tempDir();
  write(join(dir, 'train', 'a.png'), await pngImage(4, 4, 1));
  write(join(dir, 'val', 'b.png'), await pngImage(4, 4, 2));
  write(join(dir, 'empty.png'), Buffer.alloc(0));
  const det = detectFormat(dir);
  assert.equal(det.format, 'folder');
  const r = await prepareImport(dir, {});
  assert.deepEqual(r.candidates.map((c) => [c.originalName, c.split]), [['a.png', 'train'], ['b.png', 'val']]);
  assert.deepEqual(r.problems.map((p) => [p.file.split('/').pop(), p.reason]), [['empty.png', 'corrupt']]);
});
