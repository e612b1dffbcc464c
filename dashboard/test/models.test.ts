import { describe, expect, it } from 'vitest';
import type { Snapshot, Tick } from '@tickfeed/protocol';
import { FrameConflator, groupBy } from '../src/lib/frame-conflator.js';
import { closedMarketsText, isMarketClosedFor } from '../src/lib/market-hours.js';
import { QuoteModel } from '../src/lib/quote-model.js';
import { RollingWindow, staleSeconds } from '../src/lib/rolling-stats.js';
import { nextSort, sortSymbols } from '../src/lib/sort.js';
import { sparklinePath } from '../src/lib/sparkline.js';
import { TapeModel } from '../src/lib/tape-model.js';
import { decimalsOf, formatPct, formatPrice, formatVolume } from '../src/lib/format.js';

const DAY = Date.UTC(2024, 4, 6);
const tick = (seq: number, price: number, size = 10, ts = DAY + seq * 1000): Tick => ({
  symbol: 'AAPL',
  seq,
  ts,
  price,
  size,
  bid: price - 0.01,
  ask: price + 0.01,
});
const snapshot: Snapshot = {
  symbol: 'AAPL',
  seq: 2,
  ts: DAY + 2000,
  last: 101,
  bid: 100.99,
  ask: 101.01,
  open: 100.5,
  high: 101,
  low: 100.5,
  volume: 20,
  prevClose: 100,
  change: 1,
  changePct: 1,
};

describe('quote store model', () => {
  it('[D11] advances session stats from the snapshot: last, change vs prevClose, bid/ask, volume', () => {
    const model = new QuoteModel('AAPL', snapshot);
    model.apply([tick(3, 102, 5), tick(4, 99, 7)]);
    const view = model.view();
    expect(view).toMatchObject({ last: 99, bid: 98.99, ask: 99.01, volume: 32, seq: 4, change: -1, changePct: -1, dir: -1, flash: 2 });
    // Already counted: ignored.
    model.apply([tick(4, 150)]);
    expect(model.view().last).toBe(99);
  });

  it('[D11] a new UTC day starts a new session: previous last becomes the reference', () => {
    const model = new QuoteModel('AAPL', snapshot);
    model.apply([tick(3, 105, 1, DAY + 86_400_000 + 5)]);
    expect(model.view()).toMatchObject({ volume: 1, change: 4, last: 105 });
  });

  it('[P34] with the symbol\'s session, quotes roll as the server does: a UTC midnight is not a US equity session, 16:00 New York is', () => {
    // 2024-05-06 (Monday) 15:00 New York = 19:00Z; the snapshot is of that session.
    const monday = Date.UTC(2024, 4, 6, 19);
    const model = new QuoteModel('AAPL', { ...snapshot, ts: monday }, 'us-equity');
    model.apply([tick(3, 102, 1, Date.UTC(2024, 4, 6, 19, 59))]);
    expect(model.view()).toMatchObject({ volume: 21, change: 2 });
    model.apply([tick(4, 103, 1, Date.UTC(2024, 4, 6, 20, 0))]); // 16:00 New York: Tuesday's session
    expect(model.view()).toMatchObject({ volume: 1, change: 1 });
    model.apply([tick(5, 104, 1, Date.UTC(2024, 4, 7, 0, 30))]); // UTC midnight passed, still Monday evening in New York
    expect(model.view()).toMatchObject({ volume: 2, change: 2 });
  });
});

describe('frame conflation', () => {
  it('[D12] many ticks between two frames are handed over once, in order, at the next frame', () => {
    const frames: (() => void)[] = [];
    const flushed: Tick[][] = [];
    const conflator = new FrameConflator<Tick>((cb) => frames.push(cb), (items) => flushed.push(items));
    for (let seq = 1; seq <= 1000; seq++) conflator.push([tick(seq, 100)]);
    expect(frames).toHaveLength(1);
    expect(flushed).toHaveLength(0);
    frames.shift()!();
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.map((t) => t.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    conflator.push([tick(1001, 100)]);
    expect(frames).toHaveLength(1);
    conflator.dispose();
    frames.shift()!();
    expect(flushed).toHaveLength(1);
  });

  it('[D12] groups a frame by symbol keeping each symbol in seq order', () => {
    const items = [tick(1, 1), { ...tick(1, 1), symbol: 'MSFT' }, tick(2, 1)];
    const groups = groupBy(items, (t) => t.symbol);
    expect([...groups.keys()]).toEqual(['AAPL', 'MSFT']);
    expect(groups.get('AAPL')!.map((t) => t.seq)).toEqual([1, 2]);
  });
});

describe('time & sales model', () => {
  it('[D16] keeps the newest trades first, coloured by tick direction, stitched by seq', () => {
    const tape = new TapeModel(4);
    tape.load([tick(1, 100), tick(2, 101), tick(3, 101)], 3);
    expect(tape.rows.map((r) => [r.seq, r.dir])).toEqual([
      [3, 1],
      [2, 1],
      [1, 0],
    ]);
    expect(tape.apply([tick(3, 500), tick(4, 99), tick(5, 99)])).toBe(true);
    expect(tape.rows.map((r) => [r.seq, r.dir])).toEqual([
      [5, -1],
      [4, -1],
      [3, 1],
      [2, 1],
    ]);
    expect(tape.apply([tick(7, 99)])).toBe(false);
  });
});

describe('status statistics', () => {
  it('[D17] median over a sliding window, and throughput as the window sum', () => {
    const window = new RollingWindow(5000);
    window.add(0, 100);
    window.add(1000, 10);
    window.add(2000, 30);
    window.add(3000, 20);
    expect(window.median(3000)).toBe(25);
    expect(window.median(5500)).toBe(20);
    expect(window.sum(5500)).toBe(60);
    expect(window.count(100_000)).toBe(0);
    expect(window.median(100_000)).toBeNull();
  });

  it('[D17] a symbol is stale after the threshold, reported in whole seconds', () => {
    expect(staleSeconds(1000, 12_500, 10_000)).toBe(11);
    expect(staleSeconds(1000, 5_000, 10_000)).toBeNull();
    expect(staleSeconds(0, 50_000, 10_000)).toBeNull();
  });
});

describe('watchlist helpers', () => {
  it('[D19] sorts by a column both ways, ties and missing quotes stay in watchlist order', () => {
    const q = (last: number) => ({ symbol: '', last, change: 0, changePct: 0, bid: 0, ask: 0, volume: last, seq: 1, ts: 1, dir: 0 as const, flash: 0 });
    const quotes = { A: q(3), B: q(1), C: q(2), D: q(2) };
    const list = ['A', 'B', 'C', 'D', 'E'];
    expect(sortSymbols(list, quotes, { key: 'last', dir: 1 })).toEqual(['B', 'C', 'D', 'A', 'E']);
    expect(sortSymbols(list, quotes, { key: 'last', dir: -1 })).toEqual(['A', 'C', 'D', 'B', 'E']);
    expect(sortSymbols(list, quotes, null)).toEqual(list);
    expect(nextSort(null, 'last')).toEqual({ key: 'last', dir: -1 });
    expect(nextSort({ key: 'last', dir: -1 }, 'last')).toEqual({ key: 'last', dir: 1 });
    expect(nextSort({ key: 'last', dir: 1 }, 'last')).toBeNull();
  });

  it('[D19] sparkline path spans the box; flat series draw mid-height', () => {
    expect(sparklinePath([1, 2, 3], 10, 10, 0)).toBe('M0,10L5,5L10,0');
    expect(sparklinePath([5, 5], 10, 10)).toBe('M0,5L10,5');
    expect(sparklinePath([1], 10, 10)).toBe('');
  });

  it('[D19] formats prices by tick size, percentages signed, big volumes compact', () => {
    expect(decimalsOf(0.01)).toBe(2);
    expect(decimalsOf(0.0001)).toBe(4);
    expect(decimalsOf(0.5)).toBe(1);
    expect(decimalsOf(1)).toBe(0);
    expect(formatPrice(1234.5, 2)).toBe('1,234.50');
    expect(formatPct(-1.234)).toBe('−1.23%');
    expect(formatPct(0.5)).toBe('+0.50%');
    expect(formatVolume(999.5)).toBe('999.5');
    expect(formatVolume(1234)).toBe('1.23K');
    expect(formatVolume(2_500_000)).toBe('2.5M');
  });
});

describe('market hours in the status bar', () => {
  it('[S71] names the closed markets, and a symbol of a closed market is not stale', () => {
    expect(closedMarketsText(undefined)).toBe('');
    expect(closedMarketsText([])).toBe('');
    expect(closedMarketsText(['us-equity'])).toBe('US equities closed');
    expect(closedMarketsText(['fx', 'us-equity'])).toBe('FX and US equities closed');
    expect(isMarketClosedFor({ kind: 'equity' }, ['us-equity'])).toBe(true);
    expect(isMarketClosedFor({ kind: 'crypto' }, ['us-equity'])).toBe(false);
    expect(isMarketClosedFor({ kind: 'equity', session: 'utc-day' }, ['us-equity'])).toBe(false);
    expect(isMarketClosedFor(undefined, ['us-equity'])).toBe(false);
  });
});
