import { describe, expect, it } from 'vitest';
import {
  INTERVAL_MS,
  applyTickToStats,
  candleStart,
  candlesFromTrades,
  initialStats,
  isMarketOpen,
  sessionKindOf,
  sessionOf,
  snapshotOf,
  zoneOffsetMs,
  zonedWallToUtc,
  type SessionKind,
} from '../src/index.js';

const at = (iso: string): number => Date.parse(iso);
const window = (ts: number, kind: SessionKind) => {
  const s = sessionOf(ts, kind);
  return { from: new Date(s.from).toISOString(), open: new Date(s.open).toISOString(), close: new Date(s.close).toISOString() };
};

describe('zone offsets', () => {
  it('[P30] New York is UTC−5 in winter and UTC−4 in summer; wall times map back to instants', () => {
    expect(zoneOffsetMs(at('2026-01-05T12:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(at('2026-07-06T12:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT falls back to 01:00 EST (06:00Z).
    expect(zoneOffsetMs(at('2026-03-08T06:59:59Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(at('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(at('2026-11-01T05:59:59Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(at('2026-11-01T06:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zonedWallToUtc(Date.UTC(2026, 2, 9, 9, 30), 'America/New_York')).toBe(at('2026-03-09T13:30:00Z'));
    expect(zonedWallToUtc(Date.UTC(2026, 2, 6, 9, 30), 'America/New_York')).toBe(at('2026-03-06T14:30:00Z'));
    expect(zonedWallToUtc(Date.UTC(2026, 0, 5, 9, 30), 'UTC')).toBe(Date.UTC(2026, 0, 5, 9, 30));
  });
});

describe('market sessions', () => {
  it('[P30] the session follows the declared `session`, else the kind', () => {
    expect(sessionKindOf({ kind: 'equity' })).toBe('us-equity');
    expect(sessionKindOf({ kind: 'crypto' })).toBe('utc-day');
    expect(sessionKindOf({ kind: 'fx' })).toBe('fx');
    expect(sessionKindOf({ kind: 'equity', session: 'utc-day' })).toBe('utc-day');
  });

  it('[P30] US equities: 09:30–16:00 New York on weekdays, open only inside', () => {
    // Monday 2026-01-05 (EST): 14:30Z–21:00Z; the previous close is Friday's.
    expect(window(at('2026-01-05T14:30:00Z'), 'us-equity')).toEqual({
      from: '2026-01-02T21:00:00.000Z', open: '2026-01-05T14:30:00.000Z', close: '2026-01-05T21:00:00.000Z',
    });
    expect(isMarketOpen(at('2026-01-05T14:29:59.999Z'), 'us-equity')).toBe(false);
    expect(isMarketOpen(at('2026-01-05T14:30:00Z'), 'us-equity')).toBe(true);
    expect(isMarketOpen(at('2026-01-05T20:59:59.999Z'), 'us-equity')).toBe(true);
    expect(isMarketOpen(at('2026-01-05T21:00:00Z'), 'us-equity')).toBe(false);
    expect(isMarketOpen(at('2026-01-10T16:00:00Z'), 'us-equity')).toBe(false); // Saturday
  });

  it('[P31] pre-market trades belong to that day\'s session, after-hours and weekend trades to the next', () => {
    expect(window(at('2026-01-05T12:00:00Z'), 'us-equity').open).toBe('2026-01-05T14:30:00.000Z'); // 07:00 NY
    expect(window(at('2026-01-05T21:00:00Z'), 'us-equity').open).toBe('2026-01-06T14:30:00.000Z'); // 16:00 NY: the close belongs to the next
    expect(window(at('2026-01-06T03:00:00Z'), 'us-equity').open).toBe('2026-01-06T14:30:00.000Z'); // 22:00 NY
    // Friday after hours, Saturday and Sunday: Monday's session, which starts counting at Friday's close.
    for (const ts of ['2026-01-09T21:30:00Z', '2026-01-10T12:00:00Z', '2026-01-11T23:00:00Z']) {
      expect(window(at(ts), 'us-equity')).toEqual({
        from: '2026-01-09T21:00:00.000Z', open: '2026-01-12T14:30:00.000Z', close: '2026-01-12T21:00:00.000Z',
      });
    }
  });

  it('[P30] US equities across the spring-forward (2026-03-08): 14:30Z/21:00Z before, 13:30Z/20:00Z after', () => {
    expect(window(at('2026-03-06T15:00:00Z'), 'us-equity')).toEqual({
      from: '2026-03-05T21:00:00.000Z', open: '2026-03-06T14:30:00.000Z', close: '2026-03-06T21:00:00.000Z',
    });
    expect(window(at('2026-03-08T12:00:00Z'), 'us-equity')).toEqual({
      from: '2026-03-06T21:00:00.000Z', open: '2026-03-09T13:30:00.000Z', close: '2026-03-09T20:00:00.000Z',
    });
    expect(isMarketOpen(at('2026-03-09T13:30:00Z'), 'us-equity')).toBe(true);
    expect(isMarketOpen(at('2026-03-09T13:29:59.999Z'), 'us-equity')).toBe(false);
    expect(window(at('2026-03-09T20:00:00Z'), 'us-equity').open).toBe('2026-03-10T13:30:00.000Z');
  });

  it('[P30] US equities across the fall-back (2026-11-01): 13:30Z/20:00Z before, 14:30Z/21:00Z after', () => {
    expect(window(at('2026-10-30T19:59:59Z'), 'us-equity')).toEqual({
      from: '2026-10-29T20:00:00.000Z', open: '2026-10-30T13:30:00.000Z', close: '2026-10-30T20:00:00.000Z',
    });
    expect(window(at('2026-11-01T06:30:00Z'), 'us-equity')).toEqual({
      from: '2026-10-30T20:00:00.000Z', open: '2026-11-02T14:30:00.000Z', close: '2026-11-02T21:00:00.000Z',
    });
    expect(isMarketOpen(at('2026-11-02T13:30:00Z'), 'us-equity')).toBe(false);
    expect(isMarketOpen(at('2026-11-02T14:30:00Z'), 'us-equity')).toBe(true);
  });

  it('[P30] crypto: every day from 00:00 UTC, always open', () => {
    expect(window(at('2026-01-10T12:00:00Z'), 'utc-day')).toEqual({
      from: '2026-01-10T00:00:00.000Z', open: '2026-01-10T00:00:00.000Z', close: '2026-01-11T00:00:00.000Z',
    });
    expect(window(at('2026-03-08T23:59:59.999Z'), 'utc-day').open).toBe('2026-03-08T00:00:00.000Z');
    expect(isMarketOpen(at('2026-01-11T03:00:00Z'), 'utc-day')).toBe(true);
  });

  it('[P30] FX: 24/5, each trade date runs 17:00–17:00 New York; the week opens Sunday 17:00 and closes Friday 17:00', () => {
    // Monday 2026-01-05: Sunday 22:00Z to Monday 22:00Z; Tuesday follows without a gap.
    expect(window(at('2026-01-05T10:00:00Z'), 'fx')).toEqual({
      from: '2026-01-02T22:00:00.000Z', open: '2026-01-04T22:00:00.000Z', close: '2026-01-05T22:00:00.000Z',
    });
    expect(window(at('2026-01-05T22:00:00Z'), 'fx')).toEqual({
      from: '2026-01-05T22:00:00.000Z', open: '2026-01-05T22:00:00.000Z', close: '2026-01-06T22:00:00.000Z',
    });
    expect(isMarketOpen(at('2026-01-09T21:59:59.999Z'), 'fx')).toBe(true);
    expect(isMarketOpen(at('2026-01-09T22:00:00Z'), 'fx')).toBe(false);
    expect(isMarketOpen(at('2026-01-10T12:00:00Z'), 'fx')).toBe(false);
    expect(isMarketOpen(at('2026-01-11T21:59:59.999Z'), 'fx')).toBe(false);
    expect(isMarketOpen(at('2026-01-11T22:00:00Z'), 'fx')).toBe(true);
    expect(window(at('2026-01-10T12:00:00Z'), 'fx').open).toBe('2026-01-11T22:00:00.000Z');
  });

  it('[P30] FX across both daylight-saving changes: the roll stays at 17:00 New York', () => {
    // Spring: Friday 03-06 closes 22:00Z (EST); the week opens Sunday 03-08 17:00 EDT = 21:00Z.
    expect(window(at('2026-03-07T12:00:00Z'), 'fx')).toEqual({
      from: '2026-03-06T22:00:00.000Z', open: '2026-03-08T21:00:00.000Z', close: '2026-03-09T21:00:00.000Z',
    });
    // Fall: Friday 10-30 closes 21:00Z (EDT); the week opens Sunday 11-01 17:00 EST = 22:00Z.
    expect(window(at('2026-10-31T12:00:00Z'), 'fx')).toEqual({
      from: '2026-10-30T21:00:00.000Z', open: '2026-11-01T22:00:00.000Z', close: '2026-11-02T22:00:00.000Z',
    });
  });

  it('[P31] every instant lies in [from, close) of its session, and sessions tile time (any order of calls)', () => {
    const kinds: SessionKind[] = ['us-equity', 'utc-day', 'fx'];
    for (const kind of kinds) {
      let ts = at('2026-02-27T00:00:00Z');
      const end = at('2026-03-20T00:00:00Z');
      let previous = sessionOf(ts, kind);
      while (ts < end) {
        const s = sessionOf(ts, kind);
        expect(ts >= s.from && ts < s.close && s.from <= s.open && s.open < s.close).toBe(true);
        if (s.open !== previous.open) expect(s.from).toBe(previous.close);
        expect(sessionOf(ts - 7 * 86_400_000, kind).close <= s.from).toBe(true); // out of order: no stale memo
        previous = s;
        ts += 17 * 60_000;
      }
    }
  });
});

describe('session stats and daily candles', () => {
  const tick = (seq: number, iso: string, price: number, size = 1) => ({ seq, ts: at(iso), price, size, bid: price, ask: price });

  it('[P32] US equities: prevClose is the previous session\'s last regular trade; after-hours starts the next session', () => {
    const stats = initialStats(100);
    const apply = (seq: number, iso: string, price: number) => applyTickToStats(stats, tick(seq, iso, price), undefined, 'us-equity');
    apply(1, '2026-01-05T14:30:00Z', 101); // Monday 09:30 NY
    apply(2, '2026-01-05T20:59:00Z', 103); // 15:59 NY
    // 21:30Z is 16:30 NY Monday, but 01:00Z Tuesday is still Monday evening in New York: both after hours.
    apply(3, '2026-01-05T21:30:00Z', 104);
    expect(snapshotOf('X', stats)).toMatchObject({ open: 104, high: 104, low: 104, volume: 1, prevClose: 103, change: 1 });
    apply(4, '2026-01-06T01:00:00Z', 105);
    apply(5, '2026-01-06T15:00:00Z', 102);
    expect(snapshotOf('X', stats)).toMatchObject({ open: 104, high: 105, low: 102, volume: 3, prevClose: 103, change: -1 });
    expect(stats.sessionStart).toBe(at('2026-01-06T14:30:00Z'));
  });

  it('[P32] a UTC midnight inside New York hours does not start an equity session; a weekend does not reset prevClose twice', () => {
    const stats = initialStats(50);
    const apply = (seq: number, iso: string, price: number) => applyTickToStats(stats, tick(seq, iso, price), undefined, 'us-equity');
    // Summer: 16:00 NY is 20:00Z, so 19:59Z and 20:00Z straddle the close; UTC midnight is 20:00 NY.
    apply(1, '2026-07-10T19:59:00Z', 60); // Friday
    apply(2, '2026-07-11T00:30:00Z', 61); // Friday evening NY, Saturday UTC
    apply(3, '2026-07-12T18:00:00Z', 62); // Sunday
    apply(4, '2026-07-13T13:30:00Z', 63); // Monday open
    expect(snapshotOf('X', stats)).toMatchObject({ open: 61, high: 63, low: 61, prevClose: 60, change: 3 });
  });

  it('[P32] crypto keeps the UTC day; FX rolls at 17:00 New York', () => {
    const btc = initialStats(100);
    applyTickToStats(btc, tick(1, '2026-01-05T23:59:59Z', 101), undefined, 'utc-day');
    applyTickToStats(btc, tick(2, '2026-01-06T00:00:00Z', 102), undefined, 'utc-day');
    expect(snapshotOf('BTC', btc)).toMatchObject({ open: 102, prevClose: 101 });
    const eur = initialStats(1.1);
    applyTickToStats(eur, tick(1, '2026-01-05T21:59:59Z', 1.1), undefined, 'fx');
    applyTickToStats(eur, tick(2, '2026-01-05T23:59:59Z', 1.2), undefined, 'fx');
    expect(snapshotOf('EUR', eur)).toMatchObject({ open: 1.2, prevClose: 1.1 });
    applyTickToStats(eur, tick(3, '2026-01-06T00:00:00Z', 1.3), undefined, 'fx'); // UTC midnight: same FX day
    expect(snapshotOf('EUR', eur)).toMatchObject({ open: 1.2, high: 1.3, prevClose: 1.1 });
  });

  it('[P33] the 1d candle is the session, timed at its open; intraday candles stay UTC buckets', () => {
    const trades = [
      { ts: at('2026-03-06T12:00:00Z'), price: 10, size: 1 }, // Friday pre-market (EST)
      { ts: at('2026-03-06T20:59:00Z'), price: 11, size: 2 }, // Friday 15:59
      { ts: at('2026-03-06T21:10:00Z'), price: 12, size: 3 }, // Friday after hours: Monday's session
      { ts: at('2026-03-09T13:30:00Z'), price: 13, size: 4 }, // Monday open (EDT)
    ];
    expect(candlesFromTrades(trades, INTERVAL_MS['1d'], 0, 'us-equity')).toEqual([
      { time: at('2026-03-06T14:30:00Z'), open: 10, high: 11, low: 10, close: 11, volume: 3 },
      { time: at('2026-03-09T13:30:00Z'), open: 12, high: 13, low: 12, close: 13, volume: 7 },
    ]);
    expect(candlesFromTrades(trades, INTERVAL_MS['1d'], 0, 'fx').map((c) => c.time)).toEqual([
      at('2026-03-05T22:00:00Z'), at('2026-03-08T21:00:00Z'),
    ]);
    expect(candlesFromTrades(trades, INTERVAL_MS['1d'], 0).map((c) => c.time)).toEqual([at('2026-03-06T00:00:00Z'), at('2026-03-09T00:00:00Z')]);
    expect(candleStart(at('2026-03-06T21:10:00Z'), INTERVAL_MS['1h'], 'us-equity')).toBe(at('2026-03-06T21:00:00Z'));
  });
});
