import type { QuoteView } from './quote-model.js';

export type SortKey = 'symbol' | 'last' | 'change' | 'changePct' | 'bid' | 'ask' | 'volume';
export interface SortSpec {
  readonly key: SortKey;
  readonly dir: 1 | -1;
}

/** Order of the watchlist: its own order without a sort, else by the key (ties keep watchlist order). */
export function sortSymbols(
  watchlist: readonly string[],
  quotes: Readonly<Record<string, QuoteView | undefined>>,
  sort: SortSpec | null,
): string[] {
  if (sort === null) return [...watchlist];
  const index = new Map(watchlist.map((symbol, i) => [symbol, i]));
  const value = (symbol: string): number | string | null => {
    if (sort.key === 'symbol') return symbol;
    const quote = quotes[symbol];
    return quote === undefined ? null : quote[sort.key];
  };
  return [...watchlist].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    // Symbols without a quote yet sink to the bottom in either direction.
    if (va === null || vb === null) return va === vb ? index.get(a)! - index.get(b)! : va === null ? 1 : -1;
    const cmp = va < vb ? -1 : va > vb ? 1 : 0;
    return cmp !== 0 ? cmp * sort.dir : index.get(a)! - index.get(b)!;
  });
}

/** Next sort after clicking a column header: ascending, descending, then off. */
export function nextSort(current: SortSpec | null, key: SortKey): SortSpec | null {
  if (current === null || current.key !== key) return { key, dir: key === 'symbol' ? 1 : -1 };
  if (current.dir === (key === 'symbol' ? 1 : -1)) return { key, dir: current.dir === 1 ? -1 : 1 };
  return null;
}
