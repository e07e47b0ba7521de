// The bar above the stage: image navigation, the active tool's options, the save state.
import type { SaveState } from './saveQueue.js';
import { Icon } from '../components/Icons.js';
import type { ToolId } from './tools/tool.js';

export const MIN_BRUSH = 1;
export const MAX_BRUSH = 500;

function saveLabel(s: SaveState): string {
  if (s.kind === 'saved') return s.version ? `Saved · v${s.version}` : 'No mask yet';
  if (s.kind === 'saving') return 'Saving…';
  if (s.kind === 'pending') return 'Unsaved changes';
  return `Save failed — retrying (${s.message})`;
}

export function OptionsBar(props: {
  imageName: string | null;
  imageWidth: number;
  index: number;
  total: number;
  goRelative(delta: number): void;
  goNextUnreviewed(): void;
  tool: ToolId;
  brush: number;
  setBrush(b: number): void;
  eraseAnyClass: boolean;
  setEraseAnyClass(v: boolean): void;
  polyMode: 'fill' | 'cut';
  setPolyMode(m: 'fill' | 'cut'): void;
  samHint: string;
  saveState: SaveState;
}) {
  const { tool, index, total, saveState } = props;
  return (
    <div className="optionsbar">
      <div className="nav">
        <button onClick={() => props.goRelative(-1)} disabled={index <= 0} title="Previous image (A)" data-testid="prev">
          <Icon name="prev" size={14} /> Prev
        </button>
        <span className="image-title" data-testid="image-name">
          {props.imageName ?? '…'}
        </span>
        <span className="muted">{index >= 0 ? `${index + 1} / ${total}` : ''}</span>
        <button onClick={() => props.goRelative(1)} disabled={index < 0 || index >= total - 1} title="Next image (D)" data-testid="next">
          Next <Icon name="next" size={14} />
        </button>
        <button onClick={props.goNextUnreviewed} title="Next unreviewed (N or Shift+D)" data-testid="next-unreviewed">
          Next unreviewed <Icon name="skip" size={14} />
        </button>
      </div>
      <span className="grow" />
      {(tool === 'brush' || tool === 'eraser') && (
        <label className="inline">
          Size
          <input type="range" min={MIN_BRUSH} max={Math.min(MAX_BRUSH, Math.max(64, Math.round(props.imageWidth / 8)))} value={props.brush} onChange={(e) => props.setBrush(Number(e.target.value))} data-testid="brush-size" />
          <span className="num" data-testid="brush-size-value">{props.brush}px</span>
        </label>
      )}
      {tool === 'eraser' && (
        <div className="segmented" title="Shift+E toggles" data-testid="eraser-scope">
          <button className={props.eraseAnyClass ? '' : 'on'} onClick={() => props.setEraseAnyClass(false)} data-testid="erase-current">
            Current class
          </button>
          <button className={props.eraseAnyClass ? 'on' : ''} onClick={() => props.setEraseAnyClass(true)} data-testid="erase-any">
            Any class
          </button>
        </div>
      )}
      {tool === 'polygon' && (
        <div className="segmented" title="X toggles">
          <button className={props.polyMode === 'fill' ? 'on' : ''} onClick={() => props.setPolyMode('fill')}>
            Fill
          </button>
          <button className={props.polyMode === 'cut' ? 'on' : ''} onClick={() => props.setPolyMode('cut')}>
            Cut
          </button>
        </div>
      )}
      {tool === 'sam' && <span className="hint">{props.samHint}</span>}
      <span className={`save-state ${saveState.kind}`} data-testid="save-state" data-state={saveState.kind} data-version={saveState.kind === 'saved' ? (saveState.version ?? 0) : ''}>
        ● {saveLabel(saveState)}
      </span>
    </div>
  );
}
