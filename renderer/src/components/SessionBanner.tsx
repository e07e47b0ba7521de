// Shown when the server restarted with a new session token: says so in words, keeps the unsaved
// edits (IndexedDB) and signs in again with the URL the new server printed — in place when the
// address is the same, so nothing open in this tab is lost.
import { useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import { useScopedStatus } from './useScopedStatus.js';

export function SessionBanner(props: { api: ApiClient; pending: number; onSignedIn(): void }) {
  const [url, setUrl] = useState('');
  // The error speaks of the URL tried: editing it clears the message.
  const error = useScopedStatus<string>([url]);
  const signIn = async () => {
    const report = error.begin();
    try {
      if ((await props.api.signIn(url)) === 'ok') props.onSignedIn();
    } catch (err) {
      report(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="session-banner" role="alert" data-testid="session-banner">
      <div>
        <strong>The server was restarted; this tab’s session has ended.</strong> Open the new URL that <code>pasam serve</code> printed, or paste it here.{' '}
        {props.pending > 0 ? (
          <span data-testid="session-pending">
            {props.pending} unsaved {props.pending === 1 ? 'edit is' : 'edits are'} kept in this browser and will be saved when you sign in.
          </span>
        ) : (
          'Nothing unsaved is lost.'
        )}
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn();
        }}
      >
        <input className="grow" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:…/?token=…" aria-label="New server URL" data-testid="session-url" />
        <button className="primary" type="submit" disabled={!url.trim()} data-testid="session-sign-in">
          Sign in
        </button>
      </form>
      {error.value && <div className="error-text">{error.value}</div>}
    </div>
  );
}
