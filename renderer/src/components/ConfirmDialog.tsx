// A modal question with one confirming and one cancelling answer, and optionally a third, safer
// way out between them (never window.confirm: it blocks the event loop, and headless test browsers
// dismiss it).
export interface DialogChoice {
  label: string;
  onChoose(): void;
  testid: string;
}

export function ConfirmDialog(props: { title: string; children: React.ReactNode; confirmLabel?: string; onConfirm?: () => void; onCancel(): void; danger?: boolean; testid?: string; alternative?: DialogChoice }) {
  return (
    <div className="modal-backdrop" onMouseDown={props.onCancel}>
      <div className="modal" role="alertdialog" aria-label={props.title} onMouseDown={(e) => e.stopPropagation()} data-testid={props.testid ?? 'confirm-dialog'}>
        <h2>{props.title}</h2>
        <div className="confirm-body">{props.children}</div>
        <div className="row end">
          <button onClick={props.onCancel} data-testid="confirm-cancel">
            Cancel
          </button>
          {props.alternative && (
            <button onClick={props.alternative.onChoose} data-testid={props.alternative.testid}>
              {props.alternative.label}
            </button>
          )}
          {props.onConfirm && (
            <button className={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm} data-testid="confirm-ok">
              {props.confirmLabel ?? 'OK'}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
