// Export through the CLI's exporters, in each of their formats, optionally only some splits.
import { useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ExportFormat, ExportSummary, Split } from '../../../app/api/apiTypes.js';
import { useScopedStatus } from './useScopedStatus.js';

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
  // "Wrote … to X" or the error speaks of the options it ran with: changing one clears it.
  const outcome = useScopedStatus<{ wrote: ExportSummary } | { error: string }>([format, out, [...splits].sort()]);
  const result = outcome.value && 'wrote' in outcome.value ? outcome.value.wrote : null;
  const error = outcome.value && 'error' in outcome.value ? outcome.value.error : null;
  const run = async () => {
    setBusy(true);
    const report = outcome.begin();
    try {
      report({ wrote: await props.api.call('dataset.export', { out, format, ...(splits.length ? { splits } : {}) }) });
    } catch (err) {
      report({ error: err instanceof Error ? err.message : String(err) });
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
        {error && (
          <div className="error-text" data-testid="export-error">
            {error}
          </div>
        )}
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
