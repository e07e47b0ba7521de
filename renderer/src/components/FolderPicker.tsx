// Folder chooser: the native dialog in Electron, a server-side folder browser in the browser.
import { useEffect, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import { Icon } from './Icons.js';
import type { DirEntry } from '../../../app/api/apiTypes.js';
import { useScopedStatus } from './useScopedStatus.js';

export function FolderPicker(props: { api: ApiClient; title: string; start: string; onPick: (path: string) => void; onCancel: () => void; pickLabel?: string }) {
  const [path, setPath] = useState(props.start);
  const [typed, setTyped] = useState(props.start);
  const [entries, setEntries] = useState<DirEntry[]>([]);
  const [parent, setParent] = useState<string | null>(null);
  // The error names the folder asked for: going to another one clears it.
  const error = useScopedStatus<string>([path]);

  useEffect(() => {
    let live = true;
    const report = error.begin();
    props.api
      .call('host.listDir', { path })
      .then((r) => {
        if (!live) return;
        setEntries(r.entries);
        setParent(r.parent);
        setTyped(r.path);
      })
      .catch((err: unknown) => report(inWords(err instanceof Error ? err.message : String(err), path)));
    return () => {
      live = false;
    };
  }, [path]);

  return (
    <div className="modal-backdrop" onMouseDown={props.onCancel}>
      <div className="modal" role="dialog" aria-label={props.title} onMouseDown={(e) => e.stopPropagation()}>
        <h2>{props.title}</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            setPath(typed);
          }}
        >
          <input className="grow" value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Folder path" data-testid="folder-path" />
          <button type="submit">Go</button>
        </form>
        {error.value && <div className="error-text">{error.value}</div>}
        <ul className="dir-list">
          {parent && (
            <li>
              <button className="link" onClick={() => setPath(parent)}>
                ⬑ ..
              </button>
            </li>
          )}
          {entries.map((e) => (
            <li key={e.path}>
              <button className="link" onClick={() => setPath(e.path)}>
                <Icon name="folder" size={14} /> {e.name} {e.isProject && <span className="badge">project</span>}
              </button>
            </li>
          ))}
          {entries.length === 0 && !error && <li className="muted">No sub-folders</li>}
        </ul>
        <div className="row end">
          <button onClick={props.onCancel}>Cancel</button>
          <button className="primary" onClick={() => props.onPick(typed)} data-testid="folder-pick">
            {props.pickLabel ?? 'Choose this folder'}
          </button>
        </div>
      </div>
    </div>
  );
}

/** Native dialog when the host has one, else null (callers then show FolderPicker). */
export async function pickNative(api: ApiClient, title: string): Promise<string | null | undefined> {
  const info = await api.call('host.info', {});
  if (!info.nativeDialogs) return undefined;
  return (await api.call('host.pickDirectory', { title })).path;
}

/** The server's file-system errors as a person would say them, not as errno codes. */
export function inWords(message: string, path: string): string {
  if (/ENOENT|no such file/i.test(message)) return `There is no folder at ${path}. Check the spelling, or pick a folder from the list.`;
  if (/EACCES|EPERM|permission denied/i.test(message)) return `You do not have permission to open ${path}.`;
  if (/ENOTDIR|not a directory/i.test(message)) return `${path} is a file, not a folder.`;
  return message;
}
