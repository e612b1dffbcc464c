import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aggregateTrade, candlesFromTrades, type Candle } from '@tickfeed/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { bollinger } from '../src/lib/indicators/bollinger.js';
import { ema, sma } from '../src/lib/indicators/moving-average.js';
import { macd, rsi } from '../src/lib/indicators/oscillators.js';
import { computeAll, IncrementalSeries, type IndicatorStep } from '../src/lib/indicators/step.js';
import { histogramShade, MACD_SHADES } from '../src/lib/indicators/catalog.js';
import { daySession, vwap } from '../src/lib/indicators/vwap.js';
import { zoneOffsetMs } from '../src/lib/time-zone.js';
import { refBollinger, refEmaOf, refMacd, refRsi, refSma, refVwap } from './support/indicator-reference.js';

/*
 * The chart's indicators against a reference written out plainly (each value
 * recomputed from scratch by its textbook definition) on a real tape: AMZN,
 * 2012-06-21, as 1-minute candles built by the protocol's candlesFromTrades.
 * Rules D90–D91.
 */

const TAPE = fileURLToPath(new URL('../../../shared/data/AMZN-2012-06-21-trades.csv', import.meta.url));
const MINUTE = 60_000;

interface Trade {
  ts: number;
  price: number;
  size: number;
}

let trades: Trade[] = [];
let candles: Candle[] = [];

beforeAll(() => {
  if (!existsSync(TAPE)) {
    throw new Error(`The indicator tests need the AMZN tape at ${TAPE} (the shared data folder, ../shared/data from the repository root); it is missing.`);
  }
  const lines = readFileSync(TAPE, 'utf8').trim().split('\n').slice(1);
  trades = lines.map((line) => {
    const [ts, price, size] = line.split(',');
    return { ts: Date.parse(ts!), price: Number(price), size: Number(size) };
  });
  candles = candlesFromTrades(trades, MINUTE);
});

// ---- comparison

function close(actual: unknown, expected: unknown, where: string): void {
  if (expected === null || actual === null) {
    expect(actual, where).toBe(expected);
    return;
  }
  if (typeof expected === 'number') {
    expect(Math.abs((actual as number) - expected), `${where}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  for (const key of Object.keys(expected as object)) close((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${where}.${key}`);
}

function expectSeries(actual: readonly unknown[], expected: readonly unknown[], name: string): void {
  expect(actual.length, `${name}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i], `${name}[${i}]`);
}

const NY = (t: number) => Math.floor((t + zoneOffsetMs(t, 'America/New_York')) / 86_400_000);

interface Case {
  name: string;
  indicator: IndicatorStep<unknown, unknown>;
  reference: (bars: readonly Candle[]) => readonly unknown[];
}

const CASES: Case[] = [
  { name: 'SMA 20', indicator: sma(20) as IndicatorStep<unknown, unknown>, reference: (b) => refSma(b, 20) },
  { name: 'EMA 50', indicator: ema(50) as IndicatorStep<unknown, unknown>, reference: (b) => refEmaOf(b.map((c) => c.close), 50) },
  { name: 'Bollinger 20 2', indicator: bollinger(20, 2) as IndicatorStep<unknown, unknown>, reference: (b) => refBollinger(b, 20, 2) },
  { name: 'VWAP (New York session)', indicator: vwap(daySession((t) => zoneOffsetMs(t, 'America/New_York'))) as IndicatorStep<unknown, unknown>, reference: (b) => refVwap(b, NY) },
  { name: 'RSI 14', indicator: rsi(14) as IndicatorStep<unknown, unknown>, reference: (b) => refRsi(b, 14) },
  { name: 'MACD 12 26 9', indicator: macd(12, 26, 9) as IndicatorStep<unknown, unknown>, reference: (b) => refMacd(b, 12, 26, 9) },
];

describe('indicators on the AMZN tape (1-minute candles)', () => {
  it('[D90] the tape gives a full session of 1-minute candles', () => {
    expect(candles.length).toBeGreaterThan(380);
    expect(candles.length).toBeLessThanOrEqual(391);
  });

  for (const c of CASES) {
    it(`[D90] ${c.name}: the full computation agrees with the reference`, () => {
      const values = computeAll(c.indicator, candles);
      expectSeries(values, c.reference(candles), c.name);
      // Warmed up: most bars have a value.
      expect(values.filter((v) => v !== null).length).toBeGreaterThan(candles.length - 60);
    });

    it(`[D91] ${c.name}: updated trade by trade (the last bar as it forms), it agrees with the reference`, () => {
      const series = new IncrementalSeries(c.indicator);
      const built: Candle[] = [];
      series.reset(built);
      for (let i = 0; i < trades.length; i++) {
        const t = trades[i]!;
        const changed = aggregateTrade(built, t.ts, t.price, t.size, MINUTE, Number.MAX_SAFE_INTEGER);
        expect(series.update(changed!)).not.toBeNull();
        // Spot checks along the way, all of the series at the end.
        if (i % 997 === 0) expectSeries(series.values, c.reference(built), `${c.name} after trade ${i}`);
      }
      expectSeries(series.values, c.reference(candles), c.name);
    });

    it(`[D91] ${c.name}: a reset after older history is put in front, then live updates, agree with the reference`, () => {
      const series = new IncrementalSeries(c.indicator);
      // A load of the last 150 bars, then a page of the older ones (the chart prepends and resets).
      series.reset(candles.slice(candles.length - 150, candles.length - 1));
      series.reset(candles.slice(0, candles.length - 1));
      expect(series.update(candles[candles.length - 1]!)).not.toBeNull();
      expectSeries(series.values, c.reference(candles), c.name);
      // An update of a bar before the last cannot be incremental: the caller must reset.
      expect(series.update(candles[10]!)).toBeNull();
    });
  }

  it('[D90] VWAP starts again each session', () => {
    const day = 86_400_000;
    const bar = (time: number, price: number, volume: number): Candle => ({ time, open: price, high: price, low: price, close: price, volume });
    const utc = vwap((t) => Math.floor(t / day));
    const values = computeAll(utc, [bar(0, 10, 1), bar(MINUTE, 20, 1), bar(day, 30, 2), bar(day + MINUTE, 0, 0)]);
    expect(values).toEqual([10, 15, 30, 30]);
  });

  it('[D90] the MACD histogram is shaded by side of zero and direction: strong moving away from zero, pale turning back', () => {
    const { growingAbove, fallingAbove, growingBelow, fallingBelow } = MACD_SHADES;
    expect(new Set([growingAbove, fallingAbove, growingBelow, fallingBelow]).size).toBe(4);
    const series = [0.5, 1, 0.8, 0.8, -0.2, -0.6, -0.3, 0, 0.1];
    const shades = series.map((value, i) => histogramShade(value, i === 0 ? null : series[i - 1], MACD_SHADES));
    expect(shades).toEqual([fallingAbove, growingAbove, fallingAbove, fallingAbove, fallingBelow, fallingBelow, growingBelow, growingAbove, growingAbove]);
  });
});
