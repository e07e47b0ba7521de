// The split and status filter chips of an image list, with the count each chip would show. Counts
// are over the whole project (images.list without a filter), not the filtered list, so a chip says
// what choosing it gives. The chips edit the app's one ImageFilterParams: the Dataset grid and the
// annotator's strip list the same images, and A / D walk that list.
import { useEffect, useMemo, useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ImageFilterParams, ImageRow, ImageStatus, Split } from '../../../app/api/apiTypes.js';

export const FILTER_SPLITS: readonly Split[] = ['train', 'val', 'test', 'unassigned'];
export const FILTER_STATUSES: readonly ImageStatus[] = ['new', 'annotated', 'reviewed'];

export interface FilterCounts {
  split: Record<string, number>;
  status: Record<string, number>;
}

/** Adds `v` to the list or removes it; an empty list is no filter at all. */
export function toggleFilterValue<T>(list: T[] | undefined, v: T): T[] | undefined {
  const l = list ?? [];
  const next = l.includes(v) ? l.filter((x) => x !== v) : [...l, v];
  return next.length ? next : undefined;
}

export function countRows(rows: readonly Pick<ImageRow, 'split' | 'status'>[]): FilterCounts {
  const c: FilterCounts = { split: {}, status: {} };
  for (const row of rows) {
    c.split[row.split] = (c.split[row.split] ?? 0) + 1;
    c.status[row.status] = (c.status[row.status] ?? 0) + 1;
  }
  return c;
}

/**
 * The project's counts, fetched again only when a split or status in the listed rows changed (a
 * mask save that leaves both alone costs nothing) or the server says images changed.
 */
export function useFilterCounts(api: ApiClient, rows: readonly ImageRow[]): FilterCounts {
  const [counts, setCounts] = useState<FilterCounts>({ split: {}, status: {} });
  const [changed, setChanged] = useState(0);
  const signature = useMemo(() => `${rows.length}:${rows.map((r) => `${r.id}${r.split[0]}${r.status[0]}`).join()}`, [rows]);
  useEffect(() => api.onEvent((e) => e.type === 'images.changed' && setChanged((n) => n + 1)), [api]);
  useEffect(() => {
    let live = true;
    api.call('images.list', {}).then((r) => live && setCounts(countRows(r.items)), () => undefined);
    return () => {
      live = false;
    };
  }, [api, signature, changed]);
  return counts;
}

export function FilterChips(props: {
  filter: ImageFilterParams;
  setFilter: React.Dispatch<React.SetStateAction<ImageFilterParams>>;
  counts: FilterCounts;
  /** Prefix of the chips' test ids, e.g. 'strip-filter' → strip-filter-split-test. */
  testid: string;
}) {
  const { filter, setFilter, counts, testid } = props;
  const groups = [
    { kind: 'split', label: 'Split filter', values: FILTER_SPLITS },
    { kind: 'status', label: 'Status filter', values: FILTER_STATUSES },
  ] as const;
  return (
    <>
      {groups.map(({ kind, label, values }) => (
        <div key={kind} className="chips" aria-label={label}>
          {values.map((v: string) => (
            <button
              key={v}
              className={(filter[kind] as string[] | undefined)?.includes(v) ? 'chip on' : 'chip'}
              onClick={() => setFilter((f) => ({ ...f, [kind]: toggleFilterValue(f[kind] as string[] | undefined, v) }))}
              data-testid={`${testid}-${kind}-${v}`}
            >
              {v} <span className="chip-count">{counts[kind][v] ?? 0}</span>
            </button>
          ))}
        </div>
      ))}
    </>
  );
}
