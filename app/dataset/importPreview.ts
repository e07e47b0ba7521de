// What an import would do, found by reading the source through the same format detection and
// readers as the import itself (readSource.streamImport) without writing anything: the layout the
// UI shows before the user confirms (counts of images, masks, classes, and what is skipped and why).
import { resolve } from 'node:path';
import type { ProjectStore } from '../store/projectStore.js';
import type { Split } from '../store/storeTypes.js';
import type { ClassMap } from './classMapping.js';
import type { ImportPreview } from './importTypes.js';

export type { ImportPreview };
import { isFatal } from './importPipeline.js';
import { streamImport, type FormatOption } from './readSource.js';


export async function previewImport(store: ProjectStore, source: string, opts: { format?: FormatOption; classMap?: ClassMap; split?: Split } = {}): Promise<ImportPreview> {
  const stream = streamImport(resolve(source), { format: opts.format ?? 'auto', classMap: opts.classMap, projectClasses: store.listClasses() });
  let images = 0;
  let withMasks = 0;
  const splits: Record<string, number> = {};
  const perClass = new Map<number, number>();
  for await (const c of stream.candidates) {
    images++;
    const split = c.split ?? opts.split ?? 'unassigned';
    splits[split] = (splits[split] ?? 0) + 1;
    if (!c.mask) continue;
    withMasks++;
    const seen = new Uint8Array(256);
    for (const v of c.mask.data) seen[v] = 1;
    for (let k = 1; k < 256; k++) if (seen[k]) perClass.set(k, (perClass.get(k) ?? 0) + 1);
  }
  const existing = new Map(store.listClasses().map((c) => [c.index, c.name]));
  const added = new Map(stream.newClasses.map((c) => [c.index, c.name]));
  const classes = [...new Set([...perClass.keys(), ...added.keys()])]
    .sort((a, b) => a - b)
    .map((index) => ({ index, name: existing.get(index) ?? added.get(index) ?? `class ${index}`, isNew: !existing.has(index), images: perClass.get(index) ?? 0 }));
  return {
    source: resolve(source),
    format: stream.format,
    ...(stream.detection ? { detected: `${stream.detection.format} (${stream.detection.reason})` } : {}),
    images,
    withMasks,
    splits,
    classes,
    skipped: stream.problems.filter((p) => !isFatal(p)),
    bad: stream.problems.filter(isFatal),
    notes: stream.notes,
  };
}
