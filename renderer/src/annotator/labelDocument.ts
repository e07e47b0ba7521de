// The mask being edited: a full-resolution class-index array (0 = background) with undo/redo kept
// as diffs of the 64×64 blocks an edit touched, so that an 8000×6000 mask stays cheap to undo.
const BLOCK = 64;

interface BlockPatch {
  bx: number;
  by: number;
  before: Uint8Array;
  after: Uint8Array;
}

export interface Edit {
  label: string;
  blocks: BlockPatch[];
}

export type Point = { x: number; y: number };

export class LabelDocument {
  readonly labels: Uint8Array;
  private readonly undoStack: Edit[] = [];
  private readonly redoStack: Edit[] = [];
  private pending: Map<number, Uint8Array> | null = null;
  /** Bumped on every change; views redraw when it moves. */
  revision = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    initial?: Uint8Array,
  ) {
    this.labels = initial && initial.length === width * height ? initial : new Uint8Array(width * height);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  get inEdit(): boolean {
    return this.pending !== null;
  }

  begin(): void {
    if (!this.pending) this.pending = new Map();
  }

  /**
   * Ends the current edit; returns false when it changed nothing (nothing to save). With
   * `recordEmpty` a gesture that changed nothing still becomes an undo step, so that Ctrl+Z after an
   * eraser stroke over another class undoes that stroke (nothing) and not the edit before it.
   */
  commit(label: string, recordEmpty = false): boolean {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return false;
    const blocks: BlockPatch[] = [];
    for (const [key, before] of pending) {
      const bx = key % 65536;
      const by = Math.floor(key / 65536);
      const after = this.readBlock(bx, by);
      if (!before.every((v, i) => v === after[i])) blocks.push({ bx, by, before, after });
    }
    if (blocks.length === 0 && !recordEmpty) return false;
    this.undoStack.push({ label: blocks.length ? label : `${label} (no change)`, blocks });
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack.length = 0;
    return blocks.length > 0;
  }

  /** Whether the last undo() or redo() changed pixels (an empty step changes none: nothing to save). */
  get lastStepChanges(): boolean {
    return this.lastChanged;
  }
  private lastChanged = false;

  /** Abandons an edit in progress, restoring what it changed. */
  cancel(): void {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    for (const [key, before] of pending) this.writeBlock(key % 65536, Math.floor(key / 65536), before);
    this.revision++;
  }

  undo(): string | null {
    const e = this.undoStack.pop();
    if (!e) return null;
    for (const b of e.blocks) this.writeBlock(b.bx, b.by, b.before);
    this.lastChanged = e.blocks.length > 0;
    this.redoStack.push(e);
    this.revision++;
    return e.label;
  }

  redo(): string | null {
    const e = this.redoStack.pop();
    if (!e) return null;
    for (const b of e.blocks) this.writeBlock(b.bx, b.by, b.after);
    this.lastChanged = e.blocks.length > 0;
    this.undoStack.push(e);
    this.revision++;
    return e.label;
  }

  private blockRect(bx: number, by: number): { x0: number; y0: number; w: number; h: number } {
    const x0 = bx * BLOCK;
    const y0 = by * BLOCK;
    return { x0, y0, w: Math.min(BLOCK, this.width - x0), h: Math.min(BLOCK, this.height - y0) };
  }

  private readBlock(bx: number, by: number): Uint8Array {
    const { x0, y0, w, h } = this.blockRect(bx, by);
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) out.set(this.labels.subarray((y0 + y) * this.width + x0, (y0 + y) * this.width + x0 + w), y * w);
    return out;
  }

  private writeBlock(bx: number, by: number, data: Uint8Array): void {
    const { x0, y0, w, h } = this.blockRect(bx, by);
    for (let y = 0; y < h; y++) this.labels.set(data.subarray(y * w, (y + 1) * w), (y0 + y) * this.width + x0);
  }

  /** Saves the original of every block in the rectangle before the edit first touches it. */
  private touch(x0: number, y0: number, x1: number, y1: number): void {
    if (!this.pending) throw new Error('edit not started');
    for (let by = Math.floor(y0 / BLOCK); by <= Math.floor(y1 / BLOCK); by++) {
      for (let bx = Math.floor(x0 / BLOCK); bx <= Math.floor(x1 / BLOCK); bx++) {
        const key = by * 65536 + bx;
        if (!this.pending.has(key)) this.pending.set(key, this.readBlock(bx, by));
      }
    }
  }

  private clampRect(x0: number, y0: number, x1: number, y1: number): [number, number, number, number] | null {
    const a = Math.max(0, Math.floor(x0));
    const b = Math.max(0, Math.floor(y0));
    const c = Math.min(this.width - 1, Math.ceil(x1));
    const d = Math.min(this.height - 1, Math.ceil(y1));
    return a > c || b > d ? null : [a, b, c, d];
  }

  /**
   * Paints a hard-edged capsule of radius r from p to q (a disc when p = q): with `value` > 0 it sets
   * that class; with value 0 it erases only pixels of `eraseClass` (any class when it is negative).
   */
  paintSegment(p: Point, q: Point, r: number, value: number, eraseClass: number): void {
    const rect = this.clampRect(Math.min(p.x, q.x) - r, Math.min(p.y, q.y) - r, Math.max(p.x, q.x) + r, Math.max(p.y, q.y) + r);
    if (!rect) return;
    const [x0, y0, x1, y1] = rect;
    this.touch(x0, y0, x1, y1);
    const dx = q.x - p.x;
    const dy = q.y - p.y;
    const len2 = dx * dx + dy * dy;
    const r2 = r * r;
    const L = this.labels;
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      const row = y * this.width;
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        let t = len2 > 0 ? ((px - p.x) * dx + (py - p.y) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - (p.x + t * dx);
        const ey = py - (p.y + t * dy);
        if (ex * ex + ey * ey <= r2) {
          const i = row + x;
          if (value > 0) L[i] = value;
          else if (L[i] === eraseClass || eraseClass < 0) L[i] = 0;
        }
      }
    }
    this.revision++;
  }

  /** Fills (value > 0) or cuts (value 0: clears `eraseClass`) the inside of a polygon (even-odd). */
  fillPolygon(points: Point[], value: number, eraseClass: number): void {
    if (points.length < 3) return;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const rect = this.clampRect(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
    if (!rect) return;
    const [x0, y0, x1, y1] = rect;
    this.touch(x0, y0, x1, y1);
    const L = this.labels;
    const crossings: number[] = [];
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      crossings.length = 0;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const a = points[i]!;
        const b = points[j]!;
        if ((a.y > py) !== (b.y > py)) crossings.push(a.x + ((py - a.y) * (b.x - a.x)) / (b.y - a.y));
      }
      crossings.sort((m, n) => m - n);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Pixel centres inside [c0, c1).
        const from = Math.max(x0, Math.ceil(crossings[k]! - 0.5));
        const to = Math.min(x1, Math.ceil(crossings[k + 1]! - 0.5) - 1);
        const row = y * this.width;
        for (let x = from; x <= to; x++) {
          if (value > 0) L[row + x] = value;
          else if (L[row + x] === eraseClass) L[row + x] = 0;
        }
      }
    }
    this.revision++;
  }

  /** Sets `value` wherever `mask` is non-zero (a SAM mask accepted into a class). */
  applyMask(mask: Uint8Array, value: number): void {
    let x0 = this.width, y0 = this.height, x1 = -1, y1 = -1;
    for (let y = 0; y < this.height; y++) {
      const row = y * this.width;
      for (let x = 0; x < this.width; x++) {
        if (mask[row + x]) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    if (x1 < 0) return;
    this.touch(x0, y0, x1, y1);
    for (let y = y0; y <= y1; y++) {
      const row = y * this.width;
      for (let x = x0; x <= x1; x++) if (mask[row + x]) this.labels[row + x] = value;
    }
    this.revision++;
  }

  /** Replaces the whole mask (a model pre-annotation), as one undoable edit. */
  replaceAll(next: Uint8Array): void {
    this.touch(0, 0, this.width - 1, this.height - 1);
    this.labels.set(next);
    this.revision++;
  }
}
