// Defect classes of a project: indices 1..K (0 is background and never stored), names unique
// without regard to case, a colour each. Removing a class rewrites masks, so it lives in
// annotation.ts with the other rules that touch mask content.
import { LATEST_MASKS, StoreError, type StoreContext } from './storeContext.js';
import type { ClassDef } from './storeTypes.js';

/** Default class colours, by index (1 → first). Distinct on dark and light canvases. */
export const CLASS_PALETTE = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe',
  '#008080', '#e6beff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075', '#808080',
];
export const MAX_CLASSES = 255;

interface ClassRow {
  idx: number;
  name: string;
  color: string;
}

const toClass = (r: ClassRow): ClassDef => ({ index: r.idx, name: r.name, color: r.color });

export function validateClassName(name: string): string {
  const n = name.trim();
  if (!n) throw new StoreError('a class name cannot be empty');
  if (n.length > 64) throw new StoreError(`class name '${n}' is longer than 64 characters`);
  if (/[,\n\r\t]/.test(n)) throw new StoreError(`class name '${n}' must not contain commas or control characters`);
  if (n.toLowerCase() === 'background') throw new StoreError("'background' is class 0 and always exists");
  return n;
}

function checkColor(color: string): string {
  if (!/^#[0-9a-f]{6}$/i.test(color)) throw new StoreError(`colour '${color}' is not #rrggbb`);
  return color.toLowerCase();
}

export function listClasses(s: StoreContext): ClassDef[] {
  return (s.sql('SELECT idx, name, color FROM classes ORDER BY idx').all() as ClassRow[]).map(toClass);
}

/** Number of defect classes K (mask values 0..K are valid). */
export function classCount(s: StoreContext): number {
  return (s.sql('SELECT COALESCE(MAX(idx), 0) AS k FROM classes').get() as { k: number }).k;
}

export function getClass(s: StoreContext, name: string): ClassDef {
  const r = s.sql('SELECT idx, name, color FROM classes WHERE name = ?').get(name.trim()) as ClassRow | undefined;
  if (!r) throw new StoreError(`no class named '${name}' (classes: ${listClasses(s).map((c) => c.name).join(', ') || 'none'})`);
  return toClass(r);
}

/** Inserts the first classes of a new project (names already validated), coloured by the palette. */
export function insertInitialClasses(s: StoreContext, names: string[]): void {
  names.forEach((c, i) => s.sql('INSERT INTO classes (idx, name, color) VALUES (?, ?, ?)').run(i + 1, c, CLASS_PALETTE[i % CLASS_PALETTE.length]));
}

export function addClass(s: StoreContext, name: string, color?: string): ClassDef {
  const n = validateClassName(name);
  const chosen = color === undefined ? undefined : checkColor(color);
  return s.transaction(() => {
    if (s.sql('SELECT 1 FROM classes WHERE name = ?').get(n)) throw new StoreError(`class '${n}' already exists`);
    const index = classCount(s) + 1;
    if (index > MAX_CLASSES) throw new StoreError(`a project holds at most ${MAX_CLASSES} classes`);
    const c = chosen ?? CLASS_PALETTE[(index - 1) % CLASS_PALETTE.length]!;
    s.sql('INSERT INTO classes (idx, name, color) VALUES (?, ?, ?)').run(index, n, c);
    return { index, name: n, color: c };
  });
}

export function renameClass(s: StoreContext, oldName: string, newName: string): ClassDef {
  const n = validateClassName(newName);
  return s.transaction(() => {
    const c = getClass(s, oldName);
    const clash = s.sql('SELECT idx FROM classes WHERE name = ?').get(n) as { idx: number } | undefined;
    if (clash && clash.idx !== c.index) throw new StoreError(`class '${n}' already exists`);
    s.sql('UPDATE classes SET name = ? WHERE idx = ?').run(n, c.index);
    return { ...c, name: n };
  });
}

export function setClassColor(s: StoreContext, name: string, color: string): ClassDef {
  const chosen = checkColor(color);
  const c = getClass(s, name);
  s.sql('UPDATE classes SET color = ? WHERE idx = ?').run(chosen, c.index);
  return { ...c, color: chosen };
}

/** Images whose latest mask contains class `index`. */
export function imagesUsingClass(s: StoreContext, index: number): number {
  return (s.sql(`SELECT COUNT(*) AS n FROM (${LATEST_MASKS}) l JOIN mask_classes mc ON mc.mask_version_id = l.id WHERE mc.class_idx = ?`).get(index) as { n: number }).n;
}

/** Deletes class `index` and moves every class above it down one, so indices stay 1..K. */
export function deleteClassIndex(s: StoreContext, index: number): void {
  s.sql('DELETE FROM classes WHERE idx = ?').run(index);
  const above = s.sql('SELECT idx FROM classes WHERE idx > ? ORDER BY idx').all(index) as { idx: number }[];
  for (const r of above) s.sql('UPDATE classes SET idx = ? WHERE idx = ?').run(r.idx - 1, r.idx);
}
