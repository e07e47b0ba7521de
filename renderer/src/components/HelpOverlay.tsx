export const SHORTCUTS: [string, string][] = [
  ['B', 'Brush'],
  ['E', 'Eraser (current class)'],
  ['P', 'Polygon — click vertices, Enter / double-click / first vertex closes'],
  ['X', 'Polygon: toggle fill / cut'],
  ['S', 'SAM prompts — click positive, right-click negative, drag a box'],
  ['Enter', 'Accept SAM preview into the current class'],
  ['Esc', 'Discard prompts / polygon'],
  ['1 – 9', 'Select class'],
  ['[  ]', 'Brush size smaller / larger'],
  ['H', 'Hide / show masks'],
  ['A / D', 'Previous / next image'],
  ['N  or  Shift+D', 'Next unreviewed image'],
  ['R', 'Toggle reviewed'],
  ['Ctrl+Z', 'Undo'],
  ['Ctrl+Shift+Z', 'Redo'],
  ['Ctrl+S', 'Save now (edits also save themselves)'],
  ['Wheel', 'Zoom to cursor'],
  ['Space + drag', 'Pan (middle mouse too)'],
  ['F', 'Fit image to window'],
  ['?', 'This help'],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-backdrop" onMouseDown={onClose}>
      <div className="modal help" role="dialog" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()} data-testid="help-overlay">
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
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
