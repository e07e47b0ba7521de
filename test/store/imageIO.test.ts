import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeImageRgb, decodeMaskPng, encodeMaskPng, ImageDecodeError, storableImage } from '../../app/images/imageIO.js';
import { decodeGrey8Png } from '../../app/images/greyPng.js';
import { SHARED_DIR } from '../helpers/cli.js';
import { bmpOf, noise, pngOf } from '../helpers/images.js';

const NEU = join(SHARED_DIR, 'datasets', 'neu-seg');

async function rejects(p: Promise<unknown>, reason: 'corrupt' | 'unsupported', file: string, detail: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ImageDecodeError, String(err));
    assert.equal(err.reason, reason, err.message);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.detail, detail);
    return true;
  });
}

test('a NEU-Seg JPEG decodes to 200×200 and is stored byte-for-byte', async () => {
  const bytes = readFileSync(join(NEU, 'images', 'train_000201.jpg'));
  const img = await decodeImage(bytes, 'train_000201.jpg');
  assert.equal(img.width, 200);
  assert.equal(img.height, 200);
  assert.equal(img.format, 'jpeg');
  assert.equal(img.conversion, null);
  assert.equal(img.data.length, 200 * 200 * img.channels);
  const ref = await sharp(bytes).raw().toBuffer();
  if (img.channels === 3) assert.deepEqual(Buffer.from(img.data), ref);
  const stored = await storableImage(bytes, img);
  assert.equal(stored.ext, 'jpg');
  assert.ok(stored.bytes.equals(bytes));
  const rgb = await decodeImageRgb(bytes, 'x.jpg');
  assert.equal(rgb.data.length, 200 * 200 * 3);
});

test('BMP: 24-bit bottom-up, 32-bit top-down, 8-bit grey and colour palettes, 4- and 1-bit', async () => {
  const w = 7; // odd width exercises row padding
  const h = 5;
  const rgb = noise(w * h * 3, 3);
  const d24 = await decodeImage(bmpOf({ width: w, height: h, bpp: 24, pixels: rgb }), 'a.bmp');
  assert.deepEqual([d24.width, d24.height, d24.channels, d24.format, d24.conversion], [w, h, 3, 'bmp', null]);
  assert.deepEqual(d24.data, rgb);

  const rgba = noise(w * h * 4, 4);
  const d32 = await decodeImage(bmpOf({ width: w, height: h, bpp: 32, pixels: rgba, topDown: true }), 'b.bmp');
  assert.equal(d32.channels, 3);
  for (let p = 0; p < w * h; p++) assert.deepEqual([...d32.data.subarray(p * 3, p * 3 + 3)], [...rgba.subarray(p * 4, p * 4 + 3)]);

  const greyPal = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
  const idx = noise(w * h, 5);
  const d8 = await decodeImage(bmpOf({ width: w, height: h, bpp: 8, pixels: idx, palette: greyPal }), 'c.bmp');
  assert.equal(d8.channels, 1, 'an all-grey palette gives a grey image');
  assert.deepEqual(d8.data, idx);

  const pal = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const idx4 = noise(w * h, 6).map((v) => v % 4);
  const d4 = await decodeImage(bmpOf({ width: w, height: h, bpp: 4, pixels: idx4, palette: pal }), 'd.bmp');
  assert.equal(d4.channels, 3);
  for (let p = 0; p < w * h; p++) assert.deepEqual([...d4.data.subarray(p * 3, p * 3 + 3)], [...pal.subarray(idx4[p]! * 3, idx4[p]! * 3 + 3)]);

  const idx1 = noise(w * h, 7).map((v) => v & 1);
  const d1 = await decodeImage(bmpOf({ width: w, height: h, bpp: 1, pixels: idx1, palette: new Uint8Array([0, 0, 0, 255, 255, 255]) }), 'e.bmp');
  assert.deepEqual(d1.data, idx1.map((v) => v * 255));

  const stored = await storableImage(new Uint8Array(0), d24);
  assert.equal(stored.ext, 'png', 'BMP is stored as lossless PNG');
  assert.deepEqual(new Uint8Array(await sharp(stored.bytes).raw().toBuffer()), rgb);
});

test('BMP problems: RLE is unsupported, truncated data is corrupt', async () => {
  const pal = new Uint8Array(256 * 3);
  const rle = bmpOf({ width: 4, height: 4, bpp: 8, pixels: new Uint8Array(16), palette: pal, compression: 1 });
  await rejects(decodeImage(rle, 'rle.bmp'), 'unsupported', 'rle.bmp', /compressed BMP \(RLE8\)/);
  const ok = bmpOf({ width: 10, height: 10, bpp: 24, pixels: noise(300) });
  await rejects(decodeImage(ok.subarray(0, ok.length - 50), 'cut.bmp'), 'corrupt', 'cut.bmp', /truncated/);
});

test('16-bit greyscale is stretched to 8 bits and the conversion is recorded', async () => {
  const w = 8;
  const h = 4;
  const v16 = new Uint16Array(w * h).map((_, i) => 1000 + i * 100); // 1000..4100, a 12-bit sensor range
  const png16 = await sharp(v16, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  const img = await decodeImage(png16, 'deep.png');
  assert.equal(img.bitDepth, 16);
  assert.equal(img.channels, 1);
  assert.equal(img.data[0], 0);
  assert.equal(img.data[w * h - 1], 255);
  assert.equal(img.data[16], Math.round(((2600 - 1000) * 255) / 3100));
  assert.match(img.conversion!, /16-bit → 8-bit \(values 1000–4100 stretched to 0–255\)/);
  const stored = await storableImage(png16, img);
  assert.equal(stored.ext, 'png');
  const back = await sharp(stored.bytes).metadata();
  assert.deepEqual([back.depth, back.channels], ['uchar', 1]);
});

test('EXIF orientation, alpha and TIFF are normalised and reported', async () => {
  const w = 6;
  const h = 3;
  const rgb = noise(w * h * 3, 9);
  const rotated = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const r = await decodeImage(rotated, 'rot.jpg');
  assert.deepEqual([r.width, r.height], [h, w], 'orientation 6 swaps width and height');
  assert.match(r.conversion!, /EXIF orientation 6 applied/);
  assert.equal((await storableImage(rotated, r)).ext, 'png');

  const rgbaPng = await pngOf(noise(w * h * 4, 10), w, h, 4);
  const a = await decodeImage(rgbaPng, 'alpha.png');
  assert.equal(a.channels, 3);
  assert.match(a.conversion!, /alpha channel removed/);

  const tif = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).tiff({ compression: 'lzw' }).toBuffer();
  const t = await decodeImage(tif, 't.tif');
  assert.equal(t.format, 'tiff');
  assert.deepEqual(t.data, rgb);
});

test('corrupt and unsupported images are refused with the file named', async () => {
  const jpg = readFileSync(join(NEU, 'images', 'train_000201.jpg'));
  await rejects(decodeImage(jpg.subarray(0, jpg.length >> 1), 'half.jpg'), 'corrupt', 'half.jpg', /damaged JPEG/);
  await rejects(decodeImage(Buffer.from('just some text'), 'notes.png'), 'corrupt', 'notes.png', /unrecognised content/);
  await rejects(decodeImage(Buffer.alloc(0), 'empty.png'), 'corrupt', 'empty.png', /empty/);
  const gif = await sharp(noise(12), { raw: { width: 2, height: 2, channels: 3 } }).gif().toBuffer();
  await rejects(decodeImage(gif, 'anim.gif'), 'unsupported', 'anim.gif', /GIF/);
  const png = await pngOf(noise(64 * 64 * 3), 64, 64, 3);
  await rejects(decodeImage(png.subarray(0, png.length - 100), 'cut.png'), 'corrupt', 'cut.png', /damaged PNG/);
});

test('masks: own PNG codec round-trips, reads sharp-written PNGs of every filter, NEU masks match sharp', async () => {
  const w = 33;
  const h = 17;
  const m = noise(w * h, 11).map((v) => v % 5);
  const png = encodeMaskPng(m, w, h);
  assert.deepEqual(decodeGrey8Png(png)!.data, m);
  assert.ok(encodeMaskPng(m, w, h).equals(png), 'deterministic bytes');
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.channels, meta.depth, meta.width, meta.height], [1, 'uchar', w, h], 'sharp reads our PNG as 8-bit grey');
  assert.deepEqual(new Uint8Array(await sharp(png).extractChannel(0).raw().toBuffer()), m);
  // sharp writes adaptive filters (sub/up/average/paeth) that our decoder must undo
  const smooth = new Uint8Array(w * h).map((_, i) => ((i % w) * 3 + Math.floor(i / w) * 5) & 0xff);
  for (const data of [m, smooth]) {
    const byLibpng = await sharp(data, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer();
    assert.equal((await sharp(byLibpng).metadata()).channels, 1);
    assert.deepEqual((await decodeMaskPng(byLibpng, 'lib.png')).data, data);
  }
  for (const name of ['train_000201', 'train_000202', 'test_000001']) {
    const bytes = readFileSync(join(NEU, 'masks', `${name}.png`));
    const ours = await decodeMaskPng(bytes, `${name}.png`);
    assert.deepEqual([ours.width, ours.height], [200, 200]);
    assert.deepEqual(ours.data, new Uint8Array(await sharp(bytes).extractChannel(0).raw().toBuffer()));
  }
  const cut = png.subarray(0, png.length - 20);
  await rejects(decodeMaskPng(cut, 'cut.png'), 'corrupt', 'cut.png', /damaged mask PNG/);
});

test('masks: equal-channel RGB and palette indices are accepted; colour and 16-bit masks are refused', async () => {
  const w = 5;
  const h = 4;
  const m = noise(w * h, 12).map((v) => v % 3);
  const rgb = new Uint8Array(w * h * 3).map((_, i) => m[Math.floor(i / 3)]!);
  assert.deepEqual((await decodeMaskPng(await pngOf(rgb, w, h, 3), 'rgb.png')).data, m);
  const pal = await sharp(new Uint8Array(w * h * 3).map((_, i) => [0, 200, 90][m[Math.floor(i / 3)]!]! + (i % 3)), { raw: { width: w, height: h, channels: 3 } })
    .png({ palette: true, colours: 4, dither: 0 })
    .toBuffer();
  assert.equal((await sharp(pal).metadata()).isPalette, true);
  const idx = (await decodeMaskPng(pal, 'pal.png')).data;
  // palette index assignment is libimagequant's; pixels with the same colour share an index
  for (let i = 0; i < m.length; i++) for (let j = 0; j < m.length; j++) assert.equal(idx[i] === idx[j], m[i] === m[j]);
  const colour = rgb.slice();
  colour[3 * 7 + 1] = 250;
  await rejects(decodeMaskPng(await pngOf(colour, w, h, 3), 'colour.png'), 'unsupported', 'colour.png', /colour mask \(pixel 2,1/);
  const m16 = await sharp(new Uint16Array(w * h), { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  await rejects(decodeMaskPng(m16, 'deep.png'), 'unsupported', 'deep.png', /16-bit mask/);
  const bmpMask = bmpOf({ width: w, height: h, bpp: 8, pixels: m, palette: new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3)) });
  assert.deepEqual((await decodeMaskPng(bmpMask, 'm.bmp')).data, m);
});
