import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient, SessionState } from './apiClient.js';
import { pendingEdits } from './session/pendingEdits.js';
import { replayPendingEdits } from './session/replayPendingEdits.js';
import { SessionBanner } from './components/SessionBanner.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { isTyping, matchShortcut } from './annotator/shortcuts.js';
import type { HostInfo, ImageFilterParams, ImageRow, ProjectSummary } from '../../app/api/apiTypes.js';
import type { BatchOutcome } from '../../app/api/fineTuneTypes.js';
import { ProjectsPage } from './pages/ProjectsPage.js';
import { DatasetPage } from './pages/DatasetPage.js';
import { AnnotatorPage } from './pages/AnnotatorPage.js';
import { Toasts, useToasts, type Toast } from './components/Toasts.js';
import { useScopedStatus } from './components/useScopedStatus.js';
import './finetune/fineTuneStyles.js';
import { FineTunePage } from './finetune/FineTunePage.js';
import { RunsPage } from './finetune/RunsPage.js';
import { BatchPage } from './finetune/BatchPage.js';

export type Page = 'projects' | 'dataset' | 'annotate' | 'finetune' | 'runs' | 'batch';

export function App({ api }: { api: ApiClient }) {
  const [host, setHost] = useState<HostInfo | null>(null);
  const [project, setProject] = useState<ProjectSummary | null>(null);
  const [page, setPage] = useState<Page>('projects');
  const [rows, setRows] = useState<ImageRow[]>([]);
  const [filter, setFilter] = useState<ImageFilterParams>({});
  const [imageId, setImageId] = useState<number | null>(null);
  const [connected, setConnected] = useState(true);
  const [session, setSession] = useState<SessionState>('connected');
  const [pending, setPending] = useState(pendingEdits.count);
  const toasts = useToasts();
  // The status bar speaks of the page, project and image it was written on; a change of any clears it.
  const status = useScopedStatus<string>([page, project?.dir ?? null, imageId]);
  const setStatus = status.set;

  useEffect(() => api.onConnection(setConnected), [api]);
  useEffect(() => api.onSession(setSession), [api]);
  // `?` everywhere: the annotator shows its own full list; other pages the global shortcuts.
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (page === 'annotate' || isTyping(e)) return;
      const action = matchShortcut(e)?.action;
      if (action === 'help') setHelp((h) => !h);
      else if (e.key === 'Escape') setHelp(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [page]);
  useEffect(() => pendingEdits.onCount(setPending), []);
  useEffect(() => {
    void (async () => {
      try {
        setHost(await api.call('host.info', {}));
        const current = await api.call('projects.current', {});
        if (current) {
          setProject(current);
          setPage('dataset');
        }
      } catch (err) {
        toasts.error(err);
      }
    })();
  }, [api]);
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.type === 'project.opened') setProject(e.project);
        if (e.type === 'menu') runMenuCommand(e.command, setPage);
        // A batch job's end is told on whatever page is open (the Batch page may not be).
        if (e.type === 'batch.finished') toasts.notify(BATCH_END_TOAST[e.outcome] ?? 'info', e.message);
      }),
    [api],
  );

  const reloadRows = useCallback(async () => {
    if (!project) return;
    try {
      const r = await api.call('images.list', { filter });
      setRows(r.items);
    } catch (err) {
      toasts.error(err);
    }
  }, [api, project?.dir, filter]);
  useEffect(() => {
    void reloadRows();
  }, [reloadRows]);

  // Edits kept in this browser while the server was unreachable (an earlier page load) are saved
  // once per project as soon as this tab is signed in.
  const replayed = useRef<string | null>(null);
  useEffect(() => {
    if (!project || session !== 'connected' || replayed.current === project.dir) return;
    replayed.current = project.dir;
    void replayPendingEdits(api, project.dir).then(
      (r) => {
        if (r.saved) {
          toasts.info(`Saved ${r.saved} ${r.saved === 1 ? 'edit' : 'edits'} kept in this browser while the server was away`);
          void reloadRows();
        }
        if (r.failed.length) toasts.error(`Could not save ${r.failed.length} kept edits: ${r.failed.join('; ')}`);
      },
      (err) => toasts.error(err),
    );
  }, [api, project?.dir, session]);

  const updateRow = useCallback((id: number, patch: Partial<ImageRow>) => {
    setRows((rs) => rs.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  }, []);

  const opened = useCallback((p: ProjectSummary) => {
    setProject(p);
    setFilter({});
    setImageId(null);
    setPage('dataset');
  }, []);

  const openImage = useCallback((id: number) => {
    setImageId(id);
    setPage('annotate');
  }, []);

  const tabs = useMemo(
    () => [
      { id: 'projects' as const, label: 'Projects', enabled: true },
      { id: 'dataset' as const, label: 'Dataset', enabled: Boolean(project) },
      { id: 'annotate' as const, label: 'Annotate', enabled: Boolean(project) && (imageId !== null || rows.length > 0) },
      { id: 'finetune' as const, label: 'Fine-tune', enabled: Boolean(project) },
      { id: 'runs' as const, label: 'Runs', enabled: Boolean(project) },
      { id: 'batch' as const, label: 'Batch', enabled: Boolean(project) },
    ],
    [project, imageId, rows.length],
  );

  return (
    <div className={session === 'signed-out' ? 'app with-banner' : 'app'} data-page={page}>
      <header className="appbar">
        <div className="brand">
          <span className="logo" aria-hidden>◆</span> PA-SAM <span className="brand-sub">Workstation</span>
        </div>
        <nav className="tabs" role="tablist">
          {tabs.map((t) => (
            <button
              key={t.id}
              role="tab"
              aria-selected={page === t.id}
              className={page === t.id ? 'tab active' : 'tab'}
              disabled={!t.enabled}
              onClick={() => {
                if (t.id !== page && session !== 'connected' && pendingEdits.count > 0) {
                  toasts.error(`Not leaving this page: ${pendingEdits.count} unsaved ${pendingEdits.count === 1 ? 'edit waits' : 'edits wait'} for the server. ${session === 'signed-out' ? 'Sign in again first (banner above).' : 'Reconnecting…'}`);
                  return;
                }
                if (t.id === 'annotate' && imageId === null && rows[0]) setImageId(rows[0].id);
                setPage(t.id);
              }}
            >
              {t.label}
            </button>
          ))}
        </nav>
        <div className="appbar-project" title={project?.dir}>
          {project ? (
            <>
              <span className="muted">Project</span> <strong data-testid="project-name">{project.name}</strong>
            </>
          ) : (
            <span className="muted">No project open</span>
          )}
        </div>
      </header>
      {session === 'signed-out' && <SessionBanner api={api} pending={pending} onSignedIn={() => toasts.info('Signed in again')} />}
      <main className="content">
        {page === 'projects' && host && <ProjectsPage api={api} host={host} current={project} onOpened={opened} toasts={toasts} />}
        {page === 'dataset' && project && (
          <DatasetPage api={api} project={project} rows={rows} filter={filter} setFilter={setFilter} reload={reloadRows} onOpen={openImage} toasts={toasts} setStatus={setStatus} />
        )}
        {page === 'annotate' && project && imageId !== null && (
          <AnnotatorPage api={api} project={project} rows={rows} imageId={imageId} setImageId={setImageId} updateRow={updateRow} toasts={toasts} setStatus={setStatus} />
        )}
        {page === 'finetune' && project && <FineTunePage api={api} project={project} toasts={toasts} onShowRuns={() => setPage('runs')} />}
        {page === 'runs' && project && <RunsPage api={api} project={project} toasts={toasts} onOpenImage={openImage} onImagesChanged={() => void reloadRows()} />}
        {page === 'batch' && project && <BatchPage api={api} host={host} project={project} toasts={toasts} />}
      </main>
      <footer className="statusbar">
        <span className={session === 'signed-out' ? 'conn signed-out' : connected ? 'conn ok' : 'conn bad'} data-testid="connection" data-session={session}>
          {session === 'signed-out' ? '● Signed out — server restarted' : connected ? '● Connected' : '● Reconnecting…'}
        </span>
        <span className="sep" />
        <span className="status-text" data-testid="status-text">{status.value}</span>
        <span className="grow" />
        <span className="muted">{host ? `${host.transport === 'electron' ? 'Desktop' : 'Browser'} · v${host.version}` : ''}</span>
      </footer>
      <Toasts state={toasts} />
      {help && page !== 'annotate' && <HelpOverlay onClose={() => setHelp(false)} scope={page === 'dataset' ? 'dataset' : 'global'} />}
    </div>
  );
}

/** Green news is information; failures in a finished job and cancellations want a look; a failed job is an error. */
const BATCH_END_TOAST: Partial<Record<BatchOutcome, Toast['kind']>> = { completed: 'info', 'completed-with-failures': 'warn', cancelled: 'warn', failed: 'error' };

// Native menu items (Electron) do what their shortcut does: pages switch here, the rest is replayed
// as the key press the annotator already handles.
const MENU_KEYS: Record<string, KeyboardEventInit> = {
  undo: { key: 'z', ctrlKey: true },
  redo: { key: 'z', ctrlKey: true, shiftKey: true },
  save: { key: 's', ctrlKey: true },
  'tool-brush': { key: 'b' },
  'tool-eraser': { key: 'e' },
  'tool-polygon': { key: 'p' },
  'tool-sam': { key: 's' },
  'brush-smaller': { key: '[' },
  'brush-larger': { key: ']' },
  prev: { key: 'a' },
  next: { key: 'd' },
  'next-unreviewed': { key: 'n' },
  'hide-masks': { key: 'h' },
  fit: { key: 'f' },
  help: { key: '?' },
};

function runMenuCommand(command: string, setPage: (p: Page) => void): void {
  if (command === 'projects' || command === 'dataset' || command === 'annotate') return setPage(command);
  if (command === 'import') {
    setPage('dataset');
    setTimeout(() => document.querySelector<HTMLButtonElement>('[data-testid=import-button]')?.click(), 50);
    return;
  }
  const init = MENU_KEYS[command];
  if (init) window.dispatchEvent(new KeyboardEvent('keydown', { ...init, bubbles: true }));
}
