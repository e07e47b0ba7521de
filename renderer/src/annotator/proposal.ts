// A model's prediction offered over the current mask, never written into it until the user accepts
// it: all of it (the mask becomes the prediction), one class, or one connected region. What is
// accepted leaves the proposal; what is left stays on offer until discarded.
import type { LabelDocument } from './labelDocument.js';

export interface Proposal {
  /** Class-index map at image resolution (0 = background). */
  labels: Uint8Array;
  width: number;
  height: number;
  runId: number;
  model: string;
}

/** Pixels per class in the proposal (background left out), ascending class index. */
export function classCounts(labels: Uint8Array): { index: number; pixels: number }[] {
  const n = new Float64Array(256);
  for (let i = 0; i < labels.length; i++) n[labels[i]!]!++;
  const out: { index: number; pixels: number }[] = [];
  for (let c = 1; c < 256; c++) if (n[c]) out.push({ index: c, pixels: n[c]! });
  return out;
}

/** The 4-connected region of equal non-zero class around (x, y), as a 0/1 mask; null on background. */
export function componentAt(labels: Uint8Array, width: number, height: number, x: number, y: number): { mask: Uint8Array; cls: number; pixels: number } | null {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  if (xi < 0 || yi < 0 || xi >= width || yi >= height) return null;
  const cls = labels[yi * width + xi]!;
  if (cls === 0) return null;
  const mask = new Uint8Array(labels.length);
  const stack = [yi * width + xi];
  mask[stack[0]!] = 1;
  let pixels = 0;
  while (stack.length) {
    const i = stack.pop()!;
    pixels++;
    const px = i % width;
    const neighbours = [px > 0 ? i - 1 : -1, px < width - 1 ? i + 1 : -1, i - width, i + width];
    for (const j of neighbours) {
      if (j < 0 || j >= labels.length || mask[j] || labels[j] !== cls) continue;
      mask[j] = 1;
      stack.push(j);
    }
  }
  return { mask, cls, pixels };
}

export type AcceptScope = { kind: 'all' } | { kind: 'class'; index: number } | { kind: 'component'; x: number; y: number };

/**
 * Writes the accepted part of the proposal into the document as one edit (the caller begins and
 * commits it) and returns what is left on offer (null when nothing is). Accepting all makes the
 * mask equal to the prediction, background included; a class or region is painted over the mask.
 */
export function acceptProposal(doc: LabelDocument, p: Proposal, scope: AcceptScope): Uint8Array | null {
  if (scope.kind === 'all') {
    doc.replaceAll(p.labels);
    return null;
  }
  let part: Uint8Array;
  let cls: number;
  if (scope.kind === 'class') {
    cls = scope.index;
    part = new Uint8Array(p.labels.length);
    for (let i = 0; i < part.length; i++) part[i] = p.labels[i] === cls ? 1 : 0;
  } else {
    const c = componentAt(p.labels, p.width, p.height, scope.x, scope.y);
    if (!c) return p.labels;
    part = c.mask;
    cls = c.cls;
  }
  doc.applyMask(part, cls);
  const rest = p.labels.slice();
  let left = 0;
  for (let i = 0; i < rest.length; i++) {
    if (part[i]) rest[i] = 0;
    else if (rest[i]) left++;
  }
  return left ? rest : null;
}
