// Export through the CLI's exporters, in each of their formats, optionally only some splits.
import { useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ExportFormat, ExportSummary, Split } from '../../../app/api/apiTypes.js';

const FORMATS: { id: ExportFormat; what: string }[] = [
  { id: 'mask-png', what: 'images/ + masks/ (class-index PNG)' },
  { id: 'color-png', what: 'colour masks with a palette' },
  { id: 'coco', what: 'COCO JSON (polygons)' },
  { id: 'labelme', what: 'labelme JSON per image' },
  { id: 'overlay', what: 'images with masks drawn over (for review)' },
];
const SPLITS: Split[] = ['train', 'val', 'test', 'unassigned'];

export function ExportDialog(props: { api: ApiClient; projectDir: string; onClose(): void }) {
  const [format, setFormat] = useState<ExportFormat>('mask-png');
  const [out, setOut] = useState(`${props.projectDir.replace(/\/[^/]*$/, '')}/export`);
  const [splits, setSplits] = useState<Split[]>([]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await props.api.call('dataset.export', { out, format, ...(splits.length ? { splits } : {}) }));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="modal-backdrop" onMouseDown={props.onClose}>
      <div className="modal" role="dialog" aria-label="Export" onMouseDown={(e) => e.stopPropagation()} data-testid="export-dialog">
        <h2>Export dataset</h2>
        <div className="form-grid">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} data-testid="export-format">
              {FORMATS.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.id} — {f.what}
                </option>
              ))}
            </select>
          </label>
          <label>
            Output folder
            <input value={out} onChange={(e) => setOut(e.target.value)} data-testid="export-out" />
          </label>
          <div>
            Splits (none ticked: all){' '}
            {SPLITS.map((s) => (
              <label key={s} className="inline">
                <input type="checkbox" checked={splits.includes(s)} onChange={(e) => setSplits((l) => (e.target.checked ? [...l, s] : l.filter((x) => x !== s)))} /> {s}
              </label>
            ))}
          </div>
        </div>
        {error && <div className="error-text">{error}</div>}
        {result && (
          <p data-testid="export-result">
            Wrote {result.images} images ({result.withMasks} with masks), {result.files} files to <code>{result.out}</code>.
          </p>
        )}
        <div className="row end">
          <button onClick={props.onClose}>Close</button>
          <button className="primary" disabled={busy || !out.trim()} onClick={() => void run()} data-testid="export-run">
            {busy ? 'Exporting…' : 'Export'}
          </button>
        </div>
      </div>
    </div>
  );
}
