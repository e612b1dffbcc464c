import { describe, expect, it } from 'vitest';
import { INTERVAL_MS, aggregateTrade, bucketStart, candlesFromTrades, sliceCandles, type Candle } from '../src/index.js';

const T0 = Date.UTC(2026, 2, 8, 6, 59, 58); // across a US DST change: buckets are UTC, unaffected

describe('candle aggregation', () => {
  it('[P1] buckets by UTC start of the interval', () => {
    expect(bucketStart(T0 + 1_500, INTERVAL_MS['1s'])).toBe(T0 + 1_000);
    expect(bucketStart(Date.UTC(2026, 0, 1, 23, 59, 59, 999), INTERVAL_MS['1d'])).toBe(Date.UTC(2026, 0, 1));
    expect(bucketStart(Date.UTC(2026, 0, 1, 10, 7, 30), INTERVAL_MS['5m'])).toBe(Date.UTC(2026, 0, 1, 10, 5));
  });

  it('[P2] folds trades into OHLCV: open first, close last, high/low extremes, volume summed', () => {
    const candles = candlesFromTrades(
      [
        { ts: T0, price: 10, size: 1 },
        { ts: T0 + 200, price: 12, size: 2 },
        { ts: T0 + 400, price: 9, size: 3 },
        { ts: T0 + 900, price: 11, size: 4 },
        { ts: T0 + 1_000, price: 11.5, size: 5 },
        { ts: T0 + 5_000, price: 13, size: 6 },
      ],
      1_000,
    );
    expect(candles).toEqual([
      { time: T0, open: 10, high: 12, low: 9, close: 11, volume: 10 },
      { time: T0 + 1_000, open: 11.5, high: 11.5, low: 11.5, close: 11.5, volume: 5 },
      { time: T0 + 5_000, open: 13, high: 13, low: 13, close: 13, volume: 6 },
    ]);
  });

  it('[P3] a late trade updates its own bucket (not its close) when held, and is ignored when not', () => {
    const candles: Candle[] = [];
    aggregateTrade(candles, T0, 10, 1, 1_000, 2);
    aggregateTrade(candles, T0 + 1_000, 11, 1, 1_000, 2);
    expect(aggregateTrade(candles, T0 + 10, 20, 5, 1_000, 2)).toMatchObject({ time: T0, high: 20, close: 10, volume: 6 });
    aggregateTrade(candles, T0 + 2_000, 12, 1, 1_000, 2);
    expect(candles.map((c) => c.time)).toEqual([T0 + 1_000, T0 + 2_000]);
    expect(aggregateTrade(candles, T0 + 10, 30, 1, 1_000, 2)).toBeUndefined();
  });

  it('[P4] sliceCandles returns the newest `limit` candles before a time, as copies', () => {
    const candles = candlesFromTrades([0, 1, 2, 3, 4].map((i) => ({ ts: T0 + i * 1_000, price: 10 + i, size: 1 })), 1_000);
    const page = sliceCandles(candles, 2, candles[3]!.time);
    expect(page.map((c) => c.open)).toEqual([11, 12]);
    page[0]!.open = -1;
    expect(candles[1]!.open).toBe(11);
    expect(sliceCandles(candles, 10).length).toBe(5);
  });
});
