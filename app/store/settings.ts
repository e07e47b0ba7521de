// Project settings: small JSON values by key (the active model, UI preferences, locks).
import { now, type StoreContext } from './storeContext.js';

/** A project setting (JSON value), or null when unset. */
export function getSetting(s: StoreContext, key: string): unknown {
  const r = s.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return r ? (JSON.parse(r.value) as unknown) : null;
}

/** Sets (or with null, clears) a project setting. */
export function setSetting(s: StoreContext, key: string, value: unknown): void {
  if (value === null || value === undefined) s.sql('DELETE FROM settings WHERE key = ?').run(key);
  else s.sql('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(key, JSON.stringify(value), now());
}
