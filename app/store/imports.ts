// Import records: one row per folder/format import with its report, and the atomic commit of the
// validated images (and their masks) that an import adds. The files are stored before the commit.
import { now, type StoreContext } from './storeContext.js';
import { addClass } from './classes.js';
import { insertMaskRow } from './masks.js';
import type { ImageStatus, ImportRecord, Split } from './storeTypes.js';

/** A fully validated image whose files are already in the content store (see importPipeline). */
export interface NewImage {
  sha256: string;
  ext: string;
  originalName: string;
  sourcePath: string | null;
  width: number;
  height: number;
  split: Split;
  groupKey: string | null;
  conversion: string | null;
  status: ImageStatus;
  mask?: { sha256: string; classPixels: Map<number, number> };
}

export interface ImportMeta {
  source: string;
  format: string;
  report: unknown;
  newClasses?: { name: string; color?: string }[];
}

/**
 * Inserts validated images (their files already stored) and an imports row, all in one
 * transaction. Used by the import pipeline; returns the import id and the new image ids.
 */
export function commitImport(s: StoreContext, meta: ImportMeta, images: NewImage[], onInserted?: (done: number, total: number) => void): { importId: number; imageIds: number[] } {
  return s.transaction(() => {
    const t = now();
    for (const c of meta.newClasses ?? []) addClass(s, c.name, c.color);
    const importId = Number(s.sql('INSERT INTO imports (source, format, added, report, created_at) VALUES (?, ?, ?, ?, ?)').run(meta.source, meta.format, images.length, JSON.stringify(meta.report), t).lastInsertRowid);
    const ins = s.sql(
      'INSERT INTO images (sha256, ext, original_name, source_path, width, height, split, status, group_key, conversion, import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const imageIds: number[] = [];
    for (const im of images) {
      const id = Number(ins.run(im.sha256, im.ext, im.originalName, im.sourcePath, im.width, im.height, im.split, im.status, im.groupKey, im.conversion, importId, t).lastInsertRowid);
      imageIds.push(id);
      if (im.mask) insertMaskRow(s, id, im.mask.sha256, im.mask.classPixels, { source: 'import', note: null, runId: null });
      onInserted?.(imageIds.length, images.length);
    }
    return { importId, imageIds };
  });
}

export function listImports(s: StoreContext): ImportRecord[] {
  return (s.sql('SELECT id, source, format, added, created_at FROM imports ORDER BY id').all() as { id: number; source: string; format: string; added: number; created_at: string }[]).map((r) => ({
    id: r.id,
    source: r.source,
    format: r.format,
    added: r.added,
    createdAt: r.created_at,
  }));
}

/** The stored report of an import (as the pipeline produced it). */
export function importReport(s: StoreContext, importId: number): unknown {
  const r = s.sql('SELECT report FROM imports WHERE id = ?').get(importId) as { report: string } | undefined;
  return r ? JSON.parse(r.report) : null;
}
