import { checkTick, type Tick } from '@tickfeed/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNIVERSE } from '../src/default-universe.js';
import { MarketModel } from '../src/market-model.js';
import { writeOffline } from '../src/offline.js';
import { isOnGrid, makeGrid } from '../src/price-grid.js';
import { parseUniverse, selectSymbols, type Universe } from '../src/universe.js';
import { StringSink } from './support/collect.js';

const universe = parseUniverse(DEFAULT_UNIVERSE);
const START = Date.UTC(2024, 0, 1);

async function offlineText(u: Universe, seed: number, durationMs: number): Promise<string> {
  const sink = new StringSink();
  await writeOffline(u, { seed, startMs: START, durationMs }, sink);
  return sink.text;
}

function parseLines(text: string): Tick[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Tick);
}

/** Last price at the end of each minute, per symbol, over `minutes` minutes. */
function minuteCloses(u: Universe, seed: number, minutes: number): Map<string, number[]> {
  const model = new MarketModel(u, { seed, startMs: START });
  const closes = new Map(u.symbols.map((s) => [s.symbol, [s.refPrice]]));
  const last = new Map(u.symbols.map((s) => [s.symbol, s.refPrice]));
  let minute = 0;
  for (;;) {
    const t = model.next();
    const m = Math.floor((t.ts - START) / 60_000);
    while (minute < m && minute < minutes) {
      minute++;
      for (const [symbol, series] of closes) series.push(last.get(symbol)!);
    }
    if (minute >= minutes) return closes;
    last.set(t.symbol, t.price);
  }
}

function logReturns(closes: number[]): number[] {
  return closes.slice(1).map((c, i) => Math.log(c / closes[i]!));
}

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('price model', () => {
  it('[S2] the same universe, seed and start give byte-identical NDJSON; another seed differs', async () => {
    const a = await offlineText(universe, 42, 5 * 60_000);
    const b = await offlineText(universe, 42, 5 * 60_000);
    const c = await offlineText(universe, 43, 5 * 60_000);
    expect(a.length).toBeGreaterThan(10_000);
    expect(a === b).toBe(true);
    expect(a === c).toBe(false);
  });

  it("[S2] a symbol's ticks do not depend on which other symbols are simulated", async () => {
    const alone = parseLines(await offlineText(selectSymbols(universe, ['AAPL']), 9, 10 * 60_000));
    const all = parseLines(await offlineText(universe, 9, 10 * 60_000)).filter((t) => t.symbol === 'AAPL');
    expect(alone.length).toBeGreaterThan(1_000);
    expect(all).toEqual(alone);
  });

  it('[S3] [S4] every tick is valid, numbered from 1 by +1 per symbol, in time order, on its tick grid, with bid < ask', async () => {
    const ticks = parseLines(await offlineText(universe, 5, 10 * 60_000));
    const specs = new Map(universe.symbols.map((s) => [s.symbol, { spec: s, price: makeGrid(s.tickSize), lot: makeGrid(s.lotSize) }]));
    const seqs = new Map<string, number>();
    let lastTs = -Infinity;
    const problems: string[] = [];
    for (const t of ticks) {
      const { spec, price, lot } = specs.get(t.symbol)!;
      const invalid = checkTick(t);
      if (invalid !== null) problems.push(`${t.symbol}#${t.seq}: ${invalid.message}`);
      if (t.seq !== (seqs.get(t.symbol) ?? 0) + 1) problems.push(`${t.symbol}: seq ${t.seq} after ${seqs.get(t.symbol)}`);
      seqs.set(t.symbol, t.seq);
      if (t.ts < lastTs) problems.push(`${t.symbol}#${t.seq}: ts goes back`);
      lastTs = t.ts;
      if (!Number.isInteger(t.ts) || t.ts < START) problems.push(`${t.symbol}#${t.seq}: ts ${t.ts}`);
      for (const [name, v] of [['price', t.price], ['bid', t.bid], ['ask', t.ask]] as const) {
        if (!isOnGrid(price, v)) problems.push(`${t.symbol}#${t.seq}: ${name} ${v} is off the ${spec.tickSize} grid`);
      }
      if (!(t.bid < t.ask)) problems.push(`${t.symbol}#${t.seq}: bid ${t.bid} >= ask ${t.ask}`);
      if (!(t.bid <= t.price && t.price <= t.ask)) problems.push(`${t.symbol}#${t.seq}: price ${t.price} outside the quote`);
      if (!(t.size > 0) || !isOnGrid(lot, t.size)) problems.push(`${t.symbol}#${t.seq}: size ${t.size} is not a whole number of ${spec.lotSize} lots`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(seqs.size).toBe(universe.symbols.length);
  });

  it('[S4] trade sizes are heavy-tailed: P(size >= 10 lots) is near 10^-1.6 and some trades are 100+ lots', () => {
    const model = new MarketModel(selectSymbols(universe, ['BTC-USD']), { seed: 3, startMs: START });
    const lot = 0.0001;
    let n = 0;
    let big = 0;
    let huge = 0;
    while (n < 100_000) {
      const t = model.next();
      n++;
      const lots = Math.round(t.size / lot);
      if (lots >= 10) big++;
      if (lots >= 100) huge++;
    }
    expect(big / n).toBeGreaterThan(0.7 * 10 ** -1.6);
    expect(big / n).toBeLessThan(1.3 * 10 ** -1.6);
    expect(huge).toBeGreaterThan(0);
  });

  it('[S5] the spread widens with volatility: 10-minute mean spread and realized volatility move together', () => {
    const model = new MarketModel(selectSymbols(universe, ['BTC-USD']), { seed: 11, startMs: START });
    const windows = 144;
    const spread = new Array<number>(windows).fill(0);
    const count = new Array<number>(windows).fill(0);
    const variance = new Array<number>(windows).fill(0);
    let prevMid = 0;
    for (;;) {
      const t = model.next();
      const w = Math.floor((t.ts - START) / 600_000);
      if (w >= windows) break;
      const mid = (t.bid + t.ask) / 2;
      if (prevMid > 0) variance[w]! += Math.log(mid / prevMid) ** 2;
      prevMid = mid;
      spread[w]! += t.ask - t.bid;
      count[w]!++;
    }
    const logSpread = spread.map((s, i) => Math.log(s / count[i]!));
    const logVol = variance.map((v) => Math.log(v));
    expect(correlation(logSpread, logVol)).toBeGreaterThan(0.5);
  });

  it('[S6] trades arrive as a clustered point process at the configured mean rate, not on a timer', () => {
    const spec = universe.symbols.find((s) => s.symbol === 'AAPL')!;
    const model = new MarketModel(selectSymbols(universe, ['AAPL']), { seed: 21, startMs: START });
    const days = 2;
    const gaps: number[] = [];
    let prev = START;
    let n = 0;
    for (;;) {
      const t = model.next();
      if (t.ts >= START + days * 86_400_000) break;
      gaps.push(t.ts - prev);
      prev = t.ts;
      n++;
    }
    const rate = n / (days * 86_400);
    expect(rate).toBeGreaterThan(0.85 * spec.activity);
    expect(rate).toBeLessThan(1.15 * spec.activity);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    // A Poisson process has CV 1, a timer 0: self-excitation and volatility make arrivals bursty (CV > 1).
    expect(sd / mean).toBeGreaterThan(1.2);
  });

  it('[S7] symbols move together through their factor: SPY and QQQ correlate strongly, AAPL and BTC-USD do not', () => {
    const closes = minuteCloses(selectSymbols(universe, ['SPY', 'QQQ', 'AAPL', 'BTC-USD']), 4, 720);
    const r = (s: string) => logReturns(closes.get(s)!);
    expect(correlation(r('SPY'), r('QQQ'))).toBeGreaterThan(0.8);
    expect(correlation(r('AAPL'), r('SPY'))).toBeGreaterThan(0.4);
    expect(Math.abs(correlation(r('AAPL'), r('BTC-USD')))).toBeLessThan(0.15);
  });
});
