// A new batch job never replaces files it finds in its output folder unless told to: before a job
// is created, the files it would write (masks, overlays, report) are checked, and an output that
// already holds some of them is refused with the count, the folder and a free sibling folder to
// use instead. Files the job would not write are never counted or touched; a resumed job writes
// over its own earlier output and is not checked.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BatchUsageError } from './batchUsageError.js';

/** The files a new job would write, relative to the output folder (the report is absolute). */
export interface PlannedOutput {
  masks: readonly string[];
  overlays: readonly string[];
  reports: readonly string[];
}

export interface ExistingOutput {
  masks: number;
  overlays: number;
  reports: number;
  total: number;
  /** The counts in words: "3 masks, 1 overlay and 2 report files". */
  summary: string;
  /** Up to five of them (output-relative, or absolute for report files), for the message. */
  examples: string[];
}

const EXAMPLES = 5;

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Which of the planned files exist already (one stat per file; no listing of the folder). */
export function existingOutputFiles(output: string, planned: PlannedOutput): ExistingOutput {
  const examples: string[] = [];
  const count = (files: readonly string[], abs: (f: string) => string): number => {
    let n = 0;
    for (const f of files) {
      if (!existsSync(abs(f))) continue;
      n++;
      if (examples.length < EXAMPLES) examples.push(f);
    }
    return n;
  };
  const inOutput = (f: string): string => join(output, ...f.split('/'));
  const masks = count(planned.masks, inOutput);
  const overlays = count(planned.overlays, inOutput);
  const reports = count(planned.reports, (f) => f);
  return { masks, overlays, reports, total: masks + overlays + reports, summary: describeCounts(masks, overlays, reports), examples };
}

const isEmptyFolder = (dir: string): boolean => statSync(dir).isDirectory() && readdirSync(dir).length === 0;

/** `<output>-2`, `-3`, … : the first sibling that does not exist or is an empty folder. */
export function freeOutputFolder(output: string): string {
  for (let n = 2; ; n++) {
    const candidate = `${output}-${n}`;
    if (!existsSync(candidate) || isEmptyFolder(candidate)) return candidate;
  }
}

function describeCounts(masks: number, overlays: number, reports: number): string {
  const parts = [masks && plural(masks, 'mask'), overlays && plural(overlays, 'overlay'), reports && plural(reports, 'report file')].filter((p): p is string => Boolean(p));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? 'no files');
}

/** A new job would replace files in its output folder and was not told to overwrite. */
export class BatchOutputExistsError extends BatchUsageError {
  constructor(
    readonly output: string,
    readonly existing: ExistingOutput,
    readonly freeOutput: string,
  ) {
    super(`the output folder ${output} already holds ${plural(existing.total, 'file')} this job would write (${existing.summary}, e.g. ${existing.examples.join(', ')}); nothing was written`);
    this.name = 'BatchOutputExistsError';
  }
}
