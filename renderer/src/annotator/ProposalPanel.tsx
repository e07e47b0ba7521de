// The proposal's controls in the side panel (which model, accept all / per class, discard) and the
// two questions Predict may ask: which model to make active, and whether to overwrite ground truth.
import type { ClassDef } from '../../../app/api/apiTypes.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import type { ProposalState } from './useProposal.js';

export function ProposalPanel({ p, classes, split }: { p: ProposalState; classes: ClassDef[]; split: string }) {
  const name = (i: number) => classes.find((c) => c.index === i)?.name ?? `class ${i}`;
  return (
    <>
      {p.proposal && (
        <div className="proposal-panel" data-testid="proposal-panel" data-run-id={p.proposal.runId}>
          <div className="small">
            Proposal from <strong data-testid="proposal-model">{p.proposal.model}</strong> (run #{p.proposal.runId}). Nothing is saved until you accept; click a checkered region to accept just that region.
          </div>
          <ul className="proposal-classes">
            {p.counts.map((c) => (
              <li key={c.index} className="row">
                <span className="grow">
                  <span className="swatch" style={{ background: classes.find((k) => k.index === c.index)?.color ?? '#888' }} /> {name(c.index)} · {c.pixels.toLocaleString()} px
                </span>
                <button onClick={() => p.accept({ kind: 'class', index: c.index })} data-testid={`proposal-accept-class-${c.index}`}>
                  Accept
                </button>
              </li>
            ))}
            {p.counts.length === 0 && <li className="muted small">The model found no defect on this image.</li>}
          </ul>
          <div className="row">
            <button className="primary grow" onClick={() => p.accept({ kind: 'all' })} data-testid="proposal-accept-all" title="The mask becomes the prediction (background included)">
              Accept all
            </button>
            <button onClick={p.discard} data-testid="proposal-discard">
              Discard
            </button>
          </div>
        </div>
      )}
      {p.chooser && (
        <ConfirmDialog title="Which model should predict?" onCancel={() => void p.chooseModel(null)} testid="model-chooser">
          <p>This project has no active model. Pick the training run whose model Predict (and pre-annotation) should use:</p>
          {p.chooser.length === 0 && <p className="muted">No run has a model yet: train one in Fine-tune first.</p>}
          <ul className="stack">
            {p.chooser.map((r) => (
              <li key={r.id}>
                <button onClick={() => void p.chooseModel(r.id)} data-testid={`choose-run-${r.id}`}>
                  {r.name} · {r.status}
                  {r.best?.mIoU != null ? ` · val mIoU ${r.best.mIoU.toFixed(3)}` : ''}
                </button>
              </li>
            ))}
          </ul>
        </ConfirmDialog>
      )}
      {p.confirming && (
        <ConfirmDialog title={`Overwrite ${split} ground truth?`} confirmLabel="Replace ground truth" danger onConfirm={() => p.confirm(true)} onCancel={() => p.confirm(false)} testid="confirm-protected">
          <p>
            This image is in the <strong>{split}</strong> split: its mask is the ground truth evaluations are measured against. Accepting the model's prediction into it makes the scores measure the model against itself.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
