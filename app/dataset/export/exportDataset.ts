// `pasam export`: dispatches to the format's exporter.
import { existsSync, readdirSync } from 'node:fs';
import { exportColorPng } from './colorPng.js';
import { exportCoco } from './coco.js';
import type { ExportClass, ExportFormat, ExportItem, ExportSummary } from './exportTypes.js';
import { exportLabelme } from './labelme.js';
import { exportMaskPng } from './maskPng.js';

export async function exportDataset(items: ExportItem[], classes: ExportClass[], out: string, format: ExportFormat): Promise<ExportSummary> {
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty; export into a new or empty folder`);
  switch (format) {
    case 'mask-png': return exportMaskPng(items, classes, out);
    case 'overlay': return exportMaskPng(items, classes, out, { overlay: true });
    case 'color-png': return exportColorPng(items, classes, out);
    case 'coco': return exportCoco(items, classes, out);
    case 'labelme': return exportLabelme(items, classes, out);
  }
}
