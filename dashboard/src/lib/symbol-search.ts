import type { SymbolMeta } from '@tickfeed/protocol';

/*
 * Finding symbols from what a user types: by symbol or by name, any case,
 * several at once separated by commas ("NFLX, AMD", "apple; tesla").
 */

/** How well a symbol matches a query: lower is better; null when it does not match. */
export function matchRank(meta: Pick<SymbolMeta, 'symbol' | 'name'>, query: string): number | null {
  const q = query.trim().toUpperCase();
  if (q === '') return null;
  const symbol = meta.symbol.toUpperCase();
  const name = meta.name.toUpperCase();
  if (symbol === q) return 0;
  // "BTC" is BTC-USD: the base of a pair, or the start of a symbol.
  if (symbol.split(/[-/.]/)[0] === q) return 1;
  if (symbol.startsWith(q)) return 2;
  if (name === q) return 3;
  if (name.startsWith(q)) return 4;
  if (name.split(/[\s/.,()-]+/).some((word) => word.startsWith(q))) return 5;
  if (symbol.includes(q) || name.includes(q)) return 6;
  return null;
}

/** Symbols matching `query`, best first (ties in universe order), at most `limit`. */
export function suggest<T extends Pick<SymbolMeta, 'symbol' | 'name'>>(universe: readonly T[], query: string, limit = 8): T[] {
  const ranked: { meta: T; rank: number; index: number }[] = [];
  universe.forEach((meta, index) => {
    const rank = matchRank(meta, query);
    if (rank !== null) ranked.push({ meta, rank, index });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.slice(0, limit).map((r) => r.meta);
}

/** The parts of an input: split at commas and semicolons, trimmed, empty ones dropped. */
export function splitQueries(input: string): string[] {
  return input
    .split(/[,;]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export interface Resolution {
  /** Symbols found, in input order, without repeats. */
  readonly found: string[];
  /** Parts that matched nothing, as typed (upper-cased). */
  readonly unknown: string[];
}

/**
 * Resolves each part of an input to its best match. With an empty universe
 * (not loaded yet) a part that looks like a symbol is taken as typed; the
 * server decides then.
 */
export function resolveQueries(universe: readonly Pick<SymbolMeta, 'symbol' | 'name'>[], input: string): Resolution {
  const found: string[] = [];
  const unknown: string[] = [];
  for (const part of splitQueries(input)) {
    const best = universe.length === 0 ? part.toUpperCase() : suggest(universe, part, 1)[0]?.symbol;
    if (best === undefined) {
      if (!unknown.includes(part.toUpperCase())) unknown.push(part.toUpperCase());
    } else if (!found.includes(best)) {
      found.push(best);
    }
  }
  return { found, unknown };
}

/** The part being typed (after the last comma): what the suggestion list is for. */
export function lastQuery(input: string): string {
  const parts = input.split(/[,;]/);
  return (parts[parts.length - 1] ?? '').trim();
}

/** The input with its last part replaced by `symbol` (choosing a suggestion keeps the parts before it). */
export function replaceLastQuery(input: string, symbol: string): string {
  const cut = Math.max(input.lastIndexOf(','), input.lastIndexOf(';'));
  return cut < 0 ? symbol : `${input.slice(0, cut + 1)} ${symbol}`;
}
