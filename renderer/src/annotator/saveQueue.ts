// Sends every committed edit as a new mask version as soon as it is committed. The server answers only after the
// version is durable, so "saved" in the status bar means it survives a crash.
import type { ApiClient } from '../apiClient.js';
import type { MaskSource, MaskVersion } from '../../../app/api/apiTypes.js';

export type SaveState = { kind: 'saved'; version: number | null } | { kind: 'pending' } | { kind: 'saving' } | { kind: 'error'; message: string };

interface Pending {
  imageId: number;
  width: number;
  height: number;
  snapshot: () => Uint8Array;
  source: MaskSource;
  /** The training run of an accepted model prediction. */
  runId?: number;
}

/** Where an edit the server did not take is kept until it is saved (IndexedDB in the browser). */
export interface EditStash {
  put(p: { imageId: number; width: number; height: number; data: Uint8Array; source: MaskSource; runId?: number; baseVersion: number | null }): void;
  remove(imageId: number): void;
}

// Sent at once: a closed window or killed renderer must not hold back a committed edit. Edits made
// while a save is in flight are coalesced into the next one.
const DELAY_MS = 0;
const RETRY_MS = 2000;

export class SaveQueue {
  private pending: Pending | null = null;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  state: SaveState = { kind: 'saved', version: null };
  /** The image's newest saved version, the base of what is pending. */
  private lastVersion: number | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly onState: (s: SaveState) => void,
    private readonly onSaved: (imageId: number, v: MaskVersion) => void,
    private readonly stash?: EditStash,
  ) {}
  private readonly stashed = new Set<number>();
  /** Retries of the same edit are not written to the stash again. */
  private lastStashed: Pending | null = null;

  get dirty(): boolean {
    return this.pending !== null || this.inFlight !== null;
  }

  private set(s: SaveState): void {
    this.state = s;
    this.onState(s);
  }

  /** Records that the image's mask changed; `snapshot` is read when the save starts. */
  enqueue(p: Pending): void {
    // A source other than manual sticks until saved, unless a manual edit follows it.
    this.pending = p;
    if (this.state.kind !== 'saving') this.set({ kind: 'pending' });
    // Start the request in this very event (not a later task), so closing the window cannot beat it.
    if (DELAY_MS === 0 && !this.inFlight) void this.run();
    else this.schedule(DELAY_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, ms);
  }

  private async run(): Promise<void> {
    if (this.inFlight) return; // the running save picks up what is pending when it ends
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.set({ kind: 'saving' });
    const data = p.snapshot();
    this.inFlight = (async () => {
      try {
        const v = await this.api.call('masks.save', { imageId: p.imageId, mask: { width: p.width, height: p.height, data }, source: p.source, ...(p.runId !== undefined ? { runId: p.runId } : {}) });
        this.onSaved(p.imageId, v);
        if (this.stashed.has(p.imageId) && this.pending?.imageId !== p.imageId) {
          this.stashed.delete(p.imageId);
          this.lastStashed = null;
          this.stash?.remove(p.imageId);
        }
        this.lastVersion = v.version;
        if (!this.pending) this.set({ kind: 'saved', version: v.version });
      } catch (err) {
        // Keep the edit: retry unless a newer one replaced it.
        if (!this.pending) this.pending = p;
        // Kept outside this tab too, so that a reload or a closed window does not lose it.
        if (this.stash && this.pending !== this.lastStashed) {
          const kept = this.pending;
          this.lastStashed = kept;
          this.stashed.add(kept.imageId);
          this.stash.put({ imageId: kept.imageId, width: kept.width, height: kept.height, data: kept === p ? data : kept.snapshot(), source: kept.source, ...(kept.runId !== undefined ? { runId: kept.runId } : {}), baseVersion: this.state.kind === 'saved' ? this.state.version : this.lastVersion });
        }
        this.set({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        this.schedule(RETRY_MS);
      }
    })();
    await this.inFlight;
    this.inFlight = null;
    if (this.pending && this.state.kind !== 'error') await this.run();
  }

  /** Saves what is pending now and waits for it (Ctrl+S, switching images, closing). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (let i = 0; i < 5 && this.dirty; i++) {
      if (this.inFlight) await this.inFlight;
      else await this.run();
      if (this.state.kind === 'error') break;
    }
    if (this.state.kind === 'error') throw new Error(this.state.message);
  }

  reset(version: number | null): void {
    this.lastVersion = version;
    this.set({ kind: 'saved', version });
  }
}
