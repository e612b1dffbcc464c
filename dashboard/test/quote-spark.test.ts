import { describe, expect, it } from 'vitest';
import type { Snapshot } from '@tickfeed/protocol';
import { QuoteSpark } from '../src/feed/quote-spark.js';
import { QuoteModel } from '../src/lib/quote-model.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5, 14, 0);

function snapshot(seq: number, last: number, ts = T0 + seq * 1_000): Snapshot {
  return { symbol: 'AAPL', seq, ts, last, bid: last - 0.01, ask: last + 0.01, open: 100, high: Math.max(100, last), low: Math.min(100, last), volume: seq * 10, prevClose: 99, change: last - 99, changePct: 0 };
}

describe('watchlist on quotes', () => {
  it('[Q13] a quote replaces the quote store state, flashes on a price change and counts the ticks it covers', () => {
    const model = new QuoteModel('AAPL', snapshot(10, 100));
    expect(model.applyQuote(snapshot(250, 101.5))).toBe(240);
    expect(model.view()).toMatchObject({ seq: 250, last: 101.5, volume: 2_500, dir: 1, flash: 1 });
    expect(model.applyQuote(snapshot(250, 101.5))).toBe(0);
    expect(model.view().flash).toBe(1);
    expect(model.applyQuote(snapshot(260, 100.25))).toBe(10);
    expect(model.view()).toMatchObject({ last: 100.25, dir: -1, flash: 2 });
    // A new epoch: the state starts over, no ticks counted.
    expect(model.applyQuote(snapshot(0, 98))).toBe(0);
    expect(model.view()).toMatchObject({ seq: 0, last: 98 });
  });

  it('[Q13] a sparkline advances from quotes: the newest close of its bucket, a new bucket appended, older and equal quotes ignored, a reset reloads', () => {
    const spark = new QuoteSpark(MINUTE, 3);
    expect(spark.apply(snapshot(1, 100))).toBe(false); // not loaded yet
    spark.load({ seq: 100, candles: [0, 1, 2].map((i) => ({ time: T0 + i * MINUTE, open: 1, high: 1, low: 1, close: 10 + i, volume: 1 })) });
    expect(spark.closes).toEqual([10, 11, 12]);
    expect(spark.apply({ seq: 90, ts: T0 + 2 * MINUTE, last: 50 })).toBe('reload');
    expect(spark.apply({ seq: 100, ts: T0 + 2 * MINUTE, last: 50 })).toBe(false);
    expect(spark.apply({ seq: 140, ts: T0 + 2 * MINUTE + 5, last: 13 })).toBe(true);
    expect(spark.closes).toEqual([10, 11, 13]);
    expect(spark.apply({ seq: 200, ts: T0 + 3 * MINUTE + 5, last: 14 })).toBe(true);
    expect(spark.closes).toEqual([11, 13, 14]);
  });
});
