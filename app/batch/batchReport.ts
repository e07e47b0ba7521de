// The report of a batch segmentation job, built from the job's item rows (so a job resumed over
// several sessions reports every image once): per image the classes present, defect area in
// pixels and percent, connected components (8-connected, per class), mean confidence and time;
// a summary per class. Written as CSV (per image; per class beside it) and JSON (everything).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { BatchJobItemRecord, BatchJobRecord, BatchItemStatus } from '../store/storeTypes.js';
import type { ClassStats } from './maskStats.js';
import { readBatchItemResult } from './batchJobRecord.js';

export const BATCH_REPORT_FORMAT = 'pasam-batch-report';
export const BATCH_REPORT_VERSION = 1;

/** What one segmented image leaves in its item row. */
export interface BatchItemResult {
  /** Mask path relative to the output folder. */
  mask: string;
  /** Overlay path relative to the output folder, when overlays were asked for. */
  overlay: string | null;
  width: number;
  height: number;
  /** Defect classes with at least one pixel. */
  classes: ClassStats[];
  defectPixels: number;
  /** 100 · defectPixels / (width · height). */
  defectPercent: number;
  /** Connected components over all defect classes (each class counted separately). */
  components: number;
  /** Mean max-softmax probability; see batchPredict.ts for which pixels it averages over. */
  meanConfidence: number | null;
  confidenceOver: 'defect' | 'all';
  /** Wall time for this image (decode, its share of the model call, statistics, writes). */
  ms: number;
}

export interface ReportClass {
  index: number;
  name: string;
  color: string;
}

export interface ReportImage {
  file: string;
  status: BatchItemStatus;
  mask: string | null;
  overlay: string | null;
  width: number | null;
  height: number | null;
  classesPresent: string[];
  defectPixels: number | null;
  defectPercent: number | null;
  components: number | null;
  perClass: Record<string, { pixels: number; percent: number; components: number }>;
  meanConfidence: number | null;
  confidenceOver: 'defect' | 'all' | null;
  ms: number | null;
  error: string | null;
}

export interface ReportClassSummary {
  index: number;
  name: string;
  /** Segmented images containing the class. */
  images: number;
  pixels: number;
  /** Share of all segmented pixels. */
  percentOfPixels: number;
  components: number;
  /** Mean class area (percent of the image) over the images that contain it. */
  meanPercentWherePresent: number | null;
}

export interface BatchReport {
  format: typeof BATCH_REPORT_FORMAT;
  version: number;
  jobId: number;
  model: Record<string, unknown>;
  input: string | null;
  output: string | null;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  classes: ReportClass[];
  totals: { files: number; done: number; failed: number; skipped: number; pending: number; defective: number; pixels: number; seconds: number; imagesPerSecond: number | null };
  perClass: ReportClassSummary[];
  images: ReportImage[];
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function buildBatchReport(job: BatchJobRecord, items: readonly BatchJobItemRecord[], classes: readonly ReportClass[]): BatchReport {
  const nameOf = (k: number): string => classes.find((c) => c.index === k)?.name ?? `class ${k}`;
  const defectClasses = classes.filter((c) => c.index > 0);
  const sum = new Map<number, { images: number; pixels: number; components: number; percent: number }>();
  for (const c of defectClasses) sum.set(c.index, { images: 0, pixels: 0, components: 0, percent: 0 });
  let pixelsAll = 0;
  let ms = 0;
  let defective = 0;
  const counts = { done: 0, failed: 0, skipped: 0, pending: 0 };
  const images: ReportImage[] = items.map((it) => {
    counts[it.status]++;
    const r = readBatchItemResult(it);
    if (!r) {
      return { file: it.sourcePath, status: it.status, mask: null, overlay: null, width: null, height: null, classesPresent: [], defectPixels: null, defectPercent: null, components: null, perClass: {}, meanConfidence: null, confidenceOver: null, ms: null, error: it.error };
    }
    const n = r.width * r.height;
    pixelsAll += n;
    ms += r.ms;
    if (r.defectPixels > 0) defective++;
    const perClass: ReportImage['perClass'] = {};
    for (const c of r.classes) {
      if (c.pixels === 0) continue;
      perClass[nameOf(c.index)] = { pixels: c.pixels, percent: round((100 * c.pixels) / n), components: c.components };
      const s = sum.get(c.index) ?? { images: 0, pixels: 0, components: 0, percent: 0 };
      s.images++;
      s.pixels += c.pixels;
      s.components += c.components;
      s.percent += (100 * c.pixels) / n;
      sum.set(c.index, s);
    }
    return {
      file: it.sourcePath,
      status: it.status,
      mask: r.mask,
      overlay: r.overlay,
      width: r.width,
      height: r.height,
      classesPresent: Object.keys(perClass),
      defectPixels: r.defectPixels,
      defectPercent: round(r.defectPercent),
      components: r.components,
      perClass,
      meanConfidence: r.meanConfidence === null || !Number.isFinite(r.meanConfidence) ? null : round(r.meanConfidence),
      confidenceOver: r.confidenceOver,
      ms: round(r.ms, 1),
      error: null,
    };
  });
  const perClass: ReportClassSummary[] = [...sum.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, s]) => ({
      index,
      name: nameOf(index),
      images: s.images,
      pixels: s.pixels,
      percentOfPixels: pixelsAll ? round((100 * s.pixels) / pixelsAll) : 0,
      components: s.components,
      meanPercentWherePresent: s.images ? round(s.percent / s.images) : null,
    }));
  return {
    format: BATCH_REPORT_FORMAT,
    version: BATCH_REPORT_VERSION,
    jobId: job.id,
    model: (job.config.model as Record<string, unknown>) ?? {},
    input: job.source,
    output: job.output,
    status: job.status,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    classes: [...classes],
    totals: { files: items.length, ...counts, defective, pixels: pixelsAll, seconds: round(ms / 1000, 3), imagesPerSecond: ms > 0 ? round((counts.done * 1000) / ms, 3) : null },
    perClass,
    images,
  };
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  // One record per line: multi-line messages (decoder errors) are folded.
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v).replace(/\s*[\r\n]+\s*/g, ' ');
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (fields: unknown[]): string => fields.map(csvField).join(',');

/** One row per file; per-class columns for every defect class of the model. */
export function reportImagesCsv(report: BatchReport): string {
  const defect = report.classes.filter((c) => c.index > 0);
  const head = ['file', 'status', 'width', 'height', 'classes_present', 'defect_pixels', 'defect_percent', 'components', 'mean_confidence', 'confidence_over', 'ms'];
  for (const c of defect) head.push(`${c.name}_pixels`, `${c.name}_percent`, `${c.name}_components`);
  head.push('mask', 'overlay', 'error');
  const rows = [csvLine(head)];
  for (const im of report.images) {
    const f: unknown[] = [im.file, im.status, im.width, im.height, im.classesPresent.join(';'), im.defectPixels, im.defectPercent, im.components, im.meanConfidence, im.confidenceOver, im.ms];
    for (const c of defect) {
      const pc = im.perClass[c.name];
      const done = im.status === 'done';
      f.push(pc?.pixels ?? (done ? 0 : null), pc?.percent ?? (done ? 0 : null), pc?.components ?? (done ? 0 : null));
    }
    f.push(im.mask, im.overlay, im.error);
    rows.push(csvLine(f));
  }
  return rows.join('\n') + '\n';
}

export function reportClassesCsv(report: BatchReport): string {
  const rows = [csvLine(['class', 'index', 'images', 'pixels', 'percent_of_pixels', 'components', 'mean_percent_where_present'])];
  for (const c of report.perClass) rows.push(csvLine([c.name, c.index, c.images, c.pixels, c.percentOfPixels, c.components, c.meanPercentWherePresent]));
  return rows.join('\n') + '\n';
}

export interface ReportFiles {
  csv: string;
  json: string;
  classesCsv: string;
}

/** The three report files for a path given as `x.csv`, `x.json` or `x` (stem). */
export function reportFiles(path: string): ReportFiles {
  const ext = extname(path).toLowerCase();
  const stem = ext === '.csv' || ext === '.json' ? join(dirname(path), basename(path, extname(path))) : path;
  return { csv: `${stem}.csv`, json: `${stem}.json`, classesCsv: `${stem}-classes.csv` };
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeBatchReport(report: BatchReport, path: string): ReportFiles {
  const files = reportFiles(path);
  writeAtomic(files.csv, reportImagesCsv(report));
  writeAtomic(files.classesCsv, reportClassesCsv(report));
  writeAtomic(files.json, JSON.stringify(report, null, 2) + '\n');
  return files;
}
