import type { AssetKind, SessionKind } from './schemas.js';
import { UTC_ZONE, zoneOffsetMs, zonedWallToUtc } from './time-zone.js';

/*
 * Trading sessions by asset class (SPEC P30–P35). A session is identified by
 * its opening instant; every instant belongs to exactly one session: the one
 * whose close is the first close after it. So ticks after a close (after
 * hours, a weekend) count toward the next session, and a session's last
 * price before its close is the next session's prevClose.
 */

// The session kinds are part of the contract (SessionKindSchema in schemas.ts); this module holds
// no schema, so the browser code that computes sessions does not pull in TypeBox.
export type { SessionKind };

/** One session: ticks in [from, close) belong to it; the market is open in [open, close). */
export interface MarketSession {
  /** The previous session's close: the first instant counted toward this session. */
  from: number;
  /** Opening instant: the session's id, the `1d` candle's time and the stats' sessionStart. */
  open: number;
  /** Closing instant (exclusive). */
  close: number;
}

interface SessionRule {
  timeZone: string;
  /** Wall-clock time of the open, ms after midnight of the trade date (negative: the evening before). */
  openWallMs: number;
  /** Wall-clock time of the close, ms after midnight of the trade date. */
  closeWallMs: number;
  /** Whether a trade date (days since 1970-01-01) has a session. */
  trades: (day: number) => boolean;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 1970-01-01 was a Thursday; 0 = Sunday. */
const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7;
const weekdaysOnly = (day: number): boolean => {
  const d = weekday(day);
  return d !== 0 && d !== 6;
};

const RULES: Record<SessionKind, SessionRule> = {
  'us-equity': { timeZone: 'America/New_York', openWallMs: 9.5 * HOUR_MS, closeWallMs: 16 * HOUR_MS, trades: weekdaysOnly },
  'utc-day': { timeZone: UTC_ZONE, openWallMs: 0, closeWallMs: DAY_MS, trades: () => true },
  fx: { timeZone: 'America/New_York', openWallMs: -7 * HOUR_MS, closeWallMs: 17 * HOUR_MS, trades: weekdaysOnly },
};

const DEFAULT_SESSION: Record<AssetKind, SessionKind> = { equity: 'us-equity', crypto: 'utc-day', fx: 'fx' };

/** The session a symbol follows: its declared `session`, else its kind's (equity: us-equity, crypto: utc-day, fx: fx). */
export function sessionKindOf(meta: { kind: AssetKind; session?: SessionKind | undefined }): SessionKind {
  return meta.session ?? DEFAULT_SESSION[meta.kind];
}

/** The exchange's time zone of a session kind (IANA name). */
export function sessionTimeZone(kind: SessionKind): string {
  return RULES[kind].timeZone;
}

/** The last session computed per kind: ticks arrive in time order, so almost every call is a hit. */
const memo = new Map<SessionKind, MarketSession>();

/** The session that `ts` (epoch ms) belongs to (P31): the one whose close is the first after `ts`. */
export function sessionOf(ts: number, kind: SessionKind): MarketSession {
  const hit = memo.get(kind);
  if (hit !== undefined && ts >= hit.from && ts < hit.close) return hit;
  const session = computeSession(ts, RULES[kind]);
  memo.set(kind, session);
  return session;
}

/** Whether the market of `kind` is open at `ts` (P30): inside [open, close) of its session. */
export function isMarketOpen(ts: number, kind: SessionKind): boolean {
  const session = sessionOf(ts, kind);
  return ts >= session.open;
}

/** Opening instant of the session `ts` belongs to: the `1d` bucket and sessionStart (P32, P33). */
export function sessionStart(ts: number, kind: SessionKind): number {
  return sessionOf(ts, kind).open;
}

function computeSession(ts: number, rule: SessionRule): MarketSession {
  const closeOf = (day: number): number => zonedWallToUtc(day * DAY_MS + rule.closeWallMs, rule.timeZone);
  // The trade date whose wall-clock date contains ts, then forward to the first close after ts.
  let day = Math.floor((ts + zoneOffsetMs(ts, rule.timeZone)) / DAY_MS);
  // A session closing at the end of its wall day (utc-day) or earlier: start one day back to be safe.
  day -= 1;
  while (!rule.trades(day) || closeOf(day) <= ts) day += 1;
  let previous = day - 1;
  while (!rule.trades(previous)) previous -= 1;
  return {
    from: closeOf(previous),
    open: zonedWallToUtc(day * DAY_MS + rule.openWallMs, rule.timeZone),
    close: closeOf(day),
  };
}
