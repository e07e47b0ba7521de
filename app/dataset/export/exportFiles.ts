// Output naming shared by exporters: unique stems per export (original names repeat, e.g. MVTec's 000.png).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { stemOf } from '../sourceFiles.js';
import type { ExportClass } from './exportTypes.js';

export class StemAllocator {
  private used = new Set<string>();
  stem(originalName: string, id: number): string {
    let stem = stemOf(originalName).replace(/[/\\]/g, '_') || `image_${id}`;
    if (this.used.has(stem.toLowerCase())) stem = `${stem}_${id}`;
    this.used.add(stem.toLowerCase());
    return stem;
  }
}

export function writeOut(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

export function imageExt(originalName: string, fallback: string): string {
  const e = extname(originalName).toLowerCase();
  return e || fallback;
}

export function rgbOf(color: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`'${color}' is not a #rrggbb colour`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

export function classesJson(classes: ExportClass[]): string {
  return JSON.stringify(classes.map((c) => ({ index: c.index, name: c.name, color: c.color })), null, 2) + '\n';
}

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
