// `--format auto`: recognises a source layout and says why.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findChildDir, isImageFile, listDirs, listFiles, readJsonFile, SourceFileError, stemOf } from '../sourceFiles.js';
import { isDefectFreeName, pairImagesAndMasks } from './classFolders.js';
import { findCocoFiles } from './coco.js';
import { IMAGE_DIR_NAMES, MASK_DIR_NAMES, isMaskStem } from './folder.js';
import { isLabelmeJson } from './labelme.js';
import { isMvtecCategory } from './mvtec.js';
import type { FormatName } from './readerTypes.js';

export interface Detection {
  format: FormatName;
  reason: string;
}

function sniffJson(file: string): unknown {
  try {
    return readJsonFile(file);
  } catch {
    return null;
  }
}

export function detectFormat(source: string): Detection {
  if (!existsSync(source)) throw new Error(`${source}: no such file or folder`);
  if (statSync(source).isFile()) {
    if (!source.toLowerCase().endsWith('.json')) throw new Error(`${source}: a single file source must be a COCO JSON`);
    return { format: 'coco', reason: `${basename(source)} is a JSON file` };
  }
  if (isMvtecCategory(source)) return { format: 'mvtec', reason: 'train/, test/ and ground_truth/ (MVTec AD category)' };
  const mvtecCats = listDirs(source).filter(isMvtecCategory);
  if (mvtecCats.length) return { format: 'mvtec', reason: `${mvtecCats.length} MVTec AD categories (${mvtecCats.map((d) => basename(d)).slice(0, 3).join(', ')}${mvtecCats.length > 3 ? ', …' : ''})` };
  if (findChildDir(source, ['JPEGImages']) && findChildDir(source, ['SegmentationClass', 'SegmentationClassPNG'])) {
    return { format: 'voc', reason: 'JPEGImages/ and SegmentationClass/ (Pascal VOC)' };
  }
  const coco = findCocoFiles(source);
  if (coco.length) return { format: 'coco', reason: `COCO JSON ${coco.map((f) => basename(f)).join(', ')}` };
  const jsons = listFiles(source).filter((f) => f.toLowerCase().endsWith('.json') && basename(f) !== 'classes.json');
  const labelme = jsons.slice(0, 20).filter((f) => isLabelmeJson(sniffJson(f)));
  if (labelme.length) return { format: 'labelme', reason: `${jsons.length} JSON files with labelme shapes (e.g. ${basename(labelme[0]!)})` };
  const imagesDir = findChildDir(source, IMAGE_DIR_NAMES);
  const masksDir = findChildDir(source, MASK_DIR_NAMES);
  if (masksDir) {
    const manifest = existsSync(join(source, 'manifest.csv')) ? ', manifest.csv' : '';
    return { format: 'mask-png', reason: `${imagesDir ? basename(imagesDir) + '/ + ' : ''}${basename(masksDir)}/ with masks matched by stem${manifest}` };
  }
  const dirs = listDirs(source);
  if (dirs.length >= 1) {
    const withMasks = dirs.filter((d) => pairImagesAndMasks(d).some((p) => p.mask));
    if (withMasks.length && dirs.every((d) => withMasks.includes(d) || isDefectFreeName(basename(d)))) {
      return { format: 'class-folders', reason: `class folders with binary masks: ${dirs.map((d) => basename(d)).join(', ')}` };
    }
  }
  const files = listFiles(source).filter(isImageFile);
  if (files.some((f) => isMaskStem(stemOf(f)))) return { format: 'mask-png', reason: 'images with <stem>_mask files beside them' };
  // A damaged annotation file must not turn the source into a plain image folder, silently
  // importing the images without their annotations.
  for (const f of jsons.slice(0, 20)) {
    try {
      readJsonFile(f);
    } catch (err) {
      const e = SourceFileError.from(err);
      if (!e) throw err;
      throw new Error(`${f}: ${e.detail}; cannot tell which annotation format ${source} holds (fix the file, or give --format to import without it)`);
    }
  }
  return { format: 'folder', reason: `${files.length} images, no masks or annotations found` };
}
