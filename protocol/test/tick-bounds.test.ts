import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  CandleSchema,
  DeclareRequestSchema,
  ErrorCode,
  SnapshotSchema,
  TICK_LIMITS,
  aggregateTrade,
  applyTickToStats,
  checkTick,
  initialStats,
  isValidPublisherId,
  snapshotOf,
  type Candle,
} from '../src/index.js';

const TS = Date.UTC(2026, 0, 5, 15);
const good = { symbol: 'AAPL', seq: 1, ts: TS, price: 190.5, size: 100, bid: 190.49, ask: 190.51 };
const declaration = { symbol: 'AAPL', name: 'Apple', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 190 };
const declareCheck = TypeCompiler.Compile(DeclareRequestSchema);
const snapshotCheck = TypeCompiler.Compile(SnapshotSchema);
const candleCheck = TypeCompiler.Compile(CandleSchema);

describe('number bounds of published ticks and declarations', () => {
  it('[P20] accepts every field at its bounds', () => {
    const { minPrice, maxPrice, maxSize, maxTs } = TICK_LIMITS;
    expect(checkTick({ ...good, price: minPrice, bid: minPrice, ask: minPrice })).toBeNull();
    expect(checkTick({ ...good, price: maxPrice, bid: maxPrice, ask: maxPrice })).toBeNull();
    expect(checkTick({ ...good, size: 0 })).toBeNull();
    expect(checkTick({ ...good, size: maxSize })).toBeNull();
    expect(checkTick({ ...good, ts: 0 })).toBeNull();
    expect(checkTick({ ...good, ts: maxTs })).toBeNull();
  });

  it('[P20] rejects prices, sizes and timestamps outside the bounds with INVALID_TICK', () => {
    const bad = [
      { ...good, size: 1e308 },
      { ...good, size: TICK_LIMITS.maxSize * 1.000001 },
      { ...good, ts: 1e300 },
      { ...good, ts: TICK_LIMITS.maxTs + 1 },
      { ...good, price: 1e300, ask: 1e300 },
      { ...good, price: TICK_LIMITS.maxPrice * 1.000001, ask: TICK_LIMITS.maxPrice * 1.000001 },
      { ...good, price: 1e-300, bid: 1e-300 },
      { ...good, price: 5e-324, bid: 5e-324 },
      { ...good, bid: 1e-300 },
      { ...good, ask: 1e300 },
      { ...good, price: Number.POSITIVE_INFINITY },
      { ...good, size: Number.NaN },
    ];
    for (const tick of bad) expect(checkTick(tick), JSON.stringify(tick)).toMatchObject({ code: ErrorCode.INVALID_TICK });
  });

  it('[P20] a declaration\'s refPrice and tickSize keep the price bounds', () => {
    expect(declareCheck.Check({ symbols: [declaration] })).toBe(true);
    expect(declareCheck.Check({ symbols: [{ ...declaration, refPrice: TICK_LIMITS.minPrice, tickSize: TICK_LIMITS.maxPrice }] })).toBe(true);
    for (const bad of [
      { refPrice: 1e-300 },
      { refPrice: 1e300 },
      { refPrice: 0 },
      { tickSize: 1e300 },
      { tickSize: 1e-300 },
      { tickSize: 0 },
    ]) {
      expect(declareCheck.Check({ symbols: [{ ...declaration, ...bad }] }), JSON.stringify(bad)).toBe(false);
    }
  });

  it('[P20] at the bounds every aggregate stays finite: session stats, change, changePct, candles', () => {
    const { minPrice, maxPrice, maxSize, maxTs } = TICK_LIMITS;
    const stats = initialStats(minPrice);
    const candles: Candle[] = [];
    for (let seq = 1; seq <= 1_000; seq++) {
      const tick = { seq, ts: seq === 1000 ? maxTs : TS + seq, price: maxPrice, size: maxSize, bid: maxPrice, ask: maxPrice };
      applyTickToStats(stats, tick);
      aggregateTrade(candles, tick.ts, tick.price, tick.size, 86_400_000, 10);
    }
    const snapshot = snapshotOf('AAPL', stats);
    expect(snapshotCheck.Check(snapshot)).toBe(true);
    for (const [key, value] of Object.entries(snapshot)) {
      if (typeof value === 'number') expect(Number.isFinite(value), key).toBe(true);
    }
    // A day's volume of 999 maximal trades, and a gain from the smallest to the largest price.
    expect(snapshot.volume).toBeLessThan(1e16);
    expect(snapshot.changePct).toBeLessThanOrEqual((maxPrice / minPrice) * 100);
    for (const candle of candles) {
      expect(candleCheck.Check(candle)).toBe(true);
      for (const value of Object.values(candle)) expect(Number.isFinite(value)).toBe(true);
    }
  });

  it('[P21] a publisher id is 1 to 64 letters, digits, ".", "_", ":" or "-"', () => {
    for (const id of ['sim-1', 'simulator-3f2a9c1e-1b2c-4d5e-8f90-123456789abc', 'a', 'feed:east.1_x', 'x'.repeat(64)]) {
      expect(isValidPublisherId(id), id).toBe(true);
    }
    for (const id of ['', 'x'.repeat(65), 'a b', 'ä', 'a/b', 42, null, undefined, {}]) {
      expect(isValidPublisherId(id), String(id)).toBe(false);
    }
  });
});
