// Every `pasam` sub-command, in the order `pasam --help` lists them. A command's module is loaded
// only when it runs, so that quick commands do not pay for TensorFlow.js or sharp at start-up.
import type { CliCommand } from '../cliTypes.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

export const commands: CommandEntry[] = [
  { name: 'init', summary: 'create a project folder (one product line)', load: async () => (await import('./init.js')).initCommand },
  { name: 'class', summary: 'list, add, rename, recolor, merge or remove defect classes', load: async () => (await import('./class.js')).classCommand },
  { name: 'import', summary: 'import images with masks or annotations (folder, mask-png, class-folders, labelme, coco, voc, mvtec)', load: async () => (await import('./import.js')).importCommand },
  { name: 'split', summary: 'assign train/val/test splits (stratified, group-aware, seeded) or lock an image’s split', load: async () => (await import('./split.js')).splitCommand },
  { name: 'trash', summary: 'move images to the Trash, list or restore them, or delete them permanently', load: async () => (await import('./trash.js')).trashCommand },
  { name: 'check', summary: 'dataset health: mask problems, specks, cross-split near-duplicates, class imbalance', load: async () => (await import('./check.js')).checkCommand },
  { name: 'export', summary: 'export images and latest masks as mask-png, color-png (VOC), coco, labelme or overlay', load: async () => (await import('./export.js')).exportCommand },
  { name: 'info', summary: 'show image counts per split, status and class', load: async () => (await import('./info.js')).infoCommand },
  { name: 'model', summary: 'import official SAM checkpoints into the model library, list it, export models to ONNX/Triton', load: async () => (await import('./model.js')).modelCommand },
  { name: 'predict', summary: 'segment one image with a library SAM model from points and/or a box', load: async () => (await import('./predict.js')).predictCommand },
  { name: 'train', summary: 'fine-tune PA-SAM (or train a preset from scratch) on the project', load: async () => (await import('./train.js')).trainCommand },
  { name: 'eval', summary: "evaluate a run's model on a split at the original image resolution", load: async () => (await import('./evalCommand.js')).evalCommand },
  { name: 'segment', summary: 'segment a folder of images with a run or an exported model into class-index PNG masks and a report', load: async () => (await import('./segment.js')).segmentCommand },
  { name: 'serve', summary: 'serve the annotator to a browser on this machine (token-protected, loopback by default)', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'desktop', summary: 'start the desktop app (Electron), or the browser UI on loopback where Electron is unavailable', load: async () => (await import('./desktop.js')).desktopCommand },
  { name: 'doctor', summary: 'show the compute backend, why faster ones were skipped, and machine facts', load: async () => (await import('./doctor.js')).doctorCommand },
];
