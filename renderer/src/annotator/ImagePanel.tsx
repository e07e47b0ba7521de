// The side panel's image section: facts about the open image, review toggle, model prediction and
// the SAM accept/discard buttons.
import type { ImageRecord, ImageRow, SamStatus } from '../../../app/api/apiTypes.js';
import { Icon } from '../components/Icons.js';
import type { SaveState } from './saveQueue.js';

export function ImagePanel(props: {
  image: ImageRecord | null;
  row: ImageRow | undefined;
  saveState: SaveState;
  toggleReviewed(): void;
  predict(): void;
  predicting: boolean;
  samPreview: boolean;
  acceptSam(): void;
  discardSam(): void;
  samStatus: SamStatus | null;
  children?: React.ReactNode;
}) {
  const { image, row, saveState, samStatus } = props;
  return (
    <>
      <h3>Image</h3>
      {image && (
        <dl className="facts">
          <dt>Size</dt>
          <dd>
            {image.width}×{image.height}
          </dd>
          <dt>Split</dt>
          <dd data-testid="image-split">{row?.split ?? image.split}</dd>
          <dt>Status</dt>
          <dd data-testid="image-status">{row?.status ?? image.status}</dd>
          <dt>Mask</dt>
          <dd>{saveState.kind === 'saved' && saveState.version ? `v${saveState.version}` : row?.maskVersion ? `v${row.maskVersion}` : 'none'}</dd>
        </dl>
      )}
      <div className="stack">
        <button onClick={props.toggleReviewed} data-testid="review-toggle">
          <Icon name="check" size={15} /> {image?.status === 'reviewed' ? 'Reviewed (R)' : 'Mark reviewed (R)'}
        </button>
        <button onClick={props.predict} disabled={props.predicting} title="Propose a mask from the project's fine-tuned model" data-testid="predict">
          <Icon name="wand" size={15} /> {props.predicting ? 'Predicting…' : 'Predict'}
        </button>
        {props.samPreview && (
          <div className="row">
            <button className="primary grow" onClick={props.acceptSam} data-testid="sam-accept">
              Accept ⏎
            </button>
            <button onClick={props.discardSam}>Discard</button>
          </div>
        )}
        {props.children}
      </div>
      <div className="muted small sam-line">SAM: {samStatus ? (samStatus.available ? samStatus.model : `unavailable — ${samStatus.reason}`) : '…'}</div>
    </>
  );
}
