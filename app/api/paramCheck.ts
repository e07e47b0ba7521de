// Checks of API params arriving as untrusted JSON/IPC values; each failure names the field.
import { ApiError } from './apiErrors.js';

type Obj = Record<string, unknown>;

export function asObject(v: unknown, what = 'params'): Obj {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError('bad-request', `${what} must be an object`);
  return v as Obj;
}

export function reqInt(o: Obj, key: string, min = 0): number {
  const v = o[key];
  if (!Number.isInteger(v) || (v as number) < min) throw new ApiError('bad-request', `'${key}' must be an integer ≥ ${min}`);
  return v as number;
}

export function optInt(o: Obj, key: string, min = 0): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : reqInt(o, key, min);
}

export function reqString(o: Obj, key: string, maxLength = 4096): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) throw new ApiError('bad-request', `'${key}' must be a non-empty string`);
  return v;
}

export function optString(o: Obj, key: string, maxLength = 4096): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : reqString(o, key, maxLength);
}

export function optBool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ApiError('bad-request', `'${key}' must be true or false`);
  return v;
}

export function oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new ApiError('bad-request', `'${key}' must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function optOneOfList<T extends string>(o: Obj, key: string, allowed: readonly T[]): T[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !(allowed as readonly string[]).includes(x))) {
    throw new ApiError('bad-request', `'${key}' must be a list of ${allowed.join(', ')}`);
  }
  return v as T[];
}

export function intList(o: Obj, key: string, maxLength = 1_000_000): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length > maxLength || v.some((x) => !Number.isInteger(x) || x < 0)) throw new ApiError('bad-request', `'${key}' must be a list of ids`);
  return v as number[];
}

export function hexColor(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(v)) throw new ApiError('bad-request', `'${key}' must be a colour like #ff8800`);
  return v.toLowerCase();
}

export function labelMask(o: Obj, key: string): { width: number; height: number; data: Uint8Array } {
  const m = asObject(o[key], key);
  const width = reqInt(m, 'width', 1);
  const height = reqInt(m, 'height', 1);
  const data = m.data;
  if (!(data instanceof Uint8Array)) throw new ApiError('bad-request', `'${key}.data' must be bytes`);
  if (data.length !== width * height) throw new ApiError('bad-request', `'${key}' has ${data.length} values, expected ${width}×${height} = ${width * height}`);
  return { width, height, data };
}
