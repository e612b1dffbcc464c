import type { AssetKind, SymbolMeta } from '@tickfeed/protocol';

/**
 * The time zone a symbol's exchange keeps, for charts of replayed sessions:
 * metadata carries none, so it follows the asset class. US equities trade
 * 09:30–16:00 New York time; FX rolls its day at 17:00 New York time; crypto
 * runs on the UTC day.
 */
const ZONE_OF_KIND: Record<AssetKind, string> = {
  equity: 'America/New_York',
  fx: 'America/New_York',
  crypto: 'UTC',
};

export function exchangeZone(meta: Pick<SymbolMeta, 'kind'> & { timeZone?: string } | undefined): string {
  if (meta === undefined) return 'UTC';
  if (typeof meta.timeZone === 'string' && meta.timeZone !== '') return meta.timeZone;
  return ZONE_OF_KIND[meta.kind] ?? 'UTC';
}
