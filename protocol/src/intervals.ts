import { sessionStart, type SessionKind } from './market-session.js';

/** Candle intervals the server aggregates, with their length in milliseconds. */
export const INTERVAL_MS = {
  '1s': 1_000,
  '5s': 5_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
} as const;

export type Interval = keyof typeof INTERVAL_MS;

export const INTERVALS = Object.keys(INTERVAL_MS) as Interval[];

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(INTERVAL_MS, value);
}

/** Start of the UTC bucket of `intervalMs` that contains `ts`. Days start at 00:00 UTC. */
export function bucketStart(ts: number, intervalMs: number): number {
  return Math.floor(ts / intervalMs) * intervalMs;
}

/** Start of the UTC day that contains `ts`. */
export function utcDayStart(ts: number): number {
  return bucketStart(ts, INTERVAL_MS['1d']);
}

/**
 * Start of the candle of `intervalMs` that contains `ts`: UTC-aligned buckets
 * for intraday intervals (P1), the session's opening instant for `1d` (P33).
 */
export function candleStart(ts: number, intervalMs: number, session: SessionKind = 'utc-day'): number {
  return intervalMs === INTERVAL_MS['1d'] ? sessionStart(ts, session) : bucketStart(ts, intervalMs);
}
