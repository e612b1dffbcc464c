import { isValidSymbol, type Interval } from '@tickfeed/protocol';
import type { ZoneChoice } from './time-zone.js';

/** Intervals the chart offers. */
export const CHART_INTERVALS = ['1s', '5s', '1m', '5m', '15m', '1h', '1d'] as const satisfies readonly Interval[];
export type ChartInterval = (typeof CHART_INTERVALS)[number];

/** What survives a reload (localStorage) and can be shared (URL). */
export interface Prefs {
  /** null: never chosen; the app fills in a default watchlist from the universe. */
  readonly watchlist: string[] | null;
  readonly selected: string | null;
  readonly interval: ChartInterval;
  readonly zone: ZoneChoice;
}

export const DEFAULT_PREFS: Prefs = { watchlist: null, selected: null, interval: '1m', zone: 'local' };
export const PREFS_STORAGE_KEY = 'tickfeed.prefs.v1';
/** Watchlist length the dashboard keeps at most (the server's per-connection cap is 200). */
export const MAX_WATCHLIST = 200;

/**
 * Reads preferences: URL parameters win over the stored ones, which win over
 * the defaults. Anything malformed is ignored field by field, never thrown.
 * URL: ?symbols=AAPL,MSFT&symbol=AAPL&interval=5m&tz=utc
 */
export function readPrefs(search: string, stored: string | null): Prefs {
  const fromStorage = parseStored(stored);
  const params = new URLSearchParams(search);
  const urlSymbols = params.get('symbols');
  const watchlist = urlSymbols !== null ? cleanSymbols(urlSymbols.split(',')) : fromStorage.watchlist;
  const selectedRaw = params.get('symbol') ?? fromStorage.selected;
  const selected = selectedRaw !== null && isValidSymbol(selectedRaw.toUpperCase()) ? selectedRaw.toUpperCase() : null;
  const intervalRaw = params.get('interval');
  const interval = isChartInterval(intervalRaw) ? intervalRaw : fromStorage.interval;
  const zoneRaw = params.get('tz');
  const zone = isZoneChoice(zoneRaw) ? zoneRaw : fromStorage.zone;
  return { watchlist, selected: selected ?? watchlist?.[0] ?? null, interval, zone };
}

export function serializePrefs(prefs: Prefs): string {
  return JSON.stringify(prefs);
}

/** The query string that reproduces `prefs` (without '?'). */
export function prefsToSearch(prefs: Prefs): string {
  const params = new URLSearchParams();
  if (prefs.watchlist !== null) params.set('symbols', prefs.watchlist.join(','));
  if (prefs.selected !== null) params.set('symbol', prefs.selected);
  params.set('interval', prefs.interval);
  params.set('tz', prefs.zone);
  // Keep commas readable in shared links.
  return params.toString().replace(/%2C/g, ',');
}

export function isChartInterval(value: unknown): value is ChartInterval {
  return typeof value === 'string' && (CHART_INTERVALS as readonly string[]).includes(value);
}

export function isZoneChoice(value: unknown): value is ZoneChoice {
  return value === 'utc' || value === 'local' || value === 'exchange';
}

/** Whether the zone was given (URL `tz` or stored): without, replays default to the exchange's zone. */
export function zoneGiven(search: string, stored: string | null): boolean {
  if (isZoneChoice(new URLSearchParams(search).get('tz'))) return true;
  try {
    const raw: unknown = stored === null ? null : JSON.parse(stored);
    return typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).zoneChosen === true;
  } catch {
    return false;
  }
}

function parseStored(stored: string | null): Prefs {
  if (stored === null) return DEFAULT_PREFS;
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return DEFAULT_PREFS;
  }
  if (typeof raw !== 'object' || raw === null) return DEFAULT_PREFS;
  const r = raw as Record<string, unknown>;
  return {
    watchlist: Array.isArray(r.watchlist) ? cleanSymbols(r.watchlist) : null,
    selected: typeof r.selected === 'string' && isValidSymbol(r.selected) ? r.selected : null,
    interval: isChartInterval(r.interval) ? r.interval : DEFAULT_PREFS.interval,
    zone: isZoneChoice(r.zone) ? r.zone : 'local',
  };
}

function cleanSymbols(values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const symbol = value.trim().toUpperCase();
    if (isValidSymbol(symbol) && !out.includes(symbol)) out.push(symbol);
    if (out.length >= MAX_WATCHLIST) break;
  }
  return out;
}
