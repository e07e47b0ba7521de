// The Trash of the dataset page: images moved there are out of the grid, the counts, the splits,
// training, evaluation and export, with their masks kept. Restore brings them back as they were;
// "Delete permanently" (asked first) removes them and the files nothing else uses.
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ImageRow } from '../../../app/api/apiTypes.js';
import type { ToastState } from './Toasts.js';
import { ConfirmDialog } from './ConfirmDialog.js';

const plural = (n: number, what: string): string => `${n.toLocaleString()} ${what}${n === 1 ? '' : 's'}`;

export function TrashView(props: { api: ApiClient; toasts: ToastState; onChanged: () => Promise<void> | void; onClose: () => void }) {
  const { api, toasts } = props;
  const [rows, setRows] = useState<ImageRow[]>([]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirm, setConfirm] = useState<number[] | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api.call('images.list', { filter: { trashed: true } });
      setRows(r.items);
      setSelected((s) => new Set([...s].filter((id) => r.items.some((x) => x.id === id))));
    } catch (err) {
      toasts.error(err);
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => api.onEvent((e) => void (e.type === 'images.changed' && load())), [api, load]);

  const restore = async (ids: number[]) => {
    try {
      const r = await api.call('images.restore', { ids });
      toasts.info(`Restored ${plural(r.restored, 'image')} to the dataset`);
      await props.onChanged();
      await load();
    } catch (err) {
      toasts.error(err);
    }
  };
  const deleteForGood = async (ids: number[]) => {
    setConfirm(null);
    try {
      const r = await api.call('images.deletePermanently', { ids });
      const kept = r.kept.length ? `; kept ${plural(r.kept.length, 'image')} a training run used (${r.kept.map((k) => `${k.name}: run ${k.runIds.join(', ')}`).join('; ')}) — delete those runs first` : '';
      // Images kept back need the user's eye: a warning stays longer than plain news.
      toasts.notify(r.kept.length ? 'warn' : 'info', `Deleted ${plural(r.deleted.length, 'image')} permanently (${plural(r.filesRemoved, 'file')} removed)${kept}`);
      await props.onChanged();
      await load();
    } catch (err) {
      toasts.error(err);
    }
  };
  const ids = selected.size ? [...selected] : rows.map((r) => r.id);

  return (
    <div className="trash-view" data-testid="trash-view">
      <div className="selectionbar">
        <strong>Trash · {plural(rows.length, 'image')}</strong>
        <span className="muted small">Images here are out of the dataset, training, evaluation and export; their masks are kept until deleted permanently.</span>
        <span className="grow" />
        <button disabled={!rows.length} onClick={() => void restore(ids)} data-testid="trash-restore">
          Restore {selected.size ? `${selected.size} selected` : 'all'}
        </button>
        <button className="danger" disabled={!rows.length} onClick={() => setConfirm(ids)} data-testid="trash-delete">
          Delete {selected.size ? `${selected.size} selected` : 'all'} permanently…
        </button>
        <button onClick={props.onClose} data-testid="trash-close">
          Back to dataset
        </button>
      </div>
      {rows.length === 0 ? (
        <div className="muted trash-empty">The Trash is empty.</div>
      ) : (
        <div className="trash-list">
          {rows.map((r) => (
            <label key={r.id} className={selected.has(r.id) ? 'trash-item selected' : 'trash-item'} data-testid="trash-item" data-image-id={r.id}>
              <input
                type="checkbox"
                checked={selected.has(r.id)}
                onChange={(e) => setSelected((s) => {
                  const next = new Set(s);
                  if (e.target.checked) next.add(r.id);
                  else next.delete(r.id);
                  return next;
                })}
              />
              <img src={api.binUrl({ kind: 'thumb', imageId: r.id }) + `?v=${r.maskVersion}`} alt="" draggable={false} />
              <span className="cell-name">{r.name}</span>
              <span className="muted small">
                {r.split} · {r.maskVersion ? `mask v${r.maskVersion}` : 'no mask'} · trashed {r.trashedAt ? new Date(r.trashedAt).toLocaleString() : ''}
              </span>
            </label>
          ))}
        </div>
      )}
      {confirm && (
        <ConfirmDialog title={`Delete ${plural(confirm.length, 'image')} permanently?`} confirmLabel="Delete permanently" danger onCancel={() => setConfirm(null)} onConfirm={() => void deleteForGood(confirm)} testid="trash-delete-dialog">
          <p>
            The images, every version of their masks and their files are removed from the project folder. This cannot be undone. Images a training run used stay in the Trash (the run’s record of its data must stay whole).
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
