// After signing in again (a new page load on the restarted server), writes the edits that were
// kept in IndexedDB while the server was unreachable, then forgets them.
import type { ApiClient } from '../apiClient.js';
import { pendingEdits } from './pendingEdits.js';

export async function replayPendingEdits(api: ApiClient, projectDir: string): Promise<{ saved: number; failed: string[] }> {
  const list = await pendingEdits.list(projectDir);
  let saved = 0;
  const failed: string[] = [];
  for (const e of list) {
    try {
      await api.call('masks.save', {
        imageId: e.imageId,
        mask: { width: e.width, height: e.height, data: e.data },
        source: e.source,
        note: `kept in the browser during a server outage (${e.at}), saved after signing in again`,
        ...(e.runId !== undefined ? { runId: e.runId } : {}),
      });
      await pendingEdits.remove(projectDir, e.imageId);
      saved++;
    } catch (err) {
      failed.push(`image ${e.imageId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { saved, failed };
}
