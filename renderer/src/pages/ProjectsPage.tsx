import { useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { HostInfo, ProjectSummary, RecentProject } from '../../../app/api/apiTypes.js';
import { FolderPicker, pickNative } from '../components/FolderPicker.js';
import type { ToastState } from '../components/Toasts.js';

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c'];

function joinPath(dir: string, name: string): string {
  const slug = name.trim().replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'project';
  return `${dir.replace(/\/+$/, '')}/${slug}`;
}

export function ProjectsPage(props: { api: ApiClient; host: HostInfo; current: ProjectSummary | null; onOpened: (p: ProjectSummary) => void; toasts: ToastState }) {
  const { api, host, toasts } = props;
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [name, setName] = useState('');
  const [location, setLocation] = useState(host.workspaceDir ?? host.homeDir);
  const [classes, setClasses] = useState([{ name: 'defect', color: PALETTE[0]! }]);
  const [picker, setPicker] = useState<null | 'location' | 'open'>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.call('projects.recent', {}).then(setRecent, toasts.error);
  }, [api, props.current?.dir]);

  const open = async (dir: string) => {
    try {
      props.onOpened(await api.call('projects.open', { dir }));
    } catch (err) {
      toasts.error(err);
    }
  };

  const browse = async (which: 'location' | 'open') => {
    const native = await pickNative(api, which === 'open' ? 'Open project folder' : 'Choose where to create the project');
    if (native === undefined) return setPicker(which);
    if (native === null) return;
    if (which === 'open') await open(native);
    else setLocation(native);
  };

  const create = async () => {
    setBusy(true);
    try {
      const p = await api.call('projects.create', { dir: joinPath(location, name), name: name.trim(), classes: classes.filter((c) => c.name.trim()) });
      toasts.info(`Created project ${p.name}`);
      props.onOpened(p);
    } catch (err) {
      toasts.error(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page projects-page">
      <section className="panel">
        <div className="panel-head">
          <h2>Recent projects</h2>
          <button onClick={() => void browse('open')} data-testid="open-folder">
            Open folder…
          </button>
        </div>
        {recent.length === 0 && <p className="muted empty">No projects yet. Create one on the right.</p>}
        <ul className="project-list" data-testid="recent-projects">
          {recent.map((r) => (
            <li key={r.dir} className={props.current?.dir === r.dir ? 'current' : ''}>
              <button className="project-item" onClick={() => void open(r.dir)}>
                <span className="project-name">{r.name}</span>
                <span className="project-dir">{r.dir}</span>
                <span className="project-time">{r.openedAt ? new Date(r.openedAt).toLocaleString() : 'in workspace'}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section className="panel narrow">
        <h2>New project</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Steel strip line 3" required data-testid="new-project-name" />
          </label>
          <label>
            Location
            <div className="row">
              <input className="grow" value={location} onChange={(e) => setLocation(e.target.value)} data-testid="new-project-location" />
              <button type="button" onClick={() => void browse('location')}>
                Browse…
              </button>
            </div>
          </label>
          <div className="muted small">Folder: {name.trim() ? joinPath(location, name) : '—'}</div>
          <fieldset>
            <legend>Defect classes</legend>
            {classes.map((c, i) => (
              <div className="row class-row" key={i}>
                <input type="color" value={c.color} onChange={(e) => setClasses((cs) => cs.map((x, j) => (j === i ? { ...x, color: e.target.value } : x)))} aria-label={`Colour of class ${i + 1}`} />
                <input className="grow" value={c.name} onChange={(e) => setClasses((cs) => cs.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} aria-label={`Name of class ${i + 1}`} data-testid={`class-name-${i + 1}`} />
                <button type="button" className="icon" title="Remove class" onClick={() => setClasses((cs) => cs.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </div>
            ))}
            <button type="button" onClick={() => setClasses((cs) => [...cs, { name: '', color: PALETTE[cs.length % PALETTE.length]! }])} data-testid="add-class">
              + Add class
            </button>
          </fieldset>
          <button className="primary" type="submit" disabled={busy || !name.trim()} data-testid="create-project">
            Create project
          </button>
        </form>
      </section>
      {picker && (
        <FolderPicker
          api={api}
          title={picker === 'open' ? 'Open project folder' : 'Choose where to create the project'}
          start={location}
          pickLabel={picker === 'open' ? 'Open project' : 'Use this folder'}
          onCancel={() => setPicker(null)}
          onPick={(path) => {
            setPicker(null);
            if (picker === 'open') void open(path);
            else setLocation(path);
          }}
        />
      )}
    </div>
  );
}
