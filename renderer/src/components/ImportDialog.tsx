// Import through the CLI's own code: the detected layout is shown before anything is written
// (format and why, counts of images, masks and classes, what will be skipped and why), with the
// CLI's options (format, masks folder, default split, class map); a failed import lists every bad file.
import { useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ImportPreview, ImportReport, Split } from '../../../app/api/apiTypes.js';
import { useScopedStatus } from './useScopedStatus.js';

const FORMATS = ['auto', 'folder', 'mask-png', 'class-folders', 'labelme', 'coco', 'voc', 'mvtec'];
const SPLITS: Split[] = ['unassigned', 'train', 'val', 'test'];

type Problem = ImportReport['problems'][number];

function ProblemList({ title, list, testid }: { title: string; list: Problem[]; testid: string }) {
  if (!list.length) return null;
  return (
    <details open className="problem-list" data-testid={testid}>
      <summary>
        {title} ({list.length})
      </summary>
      <ul>
        {list.map((p, i) => (
          <li key={i}>
            <code>{p.file}</code>: {p.reason} — {p.detail}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function ImportDialog(props: { api: ApiClient; path: string; onDone(report: ImportReport): void; onCancel(): void }) {
  const { api, path } = props;
  const [format, setFormat] = useState('auto');
  const [masks, setMasks] = useState('');
  const [split, setSplit] = useState<Split | ''>('');
  const [map, setMap] = useState('');
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // A preview's error or a failed import's bad files speak of these options: changing one clears them.
  const outcome = useScopedStatus<{ error: string } | { failed: Problem[] }>([path, format, masks, split, map]);
  const error = outcome.value && 'error' in outcome.value ? outcome.value.error : null;
  const failed = outcome.value && 'failed' in outcome.value ? outcome.value.failed : null;
  const params = { path, format, ...(masks.trim() ? { masks: masks.trim() } : {}), ...(split ? { split } : {}), ...(map.trim() ? { map: map.trim() } : {}) };

  useEffect(() => {
    let live = true;
    setBusy('Reading the folder…');
    const report = outcome.begin();
    const t = setTimeout(() => {
      api.call('dataset.previewImport', params).then(
        (p) => live && (setPreview(p), setBusy(null)),
        (err: unknown) => live && (setPreview(null), report({ error: err instanceof Error ? err.message : String(err) }), setBusy(null)),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [path, format, masks, split, map]);

  const run = async () => {
    setBusy('Importing…');
    const report = outcome.begin();
    try {
      const r = await api.call('dataset.import', params);
      if (r.failed) report({ failed: r.problems });
      else props.onDone(r);
    } catch (err) {
      report({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="modal-backdrop">
      <div className="modal import-dialog" role="dialog" aria-label="Import" data-testid="import-dialog">
        <h2>Import {path}</h2>
        <div className="form-grid">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value)} data-testid="import-format">
              {FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f === 'auto' ? 'auto-detect' : f}
                </option>
              ))}
            </select>
          </label>
          <label>
            Split for images the source gives none
            <select value={split} onChange={(e) => setSplit(e.target.value as Split | '')} data-testid="import-split">
              <option value="">unassigned</option>
              {SPLITS.filter((s) => s !== 'unassigned').map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Masks folder (plain folder format)
            <input value={masks} onChange={(e) => setMasks(e.target.value)} placeholder="optional, absolute path" data-testid="import-masks" />
          </label>
          <label>
            Class map
            <input value={map} onChange={(e) => setMap(e.target.value)} placeholder='e.g. Crack=scratch,2=inclusion' data-testid="import-map" />
          </label>
        </div>
        {error && <div className="error-text" data-testid="import-error">{error}</div>}
        {preview && (
          <div className="import-preview" data-testid="import-preview" data-format={preview.format} data-images={preview.images} data-masks={preview.withMasks}>
            <p>
              <strong>{preview.detected ? `Detected ${preview.detected}` : `Format ${preview.format}`}</strong>
            </p>
            <p data-testid="import-counts">
              {preview.images.toLocaleString()} images, {preview.withMasks.toLocaleString()} with masks
              {Object.keys(preview.splits).length > 0 && ` · ${Object.entries(preview.splits).map(([s, n]) => `${n} ${s}`).join(', ')}`}
            </p>
            {preview.classes.length > 0 && (
              <table className="ft-table small">
                <tbody>
                  {preview.classes.map((c) => (
                    <tr key={c.index}>
                      <td>{c.index}</td>
                      <td>{c.name}</td>
                      <td>{c.isNew ? <span className="st new">new class</span> : 'existing'}</td>
                      <td className="num">{c.images} images</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {preview.notes.map((n, i) => (
              <p key={i} className="muted small">
                {n}
              </p>
            ))}
            <ProblemList title="Will be skipped" list={preview.skipped} testid="import-skipped" />
            <ProblemList title="Would fail the import" list={preview.bad} testid="import-bad-preview" />
          </div>
        )}
        {failed && <ProblemList title="Import failed, nothing was added — bad files" list={failed.filter((p) => p.reason !== 'duplicate' && p.reason !== 'unsupported')} testid="import-bad-files" />}
        <div className="row end">
          <span className="muted small grow">{busy}</span>
          <button onClick={props.onCancel} data-testid="import-cancel">
            Cancel
          </button>
          <button className="primary" disabled={!preview || busy !== null || preview.images === 0} onClick={() => void run()} data-testid="import-confirm">
            Import {preview ? `${preview.images.toLocaleString()} images` : ''}
          </button>
        </div>
      </div>
    </div>
  );
}
