// The annotator's left rail: tools, undo/redo, mask visibility, fit, help.
import type { SamStatus } from '../../../app/api/apiTypes.js';
import { Icon, type IconName } from '../components/Icons.js';
import type { ToolId } from './tools/tool.js';

const TOOLS: { id: ToolId; label: string; key: string; icon: IconName }[] = [
  { id: 'brush', label: 'Brush', key: 'B', icon: 'brush' },
  { id: 'eraser', label: 'Eraser', key: 'E', icon: 'eraser' },
  { id: 'polygon', label: 'Polygon', key: 'P', icon: 'polygon' },
  { id: 'sam', label: 'SAM prompts', key: 'S', icon: 'sam' },
];

export function ToolRail(props: {
  tool: ToolId;
  selectTool(t: ToolId): void;
  samStatus: SamStatus | null;
  canUndo: boolean;
  canRedo: boolean;
  undoRedo(which: 'undo' | 'redo'): void;
  hideMasks: boolean;
  toggleHideMasks(): void;
  fit(): void;
  showHelp(): void;
}) {
  const { tool, samStatus } = props;
  return (
    <aside className="toolrail" aria-label="Tools">
      {TOOLS.map((t) => (
        <button
          key={t.id}
          className={tool === t.id ? 'tool active' : 'tool'}
          title={`${t.label} (${t.key})${t.id === 'sam' && samStatus && !samStatus.available ? ` — unavailable: ${samStatus.reason}` : ''}`}
          onClick={() => props.selectTool(t.id)}
          disabled={t.id === 'sam' && samStatus !== null && !samStatus.available}
          data-testid={`tool-${t.id}`}
          aria-pressed={tool === t.id}
        >
          <Icon name={t.icon} />
          <span className="tool-key">{t.key}</span>
        </button>
      ))}
      <div className="rail-sep" />
      <button className="tool" title="Undo (Ctrl+Z)" disabled={!props.canUndo} onClick={() => props.undoRedo('undo')} data-testid="undo">
        <Icon name="undo" />
      </button>
      <button className="tool" title="Redo (Ctrl+Shift+Z)" disabled={!props.canRedo} onClick={() => props.undoRedo('redo')} data-testid="redo">
        <Icon name="redo" />
      </button>
      <div className="rail-sep" />
      <button className={props.hideMasks ? 'tool active' : 'tool'} title="Hide masks (H)" onClick={props.toggleHideMasks} data-testid="hide-masks">
        <Icon name={props.hideMasks ? 'eyeOff' : 'eye'} />
      </button>
      <button className="tool" title="Fit to window (F)" onClick={props.fit}>
        <Icon name="fit" />
      </button>
      <button className="tool" title="Keyboard shortcuts (?)" onClick={props.showHelp} data-testid="help-button">
        <Icon name="help" />
      </button>
    </aside>
  );
}
