import { useEffect, useMemo, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ImageFilterParams, ImageRow, ImportReport, ImageStatus, ProjectSummary, Split } from '../../../app/api/apiTypes.js';
import { FolderPicker, pickNative } from '../components/FolderPicker.js';
import { ImportDialog } from '../components/ImportDialog.js';
import { ExportDialog } from '../components/ExportDialog.js';
import { TrashView } from '../components/TrashView.js';
import { useScrollBox } from '../components/useScrollBox.js';
import { FILTER_SPLITS, FILTER_STATUSES, FilterChips, useFilterCounts } from '../components/FilterChips.js';
import type { ToastState } from '../components/Toasts.js';

const CELL_W = 176;
const CELL_H = 212;
const GAP = 10;
const OVERSCAN_ROWS = 2;

export function DatasetPage(props: {
  api: ApiClient;
  project: ProjectSummary;
  rows: ImageRow[];
  filter: ImageFilterParams;
  setFilter: React.Dispatch<React.SetStateAction<ImageFilterParams>>;
  reload: () => Promise<void>;
  onOpen: (id: number) => void;
  toasts: ToastState;
  setStatus: (s: string) => void;
}) {
  const { api, rows, filter, setFilter, toasts, project } = props;
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [search, setSearch] = useState(filter.nameContains ?? '');
  const [picker, setPicker] = useState(false);
  const [importing, setImporting] = useState<string | null>(null);
  const [importPath, setImportPath] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const [trashOpen, setTrashOpen] = useState(false);
  const [trashCount, setTrashCount] = useState(0);
  const counts = useFilterCounts(api, rows);
  useEffect(() => {
    let live = true;
    api.call('images.list', { filter: { trashed: true } }).then((r) => live && setTrashCount(r.total), () => undefined);
    return () => {
      live = false;
    };
  }, [api, rows]);
  const { scroller, box, setBox } = useScrollBox();

  // A new filter starts at the top (and a shorter list must not leave the view scrolled past its end).
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = 0;
    setBox((b) => ({ ...b, top: 0 }));
  }, [filter]);
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollTop !== box.top) setBox((b) => ({ ...b, top: el.scrollTop }));
  }, [rows]);

  useEffect(() => {
    const t = setTimeout(() => {
      // Functional update: a filter chosen while the search was debouncing must survive.
      setFilter((f) => ((f.nameContains ?? '') === search ? f : { ...f, nameContains: search || undefined }));
    }, 200);
    return () => clearTimeout(t);
  }, [search]);

  useEffect(() => {
    props.setStatus(`${rows.length.toLocaleString()} image${rows.length === 1 ? '' : 's'}${selected.size ? ` · ${selected.size} selected` : ''}`);
  }, [rows.length, selected.size]);

  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.type === 'import.progress') setImporting(`${e.file === 'commit' ? 'Saving' : 'Importing'} ${e.done}/${e.total || '?'}…`);
      }),
    [api],
  );

  // Ctrl+A selects the filtered list, Enter opens the selection's first image, Esc clears it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        setSelected(new Set(rows.map((r) => r.id)));
      } else if (e.key === 'Escape') setSelected(new Set());
      else if (e.key === 'Enter') {
        const first = rows.find((r) => selected.has(r.id));
        if (first) props.onOpen(first.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, selected]);

  const cols = Math.max(1, Math.floor((box.width - GAP) / (CELL_W + GAP)));
  const totalRows = Math.ceil(rows.length / cols);
  const rowH = CELL_H + GAP;
  const firstRow = Math.max(0, Math.floor(box.top / rowH) - OVERSCAN_ROWS);
  const lastRow = Math.min(totalRows - 1, Math.ceil((box.top + box.height) / rowH) + OVERSCAN_ROWS);
  const classById = useMemo(() => new Map(project.classes.map((c) => [c.index, c])), [project.classes]);

  const click = (e: React.MouseEvent, index: number, id: number) => {
    if (e.shiftKey && anchor !== null) {
      const a = rows.findIndex((r) => r.id === anchor);
      const [lo, hi] = a < index ? [a, index] : [index, a];
      setSelected(new Set(rows.slice(lo, hi + 1).map((r) => r.id)));
      return;
    }
    if (e.ctrlKey || e.metaKey) {
      const next = new Set(selected);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setSelected(next);
    } else setSelected(new Set([id]));
    setAnchor(id);
  };

  const bulk = async (what: 'split' | 'status', value: string) => {
    const ids = [...selected];
    if (!ids.length || !value) return;
    try {
      const r = what === 'split' ? await api.call('images.setSplit', { ids, split: value as Split }) : await api.call('images.setStatus', { ids, status: value as ImageStatus });
      toasts.info(`Set ${what} of ${r.updated} image${r.updated === 1 ? '' : 's'} to ${value}`);
      await props.reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  // Delete = to the Trash (restorable); the grid, counts and navigation lose the images at once.
  const moveToTrash = async () => {
    const ids = [...selected];
    if (!ids.length) return;
    try {
      const r = await api.call('images.trash', { ids });
      toasts.info(`Moved ${r.trashed} image${r.trashed === 1 ? '' : 's'} to the Trash (restore ${r.trashed === 1 ? 'it' : 'them'} from “Trash”)`);
      setSelected(new Set());
      await props.reload();
    } catch (err) {
      toasts.error(err);
    }
  };

  // Delete key: the selection to the Trash, as in a file manager.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (trashOpen || (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA'))) return;
      if (e.key === 'Delete' && selected.size) void moveToTrash();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selected, trashOpen]);

  const imported = async (report: ImportReport) => {
    setImportPath(null);
    const skipped = report.problems.length;
    toasts.info(`Imported ${report.added} image${report.added === 1 ? '' : 's'} (${report.withMasks} with masks)${skipped ? `, ${skipped} skipped` : ''}`);
    await props.reload();
  };
  const runImport = async (path: string) => setImportPath(path);

  const startImport = async () => {
    const native = await pickNative(api, 'Import images from folder');
    if (native === undefined) setPicker(true);
    else if (native) await runImport(native);
  };

  const cells: React.ReactElement[] = [];
  for (let r = firstRow; r <= lastRow; r++) {
    for (let c = 0; c < cols; c++) {
      const index = r * cols + c;
      const row = rows[index];
      if (!row) break;
      cells.push(
        <div
          key={row.id}
          className={selected.has(row.id) ? 'cell selected' : 'cell'}
          style={{ transform: `translate(${GAP + c * (CELL_W + GAP)}px, ${GAP + r * rowH}px)` }}
          onClick={(e) => click(e, index, row.id)}
          onDoubleClick={() => props.onOpen(row.id)}
          data-testid="grid-cell"
          data-image-id={row.id}
          title={`${row.name} — ${row.width}×${row.height}`}
        >
          <div className="thumb">
            <img src={api.binUrl({ kind: 'thumb', imageId: row.id }) + `?v=${row.maskVersion}`} alt="" draggable={false} />
          </div>
          <div className="cell-name">{row.name}</div>
          <div className="cell-meta">
            <span className={`pill split-${row.split}`}>{row.split}</span>
            <span className={`pill status-${row.status}`}>{row.status}</span>
            {row.hasPrediction && <span className="pill pred" title="has a model prediction">pred</span>}
            <span className="dots">
              {row.classes.map((k) => (
                <i key={k} style={{ background: classById.get(k)?.color ?? '#888' }} title={classById.get(k)?.name} />
              ))}
            </span>
          </div>
        </div>,
      );
    }
  }

  return (
    <div className="page dataset-page">
      <div className="toolbar">
        <input className="search" type="search" placeholder="Search by name…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="search" />
        <FilterChips filter={filter} setFilter={setFilter} counts={counts} testid="filter" />
        <select value={filter.classIndex ?? ''} onChange={(e) => {
            const v = e.target.value;
            setFilter((f) => ({ ...f, classIndex: v ? Number(v) : undefined }));
          }} aria-label="Class filter">
          <option value="">Any class</option>
          {project.classes.map((c) => (
            <option key={c.index} value={c.index}>
              {c.name}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={filter.hasPrediction === true} onChange={(e) => {
              const on = e.target.checked;
              setFilter((f) => ({ ...f, hasPrediction: on ? true : undefined }));
            }} /> Has prediction
        </label>
        <span className="grow" />
        <button className="primary" onClick={() => void startImport()} disabled={importing !== null} data-testid="import-button">
          {importing ?? 'Import folder…'}
        </button>
        <button onClick={() => setExporting(true)} data-testid="export-button">
          Export…
        </button>
        <button className={trashOpen ? 'chip on' : 'chip'} onClick={() => setTrashOpen((o) => !o)} data-testid="trash-button" title="Images moved to the Trash: restore them or delete them permanently">
          Trash <span className="chip-count">{trashCount}</span>
        </button>
      </div>
      {trashOpen && <TrashView api={api} toasts={toasts} onChanged={props.reload} onClose={() => setTrashOpen(false)} />}
      {!trashOpen && selected.size > 0 && (
        <div className="selectionbar" data-testid="bulk-actions">
          <strong>{selected.size.toLocaleString()} selected</strong>
          <select value="" onChange={(e) => void bulk('split', e.target.value)} aria-label="Set split" data-testid="bulk-split">
            <option value="">Set split…</option>
            {FILTER_SPLITS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <select value="" onChange={(e) => void bulk('status', e.target.value)} aria-label="Set status" data-testid="bulk-status">
            <option value="">Set status…</option>
            {FILTER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button className="danger" onClick={() => void moveToTrash()} data-testid="bulk-trash" title="Move the selected images to the Trash (Delete key)">
            Move to Trash
          </button>
          <button onClick={() => setSelected(new Set())}>Clear</button>
        </div>
      )}
      <div className="grid-scroller" ref={scroller} style={trashOpen ? { display: 'none' } : undefined} onScroll={(e) => setBox((b) => ({ ...b, top: (e.target as HTMLDivElement).scrollTop }))} data-testid="grid">
        <div className="grid-inner" style={{ height: totalRows * rowH + GAP }}>
          {cells}
        </div>
        {rows.length === 0 && <div className="empty-state">No images{Object.values(filter).some((v) => v !== undefined) ? ' match the filters' : ' yet — import a folder to start'}.</div>}
      </div>
      {importPath && <ImportDialog api={api} path={importPath} onDone={(r) => void imported(r).finally(() => setImporting(null))} onCancel={() => (setImportPath(null), setImporting(null))} />}
      {exporting && <ExportDialog api={api} projectDir={project.dir} onClose={() => setExporting(false)} />}
      {picker && (
        <FolderPicker
          api={api}
          title="Import images from folder"
          start={project.dir.replace(/\/[^/]*$/, '') || '/'}
          pickLabel="Import this folder"
          onCancel={() => setPicker(false)}
          onPick={(p) => {
            setPicker(false);
            void runImport(p);
          }}
        />
      )}
    </div>
  );
}
