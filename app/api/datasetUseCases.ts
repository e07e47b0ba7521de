// Import and export from the UI through the very code the CLI uses (app/dataset: format detection,
// readers, class mapping, the import pipeline, the exporters): a preview that writes nothing, the
// import itself, and export in every format. Handlers here only check parameters.
import { existsSync, statSync } from 'node:fs';
import type { ApiEvent, ApiMethods } from './apiTypes.js';
import { ApiError } from './apiErrors.js';
import { optOneOfList, optString, reqString } from './paramCheck.js';
import type { ProjectStore } from '../store/projectStore.js';
import { SPLITS, type Split } from '../store/storeTypes.js';
import { ClassMapError, parseClassMap, type ClassMap } from '../dataset/classMapping.js';
import { FORMAT_OPTIONS, type FormatOption } from '../dataset/readSource.js';
import { EXPORT_FORMATS, type ExportFormat } from '../dataset/export/exportTypes.js';

type DatasetMethods = Pick<ApiMethods, 'dataset.previewImport' | 'dataset.import' | 'dataset.export'>;
type Handlers = { [M in keyof DatasetMethods]: (p: Record<string, unknown>) => Promise<DatasetMethods[M]['result']> };

export interface DatasetContext {
  requireStore(): ProjectStore;
  absolutePath(p: string): string;
  emit(e: ApiEvent): void;
  /** After an import: the grid and the project summary change. */
  imported(store: ProjectStore): void;
}

function importOptions(p: Record<string, unknown>, ctx: DatasetContext): { source: string; format: FormatOption; split?: Split; classMap?: ClassMap; masks?: string } {
  const source = ctx.absolutePath(reqString(p, 'path'));
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new ApiError('not-found', `${source}: no such folder`);
  const format = (optString(p, 'format') ?? 'auto') as FormatOption;
  if (!FORMAT_OPTIONS.includes(format)) throw new ApiError('bad-request', `format must be one of ${FORMAT_OPTIONS.join(', ')}, got '${format}'`);
  const split = optString(p, 'split') as Split | undefined;
  if (split !== undefined && !SPLITS.includes(split)) throw new ApiError('bad-request', `split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const masksText = optString(p, 'masks');
  const masks = masksText ? ctx.absolutePath(masksText) : undefined;
  if (masks !== undefined && format !== 'auto' && format !== 'folder') throw new ApiError('bad-request', 'a masks folder goes with the folder format only');
  let classMap: ClassMap | undefined;
  try {
    classMap = parseClassMap(optString(p, 'map') || undefined);
  } catch (err) {
    if (err instanceof ClassMapError) throw new ApiError('bad-request', err.message);
    throw err;
  }
  return { source, format, ...(split ? { split } : {}), ...(classMap?.size ? { classMap } : {}), ...(masks ? { masks } : {}) };
}

export function datasetHandlers(ctx: DatasetContext): Handlers {
  return {
    'dataset.previewImport': async (p) => {
      const o = importOptions(p, ctx);
      const { previewImport } = await import('../dataset/importPreview.js');
      return previewImport(ctx.requireStore(), o.source, { format: o.masks ? 'folder' : o.format, classMap: o.classMap, split: o.split });
    },
    'dataset.import': async (p) => {
      const o = importOptions(p, ctx);
      const store = ctx.requireStore();
      const { importSource } = await import('../dataset/projectDataset.js');
      let last = 0;
      let report;
      try {
        report = await importSource(store, o.source, {
          format: o.format,
          masks: o.masks,
          split: o.split,
          classMap: o.classMap,
          onProgress: (phase, done, total) => {
            const now = Date.now();
            if (now - last < 250 && done !== total) return;
            last = now;
            ctx.emit({ type: 'import.progress', done, total: total ?? 0, file: phase });
          },
        });
      } catch (err) {
        throw new ApiError('bad-request', err instanceof Error ? err.message : String(err));
      }
      if (!report.failed) ctx.imported(store);
      return report;
    },
    'dataset.export': async (p) => {
      const out = ctx.absolutePath(reqString(p, 'out'));
      const format = reqString(p, 'format') as ExportFormat;
      if (!EXPORT_FORMATS.includes(format)) throw new ApiError('bad-request', `format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
      const splits = optOneOfList(p, 'splits', SPLITS);
      const { exportProject } = await import('../dataset/projectDataset.js');
      try {
        return await exportProject(ctx.requireStore(), out, format, splits ? { splits } : {});
      } catch (err) {
        throw new ApiError('bad-request', err instanceof Error ? err.message : String(err));
      }
    },
  };
}
