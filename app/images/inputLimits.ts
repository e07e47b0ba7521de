// Limits on what a file from outside may make us allocate or compute (issue 15: a 875 KB PNG
// declaring 30000², a 200×200 PNG carrying a 500 MB zlib stream, a 16000² JPEG bomb). Each limit
// has a default meant for industrial inspection images and an environment variable to raise it;
// exceeding one is an InputLimitError naming the file, what it holds and the limit.
import { inflateSync } from 'node:zlib';

export interface LimitSpec {
  env: string;
  default: number;
  /** How the limit reads in a message ('200 MP', '256 MiB'). */
  unit: (v: number) => string;
}

const mp = (v: number): string => (v >= 10_000 ? `${+(v / 1e6).toFixed(2)} MP` : `${v} pixels`);
const mib = (v: number): string => `${+(v / 1048576).toFixed(1)} MiB`;
const plain = (v: number): string => String(v);

/** Every input limit, by name (documented in the README's "Input limits" table). */
export const INPUT_LIMITS = {
  imagePixels: { env: 'PASAM_MAX_IMAGE_PIXELS', default: 200_000_000, unit: mp },
  pngDataBytes: { env: 'PASAM_MAX_PNG_DATA_BYTES', default: 1024 * 1048576, unit: mib },
  fileBytes: { env: 'PASAM_MAX_FILE_BYTES', default: 1024 * 1048576, unit: mib },
  jsonBytes: { env: 'PASAM_MAX_JSON_BYTES', default: 256 * 1048576, unit: mib },
  jsonDepth: { env: 'PASAM_MAX_JSON_DEPTH', default: 64, unit: plain },
  polygonPoints: { env: 'PASAM_MAX_POLYGON_POINTS', default: 100_000, unit: plain },
  annotationsPerImage: { env: 'PASAM_MAX_ANNOTATIONS_PER_IMAGE', default: 10_000, unit: plain },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof INPUT_LIMITS;

/** A limit's value now: its environment variable if set (a positive integer), else the default. */
export function inputLimit(name: LimitName): number {
  const spec = INPUT_LIMITS[name];
  const raw = process.env[spec.env];
  if (raw === undefined || raw.trim() === '') return spec.default;
  const v = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${spec.env}=${raw} is not a positive whole number`);
  return v;
}

/** A file exceeds an input limit. `detail` says what it holds, the limit and how to raise it. */
export class InputLimitError extends Error {
  constructor(
    readonly file: string,
    readonly limit: LimitName,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'InputLimitError';
  }
}

/** Throws unless `value` ≤ the limit; `what` describes the value ('image is 30000×30000'). */
export function enforceLimit(name: LimitName, value: number, file: string, what: string): void {
  const max = inputLimit(name);
  if (value <= max) return;
  const spec = INPUT_LIMITS[name];
  throw new InputLimitError(file, name, `${what}, above the limit of ${spec.unit(max)} (set ${spec.env} to allow more)`);
}

/** Refuses an image or mask whose pixel count exceeds the limit, before anything is decoded. */
export function checkImagePixels(width: number, height: number, file: string, what = 'image'): void {
  enforceLimit('imagePixels', width * height, file, `${what} is ${width}×${height} = ${mp(width * height)}`);
}

/** sharp's own decompression-bomb guard, set to our pixel limit (never disabled). */
export function sharpInputOptions(): { limitInputPixels: number } {
  return { limitInputPixels: inputLimit('imagePixels') };
}

/**
 * Inflates PNG image data, stopping as soon as the output passes what the header says the image
 * needs (`expected` bytes): a small file carrying a huge zlib stream costs no more than the image.
 */
export function inflatePngData(data: Buffer, expected: number, file: string): Buffer {
  enforceLimit('pngDataBytes', expected, file, `PNG image data would be ${mib(expected)} decompressed`);
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, expected) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputLimitError(file, 'pngDataBytes', `PNG image data decompresses to more than the ${expected} bytes its header declares (a decompression bomb or a damaged file)`);
    }
    throw err;
  }
}

/**
 * Pixel size declared by a PNG (IHDR) or JPEG (SOFn) header, read without any decoder, or null
 * for other formats or a header too damaged to read. Lets the pixel limit name the size.
 */
export function headerDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  for (let i = 2; i + 9 < b.length; ) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

/** The pixel limit checked on a PNG/JPEG header before any decoder sees the file. */
export function checkHeaderPixels(bytes: Uint8Array, file: string, what = 'image'): void {
  const d = headerDimensions(bytes);
  if (d) checkImagePixels(d.width, d.height, file, what);
}

/** sharp refusing a file over limitInputPixels, as our error (other formats than PNG/JPEG). */
export function sharpLimitError(err: unknown, file: string, what = 'image'): InputLimitError | null {
  if (!(err instanceof Error) || !/exceeds pixel limit/i.test(err.message)) return null;
  const spec = INPUT_LIMITS.imagePixels;
  return new InputLimitError(file, 'imagePixels', `${what} is larger than the limit of ${spec.unit(inputLimit('imagePixels'))} (set ${spec.env} to allow more)`);
}
