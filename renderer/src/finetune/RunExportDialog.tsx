// Export a run's model from the Runs page: ONNX (model.onnx + model.json) or a Triton model
// repository, into a new or empty folder chosen with the folder picker. The export runs in a job
// worker on the server; the dialog says where it went or, in words, why it failed.
import { useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { RunExportFormat, RunExportSummary, RunRow } from '../../../app/api/fineTuneTypes.js';
import { FolderPicker, pickNative } from '../components/FolderPicker.js';

const slug = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';

export function RunExportDialog(props: { api: ApiClient; run: RunRow; projectDir: string; onClose(): void; onDone(message: string): void }) {
  const { run } = props;
  const parent = props.projectDir.replace(/\/[^/]*$/, '') || '/';
  const folderName = (f: RunExportFormat) => `${slug(run.name)}-run${run.id}-${f}`;
  const [format, setFormat] = useState<RunExportFormat>('onnx');
  const [out, setOut] = useState(`${parent}/exports/${folderName('onnx')}`);
  const [picker, setPicker] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RunExportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);

  const chooseFormat = (f: RunExportFormat) => {
    setFormat(f);
    // Keep a folder the user typed; follow the format while it is still the suggested one.
    setOut((o) => (o.endsWith(folderName(format)) ? o.slice(0, -folderName(format).length) + folderName(f) : o));
  };
  const browse = async () => {
    const native = await pickNative(props.api, 'Export the model into this folder');
    if (native === undefined) setPicker(true);
    else if (native) setOut(`${native}/${folderName(format)}`);
  };
  const run_ = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await props.api.call('training.export', { runId: run.id, format, out: out.trim() });
      setResult(r);
      props.onDone(format === 'onnx' ? `Run ${run.id} (${run.name}) exported to ONNX in ${r.out}` : `Run ${run.id} (${run.name}) exported as a Triton repository in ${r.out}`);
    } catch (err) {
      setError(`Export failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="modal-backdrop" onMouseDown={() => !busy && props.onClose()}>
        <div className="modal" role="dialog" aria-label="Export run" onMouseDown={(e) => e.stopPropagation()} data-testid="run-export-dialog">
          <h2>
            Export run {run.id} · {run.name}
          </h2>
          <div className="form-grid">
            <label>
              Format
              <select value={format} onChange={(e) => chooseFormat(e.target.value as RunExportFormat)} data-testid="run-export-format" disabled={busy}>
                <option value="onnx">ONNX — model.onnx + model.json (preprocessing, classes, metrics)</option>
                <option value="triton">Triton — model repository (config.pbtxt + 1/model.onnx)</option>
              </select>
            </label>
            <label>
              Into a new or empty folder
              <span className="row">
                <input value={out} onChange={(e) => setOut(e.target.value)} data-testid="run-export-out" disabled={busy} style={{ flex: 1 }} />
                <button onClick={() => void browse()} disabled={busy} data-testid="run-export-browse">
                  Browse…
                </button>
              </span>
            </label>
          </div>
          {error && (
            <div className="error-text" data-testid="run-export-error">
              {error}
            </div>
          )}
          {result && (
            <p data-testid="run-export-result">
              Exported the {result.checkpoint} checkpoint (S = {result.inputSize}, {result.classes.length} classes) to <code>{result.modelPath}</code>
              {result.triton ? (
                <>
                  {' '}
                  — serve it with <code>tritonserver --model-repository={result.out}</code>
                </>
              ) : null}
              .
            </p>
          )}
          <div className="row end">
            <button onClick={props.onClose} disabled={busy}>
              Close
            </button>
            <button className="primary" disabled={busy || !out.trim() || result !== null} onClick={() => void run_()} data-testid="run-export-run">
              {busy ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </div>
      </div>
      {picker && (
        <FolderPicker
          api={props.api}
          title="Export the model into…"
          start={parent}
          pickLabel="Export here"
          onCancel={() => setPicker(false)}
          onPick={(p) => {
            setPicker(false);
            setOut(`${p}/${folderName(format)}`);
          }}
        />
      )}
    </>
  );
}
