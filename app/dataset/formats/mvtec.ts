// `mvtec`: the MVTec AD layout — train/good/*, test/<defect>/*, ground_truth/<defect>/<name>_mask.png.
// 'good' images get empty masks; each defect folder is a class. A folder holding several such
// categories (bottle/, cable/, ...) is read category by category with the category as group.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Split } from '../../store/storeTypes.js';
import { decodeBinaryMask } from '../maskDecode.js';
import { isImageFile, listDirs, listFiles, stemOf } from '../sourceFiles.js';
import { maskProblem, readBytes } from './common.js';
import { emptyMaskOf } from './classFolders.js';
import type { ReadContext, ReadOptions, Reader, ReaderCandidate, SourceClass } from './readerTypes.js';

export function isMvtecCategory(dir: string): boolean {
  return existsSync(join(dir, 'train')) && existsSync(join(dir, 'test')) && (existsSync(join(dir, 'ground_truth')) || existsSync(join(dir, 'train', 'good')));
}

export async function* readMvtec(source: string, opts: ReadOptions, ctx: ReadContext): Reader {
  const categories = isMvtecCategory(source) ? [source] : listDirs(source).filter(isMvtecCategory);
  if (categories.length === 0) throw new Error(`${source}: no MVTec AD category (train/, test/, ground_truth/)`);
  const { problems, notes } = ctx;
  const classes = new Map<string, SourceClass>();
  const multi = categories.length > 1;
  for (const cat of categories) {
    const catName = basename(cat);
    let count = 0;
    for (const [splitDir, split] of [['train', 'train'], ['validation', 'val'], ['test', 'test']] as [string, Split][]) {
      const dir = join(cat, splitDir);
      if (!existsSync(dir)) continue;
      for (const defectDir of listDirs(dir)) {
        const defect = basename(defectDir);
        const good = defect.toLowerCase() === 'good';
        for (const image of listFiles(defectDir).filter(isImageFile)) {
          const bytes = readBytes(image, problems);
          if (!bytes) continue;
          const c: ReaderCandidate = { sourcePath: image, originalName: multi ? `${catName}_${defect}_${basename(image)}` : good ? basename(image) : `${defect}_${basename(image)}`, imageBytes: bytes, split };
          if (multi) c.groupKey = catName;
          if (good) {
            const empty = await emptyMaskOf(image, bytes, problems);
            if (!empty) continue;
            c.mask = empty;
          } else {
            const maskFile = ['_mask.png', '.png'].map((s) => join(cat, 'ground_truth', defect, stemOf(image) + s)).find((p) => existsSync(p));
            if (maskFile) {
              const mb = readBytes(maskFile, problems);
              if (!mb) continue;
              const name = multi ? `${catName}_${defect}` : defect;
              let sc = classes.get(name);
              if (!sc) {
                classes.set(name, (sc = { value: classes.size + 1, name }));
                ctx.declare(sc);
              }
              try {
                const m = await decodeBinaryMask(mb, opts.binaryThreshold);
                for (let i = 0; i < m.values.length; i++) if (m.values[i]) m.values[i] = sc.value;
                c.mask = { ...m, sourcePath: maskFile };
              } catch (err) {
                problems.push(maskProblem(maskFile, err));
                continue;
              }
            }
          }
          count++;
          yield c;
        }
      }
    }
    notes.push(`${catName}: ${count} images`);
  }
}
