import { sessionKindOf, sessionTimeZone, type SymbolMeta } from '@tickfeed/protocol';

/**
 * The time zone a symbol's exchange keeps, for charts of replayed sessions:
 * the zone of its market session (SPEC P30: New York for US equities and FX,
 * UTC for crypto), unless the metadata names one.
 */
export function exchangeZone(meta: (Pick<SymbolMeta, 'kind' | 'session'> & { timeZone?: string }) | undefined): string {
  if (meta === undefined) return 'UTC';
  if (typeof meta.timeZone === 'string' && meta.timeZone !== '') return meta.timeZone;
  return sessionTimeZone(sessionKindOf(meta));
}
