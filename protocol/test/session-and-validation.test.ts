import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  applyTickToStats,
  checkTick,
  decodeStreamPosition,
  encodeStreamPosition,
  initialStats,
  isValidSymbol,
  snapshotOf,
} from '../src/index.js';

const DAY1 = Date.UTC(2026, 0, 5, 15);
const DAY2 = Date.UTC(2026, 0, 6, 15);

describe('session stats', () => {
  it('[P5] open/high/low/volume cover the UTC day of the last tick; prevClose is the previous session\'s last', () => {
    const stats = initialStats(100);
    expect(snapshotOf('X', stats)).toMatchObject({ seq: 0, last: 100, prevClose: 100, change: 0, volume: 0 });
    const t = (seq: number, ts: number, price: number, size: number) => ({ seq, ts, price, size, bid: price - 0.01, ask: price + 0.01 });
    applyTickToStats(stats, t(1, DAY1, 101, 10));
    applyTickToStats(stats, t(2, DAY1 + 1, 99, 5));
    applyTickToStats(stats, t(3, DAY1 + 2, 100.5, 1));
    expect(snapshotOf('X', stats)).toMatchObject({ seq: 3, open: 101, high: 101, low: 99, last: 100.5, volume: 16, prevClose: 100, change: 0.5 });
    applyTickToStats(stats, t(4, DAY2, 102, 7));
    const snap = snapshotOf('X', stats);
    expect(snap).toMatchObject({ seq: 4, open: 102, high: 102, low: 102, volume: 7, prevClose: 100.5 });
    // changePct is rounded to CHANGE_PCT_DECIMALS (4): 1.4925373134… %.
    expect(snap.changePct).toBe(1.4925);
  });
});

describe('tick validation', () => {
  const good = { symbol: 'AMZN', seq: 1, ts: DAY1, price: 223.795, size: 100, bid: 223.79, ask: 223.8 };
  it('[P6] accepts a valid tick, including sub-penny prices and a locked quote', () => {
    expect(checkTick(good)).toBeNull();
    expect(checkTick({ ...good, bid: 10, ask: 10 })).toBeNull();
  });
  it('[P7] rejects each kind of invalid tick with INVALID_TICK', () => {
    const bad = [
      null,
      [],
      { ...good, symbol: 'amzn' },
      { ...good, symbol: 'A'.repeat(21) },
      { ...good, seq: 0 },
      { ...good, seq: 1.5 },
      { ...good, ts: -1 },
      { ...good, price: Number.POSITIVE_INFINITY },
      { ...good, price: 0 },
      { ...good, size: -1 },
      { ...good, bid: 11, ask: 10 },
      { ...good, ask: '10' },
      { ...good, extra: true },
    ];
    for (const tick of bad) expect(checkTick(tick)?.code, JSON.stringify(tick)).toBe(ErrorCode.INVALID_TICK);
  });
  it('[P8] symbol names follow the documented pattern', () => {
    for (const s of ['AAPL', 'BTC-USD', 'BRK.B', 'EUR-USD', 'X1']) expect(isValidSymbol(s)).toBe(true);
    for (const s of ['', 'aapl', '-X', 'A B', 'A/B', 'A'.repeat(21), 5]) expect(isValidSymbol(s)).toBe(false);
  });
});

describe('SSE stream position', () => {
  it('[P9] round-trips per-symbol resume points and skips malformed parts', () => {
    const points = new Map([
      ['AAPL', { epoch: 'e1', seq: 10 }],
      ['BTC-USD', { epoch: 'k_-9', seq: 0 }],
    ]);
    expect(decodeStreamPosition(encodeStreamPosition(points))).toEqual(points);
    expect(decodeStreamPosition('AAPL~e~x bad GOOD~e~3 ~~ lower~e~1')).toEqual(new Map([['GOOD', { epoch: 'e', seq: 3 }]]));
  });
});
