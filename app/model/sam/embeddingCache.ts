// Image-embedding cache for the interactive predictor, keyed by image hash + model id + S, so
// re-opening an image skips the encoder. The project passes `<project>/cache/embeddings/`.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CachedEmbedding {
  /** (g, g, C) NHWC float32. */
  data: Float32Array;
  shape: [number, number, number];
  /** Original image (H, W). */
  originalSize: [number, number];
  /** Resized image (h, w) inside the S×S input. */
  inputSize: [number, number];
}

export interface EmbeddingCacheKey {
  imageHash: string;
  modelId: string;
  inputSize: number;
}

export interface EmbeddingCache {
  get(key: EmbeddingCacheKey): Promise<CachedEmbedding | undefined>;
  put(key: EmbeddingCacheKey, value: CachedEmbedding): Promise<void>;
}

export function embeddingCacheKey(k: EmbeddingCacheKey): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(k.modelId)}-s${k.inputSize}-${safe(k.imageHash)}`;
}

/** One `<key>.json` + `<key>.f32` pair per embedding; writes are atomic (temp + rename). */
export class FileEmbeddingCache implements EmbeddingCache {
  constructor(readonly dir: string) {}

  async get(key: EmbeddingCacheKey): Promise<CachedEmbedding | undefined> {
    const base = join(this.dir, embeddingCacheKey(key));
    if (!existsSync(`${base}.json`) || !existsSync(`${base}.f32`)) return undefined;
    try {
      const meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Omit<CachedEmbedding, 'data'>;
      const buf = await readFile(`${base}.f32`);
      const n = meta.shape[0] * meta.shape[1] * meta.shape[2];
      if (buf.length !== n * 4) return undefined; // damaged entry: recompute
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(buf);
      return { ...meta, data };
    } catch {
      return undefined;
    }
  }

  async put(key: EmbeddingCacheKey, value: CachedEmbedding): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const base = join(this.dir, embeddingCacheKey(key));
    const tmp = `${base}.${process.pid}.tmp`;
    await writeFile(`${tmp}.f32`, Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength));
    await writeFile(`${tmp}.json`, JSON.stringify({ shape: value.shape, originalSize: value.originalSize, inputSize: value.inputSize }));
    await rename(`${tmp}.f32`, `${base}.f32`);
    await rename(`${tmp}.json`, `${base}.json`);
  }
}
