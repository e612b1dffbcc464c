import type { Snapshot } from './schemas.js';
import { CHANGE_PCT_DECIMALS, DEFAULT_FORMAT, roundTo, type NumberFormat } from './decimals.js';
import { sessionStart, type SessionKind } from './market-session.js';

/** Running session statistics of one symbol; the session is the market session of the last tick (P30–P32). */
export interface SessionStats {
  seq: number;
  ts: number;
  last: number;
  bid: number;
  ask: number;
  sessionStart: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  prevClose: number;
}

export function initialStats(refPrice: number): SessionStats {
  return {
    seq: 0,
    ts: 0,
    last: refPrice,
    bid: refPrice,
    ask: refPrice,
    sessionStart: 0,
    open: refPrice,
    high: refPrice,
    low: refPrice,
    volume: 0,
    prevClose: refPrice,
  };
}

/**
 * Applies one tick (already validated) to the stats, in place. The volume is
 * kept at the symbol's size decimals (`format`, see decimals.ts), so it is the
 * exact decimal sum of the sizes. `session` says which market hours the
 * symbol follows (the UTC day without one); a tick whose session opens later
 * than the current one starts a new session (P32).
 */
export function applyTickToStats(
  stats: SessionStats,
  tick: { seq: number; ts: number; price: number; size: number; bid: number; ask: number },
  format: NumberFormat = DEFAULT_FORMAT,
  session: SessionKind = 'utc-day',
): void {
  const day = sessionStart(tick.ts, session);
  if (stats.seq === 0 || day > stats.sessionStart) {
    // A new session: the previous session's last price becomes the reference.
    if (stats.seq !== 0) stats.prevClose = stats.last;
    stats.sessionStart = day;
    stats.open = tick.price;
    stats.high = tick.price;
    stats.low = tick.price;
    stats.volume = 0;
  }
  if (tick.price > stats.high) stats.high = tick.price;
  if (tick.price < stats.low) stats.low = tick.price;
  stats.volume = roundTo(stats.volume + tick.size, format.size);
  stats.seq = tick.seq;
  if (tick.ts > stats.ts) stats.ts = tick.ts;
  stats.last = tick.price;
  stats.bid = tick.bid;
  stats.ask = tick.ask;
}

/** The wire snapshot: `change` at the price decimals of `format`, `changePct` at CHANGE_PCT_DECIMALS. */
export function snapshotOf(symbol: string, stats: SessionStats, format: NumberFormat = DEFAULT_FORMAT): Snapshot {
  const change = roundTo(stats.last - stats.prevClose, format.price);
  return {
    symbol,
    seq: stats.seq,
    ts: stats.ts,
    last: stats.last,
    bid: stats.bid,
    ask: stats.ask,
    open: stats.open,
    high: stats.high,
    low: stats.low,
    volume: stats.volume,
    prevClose: stats.prevClose,
    change,
    changePct: stats.prevClose === 0 ? 0 : roundTo((change / stats.prevClose) * 100, CHANGE_PCT_DECIMALS),
  };
}
