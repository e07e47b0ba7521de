import { helpRows } from '../annotator/shortcuts.js';

/** Lists the shortcuts table; on pages other than the annotator only the global ones apply. */
export function HelpOverlay({ onClose, scope }: { onClose: () => void; scope?: 'global' | 'annotator' | 'dataset' }) {
  return (
    <div className="modal-backdrop" onMouseDown={onClose}>
      <div className="modal help" role="dialog" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()} data-testid="help-overlay">
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {helpRows(scope).map((s) => (
              <tr key={s.scope + s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.help}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="row end">
          <button className="primary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
