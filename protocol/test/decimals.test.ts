import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANGE_PCT_DECIMALS,
  DEFAULT_SIZE_DECIMALS,
  INTERVAL_MS,
  aggregateTrade,
  applyTickToStats,
  candlesFromTrades,
  decimalsOf,
  formatOf,
  initialStats,
  roundDeclaration,
  roundTick,
  roundTo,
  snapshotOf,
  type Candle,
} from '../src/index.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30);

/** Decimal places of a number's JSON text (its wire form; 1e-7 has 7). */
function textDecimals(x: number): number {
  const text = JSON.stringify(x);
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (match === null) throw new Error(`not a number on the wire: ${text}`);
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/** A lot or tick step m·10^-d, written the way a universe file writes it. */
const step = fc.record({ m: fc.constantFrom(1, 5, 25), d: fc.integer({ min: 0, max: 8 }) }).map(({ m, d }) => Number((m / 10 ** d).toPrecision(12)));

describe('decimals', () => {
  it('[P11] a step\'s decimals come from its shortest text, exponent form included', () => {
    expect([0.01, 0.25, 1, 10, 0.0001, 1e-8, 5e-7, 1.5e-7, 0.1].map(decimalsOf)).toEqual([2, 2, 0, 0, 4, 8, 7, 8, 1]);
    expect(formatOf({ tickSize: 0.01 })).toMatchObject({ price: 2, size: DEFAULT_SIZE_DECIMALS });
    expect(formatOf({ tickSize: 0.5, lotSize: 0.0001 })).toMatchObject({ price: 1, size: 4 });
  });

  it('[P11] roundTo removes float noise: k·10^-d computed any way comes out as the decimal k·10^-d', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), (k, d, parts) => {
        // The value summed from `parts` floating-point pieces, as a running total would be.
        let x = 0;
        const piece = k / parts;
        for (let i = 0; i < parts; i++) x += piece / 10 ** d;
        const rounded = roundTo(x, d);
        expect(textDecimals(rounded)).toBeLessThanOrEqual(d);
        expect(rounded).toBe(Number(`${k}e-${d}`));
      }),
    );
  });

  it('[P12] the session volume of many lot-sized sizes is their exact decimal sum, with at most the lot\'s decimals', () => {
    fc.assert(
      fc.property(step, fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 400 }), (lotSize, lots) => {
        const format = formatOf({ tickSize: 0.01, lotSize });
        const units = Math.round(lotSize * 10 ** format.size);
        const stats = initialStats(100);
        const candles: Candle[] = [];
        lots.forEach((n, i) => {
          const size = n * lotSize; // as a publisher computes it, noise included
          const tick = { seq: i + 1, ts: T0 + i * 1_000, price: 100, size, bid: 100, ask: 100 };
          applyTickToStats(stats, tick, format);
          aggregateTrade(candles, tick.ts, tick.price, tick.size, INTERVAL_MS['1h'], 100, format.size);
        });
        const exact = (lots.reduce((s, n) => s + n, 0) * units) / 10 ** format.size;
        const snap = snapshotOf('X', stats, format);
        expect(textDecimals(snap.volume)).toBeLessThanOrEqual(format.size);
        expect(snap.volume).toBe(exact);
        for (const c of candles) expect(textDecimals(c.volume)).toBeLessThanOrEqual(format.size);
        const fromTrades = candlesFromTrades(
          lots.map((n, i) => ({ ts: T0 + i * 1_000, price: 100, size: n * lotSize })),
          INTERVAL_MS['1m'],
          format.size,
        );
        for (const c of fromTrades) expect(textDecimals(c.volume)).toBeLessThanOrEqual(format.size);
      }),
    );
  });

  it('[P12] change has the tick size\'s decimals and is exactly last − prevClose; changePct has CHANGE_PCT_DECIMALS', () => {
    fc.assert(
      fc.property(step, fc.integer({ min: 10, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (tickSize, prevK, lastK) => {
        const format = formatOf({ tickSize });
        const units = Math.round(tickSize * 10 ** format.price);
        const prevClose = roundTo(prevK * tickSize, format.price);
        const last = lastK * tickSize; // noisy, as computed
        const stats = initialStats(prevClose);
        applyTickToStats(stats, { seq: 1, ts: T0, price: roundTo(last, format.price), size: 1, bid: roundTo(last, format.price), ask: roundTo(last, format.price) }, format);
        const snap = snapshotOf('X', stats, format);
        expect(textDecimals(snap.change)).toBeLessThanOrEqual(format.price);
        expect(snap.change).toBe(((lastK - prevK) * units) / 10 ** format.price);
        expect(textDecimals(snap.changePct)).toBeLessThanOrEqual(CHANGE_PCT_DECIMALS);
        expect(Math.abs(snap.changePct - ((lastK - prevK) / prevK) * 100)).toBeLessThanOrEqual(0.5 * 10 ** -CHANGE_PCT_DECIMALS + 1e-9);
      }),
    );
  });

  it('[P12] the issue\'s figures: BTC-USD volume 0.1216, AAPL change 0.01', () => {
    const btc = formatOf({ tickSize: 0.01, lotSize: 0.0001 });
    const stats = initialStats(50_000);
    const sizes = [0.0312, 0.0001, 0.0457, 0.0003, 0.0443];
    sizes.forEach((size, i) => applyTickToStats(stats, { seq: i + 1, ts: T0 + i, price: 50_000, size, bid: 50_000, ask: 50_000 }, btc));
    expect(JSON.stringify(snapshotOf('BTC-USD', stats, btc).volume)).toBe('0.1216');
    const aapl = initialStats(190);
    applyTickToStats(aapl, { seq: 1, ts: T0, price: 190.01, size: 10, bid: 190, ask: 190.01 }, formatOf({ tickSize: 0.01 }));
    expect(190.01 - 190).toBe(0.009999999999990905);
    expect(JSON.stringify(snapshotOf('AAPL', aapl, formatOf({ tickSize: 0.01 })).change)).toBe('0.01');
  });

  it('[P13] roundTick puts price, bid, ask and size at the symbol\'s decimals, keeps bid ≤ ask, and refuses a price or size off its grid', () => {
    fc.assert(
      fc.property(step, step, fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1e6 }), (tickSize, lotSize, k, spread, lots) => {
        const format = formatOf({ tickSize, lotSize });
        const bid = k * tickSize;
        const ask = (k + spread) * tickSize;
        const result = roundTick({ symbol: 'X', seq: 1, ts: T0, price: ask, size: lots * lotSize, bid, ask }, format);
        if (!result.ok) throw new Error(result.message);
        const tick = result.tick;
        for (const v of [tick.price, tick.bid, tick.ask]) expect(textDecimals(v)).toBeLessThanOrEqual(format.price);
        expect(textDecimals(tick.size)).toBeLessThanOrEqual(format.size);
        expect(tick.bid).toBeLessThanOrEqual(tick.ask);
      }),
    );
    expect(roundTick({ symbol: 'X', seq: 1, ts: T0, price: 0.004, size: 1, bid: 0.004, ask: 0.004 }, formatOf({ tickSize: 0.01 })).ok).toBe(false);
    // Off the grid is refused, never moved: 223.795 at a 0.01 tick, a quarter tick of 0.25, a size off its lot.
    expect(roundTick({ symbol: 'X', seq: 1, ts: T0, price: 223.795, size: 1, bid: 223.79, ask: 223.8 }, formatOf({ tickSize: 0.01 }))).toMatchObject({ ok: false, message: expect.stringContaining('price 223.795') });
    expect(roundTick({ symbol: 'X', seq: 1, ts: T0, price: 100.1, size: 1, bid: 100, ask: 100.25 }, formatOf({ tickSize: 0.25 }))).toMatchObject({ ok: false });
    expect(roundTick({ symbol: 'X', seq: 1, ts: T0, price: 100.5, size: 15, bid: 100.5, ask: 100.75 }, formatOf({ tickSize: 0.25, lotSize: 10 }))).toMatchObject({ ok: false, message: expect.stringContaining('lot size') });
    expect(roundTick({ symbol: 'X', seq: 1, ts: T0, price: 100.5, size: 20, bid: 100.5, ask: 100.75 }, formatOf({ tickSize: 0.25, lotSize: 10 }))).toMatchObject({ ok: true });
    expect(roundDeclaration({ symbol: 'X', name: 'X', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 190.00000000000003 }).refPrice).toBe(190);
  });
});
