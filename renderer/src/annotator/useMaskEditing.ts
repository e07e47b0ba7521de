// The open image's mask as an editable document: edits are committed as undo steps and queued for
// saving (one version per edit, written in order, retried); leaving the page flushes the queue.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { MaskSource, MaskVersion } from '../../../app/api/apiTypes.js';
import { LabelDocument } from './labelDocument.js';
import { SaveQueue, type EditStash, type SaveState } from './saveQueue.js';

export interface MaskEditing {
  doc: React.MutableRefObject<LabelDocument | null>;
  saver: SaveQueue;
  saveState: SaveState;
  history: { undo: boolean; redo: boolean };
  /** A new image is open with this mask (or none). */
  load(width: number, height: number, data: Uint8Array | undefined, version: number | null): void;
  /** `recordEmpty`: keep an undo step even when nothing changed; `runId`: the model run a 'model' edit came from. */
  commit(label: string, source?: MaskSource, opts?: { recordEmpty?: boolean; runId?: number }): void;
  undoRedo(which: 'undo' | 'redo'): void;
}

export function useMaskEditing(opts: {
  api: ApiClient;
  /** Keeps edits the server did not take (see session/pendingEdits.ts). */
  stash?: EditStash;
  imageId: () => number | null;
  redraw(): void;
  setStatus(s: string): void;
  onSaved(imageId: number, v: MaskVersion): void;
}): MaskEditing {
  const [saveState, setSaveState] = useState<SaveState>({ kind: 'saved', version: null });
  const [history, setHistory] = useState({ undo: false, redo: false });
  const doc = useRef<LabelDocument | null>(null);
  const live = useRef(opts);
  live.current = opts;
  const saver = useMemo(() => new SaveQueue(opts.api, setSaveState, (id, v) => live.current.onSaved(id, v), opts.stash), [opts.api]);

  const enqueue = (d: LabelDocument, imageId: number, source: MaskSource, runId?: number) =>
    saver.enqueue({ imageId, width: d.width, height: d.height, snapshot: () => d.labels.slice(), source, ...(runId !== undefined ? { runId } : {}) });

  const load = useCallback(
    (width: number, height: number, data: Uint8Array | undefined, version: number | null) => {
      doc.current = new LabelDocument(width, height, data);
      setHistory({ undo: false, redo: false });
      saver.reset(version);
    },
    [saver],
  );

  const commit = useCallback(
    (label: string, source: MaskSource = 'manual', o: { recordEmpty?: boolean; runId?: number } = {}) => {
      const d = doc.current;
      const id = live.current.imageId();
      if (!d || id === null) return;
      if (d.commit(label, o.recordEmpty)) enqueue(d, id, source, o.runId);
      setHistory({ undo: d.canUndo, redo: d.canRedo });
      live.current.redraw();
    },
    [saver],
  );

  const undoRedo = useCallback(
    (which: 'undo' | 'redo') => {
      const d = doc.current;
      const id = live.current.imageId();
      if (!d || id === null || d.inEdit) return;
      const label = which === 'undo' ? d.undo() : d.redo();
      if (label === null) return;
      // An empty step (a stroke that changed nothing) is undone without a new version.
      if (d.lastStepChanges) enqueue(d, id, 'manual');
      setHistory({ undo: d.canUndo, redo: d.canRedo });
      live.current.setStatus(`${which === 'undo' ? 'Undid' : 'Redid'} ${label}`);
      live.current.redraw();
    },
    [saver],
  );

  useEffect(() => {
    const before = (e: BeforeUnloadEvent) => {
      if (!saver.dirty) return;
      void saver.flush().catch(() => undefined); // kept in the stash if it fails
      e.preventDefault();
    };
    window.addEventListener('beforeunload', before);
    return () => {
      window.removeEventListener('beforeunload', before);
      void saver.flush().catch(() => undefined);
    };
  }, [saver]);

  return { doc, saver, saveState, history, load, commit, undoRedo };
}
