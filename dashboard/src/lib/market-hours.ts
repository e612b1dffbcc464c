import { sessionKindOf, type SessionKind, type SymbolMeta } from '@tickfeed/protocol';

/** How the status bar names a market (SPEC P30). */
const MARKET_NAMES: Record<SessionKind, string> = { 'us-equity': 'US equities', fx: 'FX', 'utc-day': 'Crypto' };

/** "US equities closed", "FX and US equities closed", or '' when the feed says every market is open (S71). */
export function closedMarketsText(closed: readonly SessionKind[] | undefined): string {
  if (closed === undefined || closed.length === 0) return '';
  const names = closed.map((kind) => MARKET_NAMES[kind]);
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
  return `${list} closed`;
}

/** Whether a symbol's market is among the closed ones: its silence is then expected, not staleness. */
export function isMarketClosedFor(meta: Pick<SymbolMeta, 'kind' | 'session'> | undefined, closed: readonly SessionKind[] | undefined): boolean {
  if (meta === undefined || closed === undefined || closed.length === 0) return false;
  return closed.includes(sessionKindOf(meta));
}
