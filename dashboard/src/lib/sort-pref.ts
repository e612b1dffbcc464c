import type { SortKey, SortSpec } from './sort.js';

/** The watchlist's sort survives a reload (localStorage), e.g. `{"key":"changePct","dir":-1}`. */
export const SORT_STORAGE_KEY = 'tickfeed.sort.v1';

const KEYS: readonly SortKey[] = ['symbol', 'last', 'change', 'changePct', 'bid', 'ask', 'volume'];

/** The stored sort; anything malformed reads as no sort. */
export function parseSort(stored: string | null): SortSpec | null {
  if (stored === null) return null;
  try {
    const raw: unknown = JSON.parse(stored);
    if (typeof raw !== 'object' || raw === null) return null;
    const { key, dir } = raw as Record<string, unknown>;
    if (typeof key !== 'string' || !(KEYS as readonly string[]).includes(key) || (dir !== 1 && dir !== -1)) return null;
    return { key: key as SortKey, dir };
  } catch {
    return null;
  }
}

export function serializeSort(sort: SortSpec | null): string {
  return JSON.stringify(sort);
}
