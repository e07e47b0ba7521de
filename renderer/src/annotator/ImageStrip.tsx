// The image strip beside the annotator: the current list (the app's filter, shared with the Dataset
// grid) as thumbnail rows with split and status, the filter chips with their counts, the open image
// highlighted and kept in view. A click goes through the annotator's navigation, which saves the
// open mask first, so that no edit is dropped.
import type { ApiClient } from '../apiClient.js';
import type { ImageFilterParams, ImageRow } from '../../../app/api/apiTypes.js';
import { FilterChips, useFilterCounts } from '../components/FilterChips.js';
import { STRIP_ROW_HEIGHT, useImageStrip } from './useImageStrip.js';

export function ImageStrip(props: {
  api: ApiClient;
  rows: ImageRow[];
  filter: ImageFilterParams;
  setFilter: React.Dispatch<React.SetStateAction<ImageFilterParams>>;
  imageId: number;
  /** Open an image (saving the current one first). */
  go(id: number): void;
}) {
  const { api, rows, filter, imageId } = props;
  const counts = useFilterCounts(api, rows);
  const index = rows.findIndex((r) => r.id === imageId);
  const { scroller, onScroll, first, last } = useImageStrip(rows.length, index);
  const filtered = Object.values(filter).some((v) => v !== undefined);

  const items: React.ReactElement[] = [];
  for (let i = first; i <= last; i++) {
    const row = rows[i]!;
    const current = row.id === imageId;
    items.push(
      <div
        key={row.id}
        role="option"
        aria-selected={current}
        className={current ? 'strip-item current' : 'strip-item'}
        style={{ transform: `translateY(${i * STRIP_ROW_HEIGHT}px)` }}
        onClick={() => props.go(row.id)}
        title={`${row.name} — ${row.width}×${row.height}`}
        data-testid="strip-item"
        data-image-id={row.id}
        data-current={current ? 'true' : undefined}
      >
        <img src={api.binUrl({ kind: 'thumb', imageId: row.id }) + `?v=${row.maskVersion}`} alt="" draggable={false} loading="lazy" />
        <div className="strip-text">
          <div className="strip-name">{row.name}</div>
          <div className="cell-meta">
            <span className={`pill split-${row.split}`}>{row.split}</span>
            <span className={`pill status-${row.status}`}>{row.status}</span>
          </div>
        </div>
      </div>,
    );
  }

  return (
    <aside className="image-strip" data-testid="image-strip">
      <div className="strip-filters">
        <FilterChips filter={filter} setFilter={props.setFilter} counts={counts} testid="strip-filter" />
        <div className="row small muted">
          <span className="grow" data-testid="strip-count">
            {index >= 0 ? `${index + 1} / ` : ''}
            {rows.length.toLocaleString()} image{rows.length === 1 ? '' : 's'}
          </span>
          {filtered && (
            <button className="link" onClick={() => props.setFilter({})} data-testid="strip-filter-clear" title="Show every image of the project">
              Clear filters
            </button>
          )}
        </div>
      </div>
      <div className="strip-scroller" ref={scroller} onScroll={onScroll} role="listbox" aria-label="Images">
        <div className="strip-inner" style={{ height: rows.length * STRIP_ROW_HEIGHT }}>
          {items}
        </div>
        {rows.length === 0 && <div className="empty-state small">No images match the filters.</div>}
      </div>
    </aside>
  );
}
