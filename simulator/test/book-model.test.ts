import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '../src/book/book-source.js';
import { applyUpdate, checkBook, type BookLevels } from '../src/book/levels.js';
import { DEFAULT_UNIVERSE } from '../src/default-universe.js';
import { MarketModel } from '../src/market-model.js';
import { isOnGrid, makeGrid } from '../src/price-grid.js';
import type { ModelTrade } from '../src/symbol-model.js';
import { parseUniverse, selectSymbols } from '../src/universe.js';

const universe = parseUniverse(DEFAULT_UNIVERSE);
const START = Date.UTC(2024, 0, 1);

/** Runs `symbols` for `minutes` with a book of `depth` levels, handing each event to `onEvent` with the book the updates have built so far. */
function run(symbols: string[], seed: number, minutes: number, depth: number, onEvent: (e: FeedEvent, book: BookLevels) => void): MarketModel {
  const model = new MarketModel(selectSymbols(universe, symbols), { seed, startMs: START, bookDepth: depth });
  const books = new Map(symbols.map((s) => [s, model.bookOf(s)!]));
  const out: FeedEvent[] = [];
  const end = START + minutes * 60_000;
  for (;;) {
    out.length = 0;
    if (model.nextEvents(out).ts >= end) return model;
    for (const e of out) {
      const symbol = e.kind === 'trade' ? e.trade.symbol : e.update.symbol;
      if (e.kind === 'book') books.set(symbol, applyUpdate(books.get(symbol)!, e.update, depth));
      onEvent(e, books.get(symbol)!);
    }
  }
}

/** Time-weighted mean size per level and share of time with a one-tick spread, from the book updates. */
function bookProfile(symbol: string, seed: number, minutes: number, depth: number) {
  const tick = universe.symbols.find((s) => s.symbol === symbol)!.tickSize;
  const bids = new Array<number>(depth).fill(0);
  const asks = new Array<number>(depth).fill(0);
  let last = START;
  let total = 0;
  let oneTick = 0;
  let previous: BookLevels | null = null;
  run([symbol], seed, minutes, depth, (e, book) => {
    if (e.kind !== 'book') return;
    const held = e.update.ts - last;
    if (previous !== null && held > 0) {
      total += held;
      if (Math.round((previous.asks[0]![0] - previous.bids[0]![0]) / tick) === 1) oneTick += held;
      for (let i = 0; i < depth; i++) {
        bids[i]! += held * (previous.bids[i]?.[1] ?? 0);
        asks[i]! += held * (previous.asks[i]?.[1] ?? 0);
      }
      last = e.update.ts;
    }
    previous = book;
  });
  const mean = bids.map((b, i) => (b + asks[i]!) / 2 / total);
  return { mean, oneTickShare: oneTick / total };
}

describe('simulated order book', () => {
  it('[S40] updates rebuild the book exactly; it never crosses; every level is on the tick grid with a positive whole number of lots', () => {
    const symbols = ['AAPL', 'MSFT', 'BTC-USD', 'EUR-USD', 'DOGE-USD'];
    const grids = new Map(universe.symbols.map((s) => [s.symbol, { price: makeGrid(s.tickSize), lot: makeGrid(s.lotSize) }]));
    const problems: string[] = [];
    let updates = 0;
    let trades = 0;
    const model = run(symbols, 3, 10, 10, (e, book) => {
      if (e.kind === 'trade') return trades++;
      updates++;
      const { price, lot } = grids.get(e.update.symbol)!;
      const invalid = checkBook(book, { onPriceGrid: (p) => isOnGrid(price, p), onLotGrid: (s) => isOnGrid(lot, s) });
      if (invalid !== null) problems.push(`${e.update.symbol} @${e.update.ts}: ${invalid}`);
      if (book.bids.length !== 10 || book.asks.length !== 10) problems.push(`${e.update.symbol} @${e.update.ts}: ${book.bids.length}/${book.asks.length} levels`);
    });
    expect(problems.slice(0, 5)).toEqual([]);
    expect(updates).toBeGreaterThan(10 * trades);
    // The book a client rebuilds from the updates is the model's own.
    const rebuilt = new Map<string, BookLevels>();
    const check = new MarketModel(selectSymbols(universe, ['AAPL']), { seed: 8, startMs: START, bookDepth: 10 });
    rebuilt.set('AAPL', check.bookOf('AAPL')!);
    const out: FeedEvent[] = [];
    for (let i = 0; i < 2_000; i++) {
      out.length = 0;
      check.nextEvents(out);
      for (const e of out) if (e.kind === 'book') rebuilt.set('AAPL', applyUpdate(rebuilt.get('AAPL')!, e.update, 10));
      expect(rebuilt.get('AAPL')).toEqual(check.bookOf('AAPL'));
    }
    expect(model.bookDepths()).toEqual(new Map(symbols.map((s) => [s, 10])));
  });

  it("[S41] a trade's bid and ask are the book's best just before it; it prints at the touch, which it consumes, or strictly inside the spread, which leaves the book alone", () => {
    const symbols = ['AAPL', 'BTC-USD', 'GBP-USD'];
    const model = new MarketModel(selectSymbols(universe, symbols), { seed: 4, startMs: START, bookDepth: 10 });
    const books = new Map(symbols.map((s) => [s, model.bookOf(s)!]));
    const problems: string[] = [];
    let atTouch = 0;
    let inside = 0;
    const out: FeedEvent[] = [];
    for (let n = 0; n < 20_000; n++) {
      out.length = 0;
      model.nextEvents(out);
      // One step: the book's updates up to the trade, the trade, then the update the trade makes.
      const at = out.findIndex((e) => e.kind === 'trade');
      const trade = (out[at] as { trade: ModelTrade }).trade;
      let book = books.get(trade.symbol)!;
      for (const e of out.slice(0, at)) if (e.kind === 'book') book = applyUpdate(book, e.update, 10);
      const after = out.slice(at + 1).reduce((b, e) => (e.kind === 'book' ? applyUpdate(b, e.update, 10) : b), book);
      books.set(trade.symbol, after);
      const where = `${trade.symbol} @${trade.ts}`;
      if (trade.bid !== book.bids[0]![0] || trade.ask !== book.asks[0]![0]) problems.push(`${where}: quote ${trade.bid}/${trade.ask} is not the book's ${book.bids[0]![0]}/${book.asks[0]![0]}`);
      const side = trade.price === book.asks[0]![0] ? 'asks' : trade.price === book.bids[0]![0] ? 'bids' : null;
      if (side === null) {
        inside++;
        if (!(trade.bid < trade.price && trade.price < trade.ask)) problems.push(`${where}: ${trade.price} outside ${trade.bid}/${trade.ask}`);
        if (out.length > at + 1) problems.push(`${where}: a trade inside the spread changed the book`);
        continue;
      }
      atTouch++;
      const [price, size] = book[side][0]!;
      const left = after[side].find(([p]) => p === price)?.[1] ?? 0;
      const expected = Math.max(0, size - trade.size);
      if (Math.abs(left - expected) > 1e-9) problems.push(`${where}: ${size} at ${price} less ${trade.size} left ${left}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(atTouch).toBeGreaterThan(10_000);
    expect(inside).toBeGreaterThan(10);
  });

  it.each([1, 2])('[S42] seed %i: the mean depth profile of AAPL rises from the touch over the first levels and falls behind (hump-shaped)', (seed) => {
    const { mean } = bookProfile('AAPL', seed, 60, 10);
    const peak = mean.indexOf(Math.max(...mean));
    expect(mean[0]!).toBeLessThan(0.9 * mean[1]!);
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(4);
    expect(mean[9]!).toBeLessThan(0.8 * mean[peak]!);
  });

  it.each([1, 2, 3])('[S43] seed %i: the spread of AAPL (a liquid large-cap) is one tick at least half of the time', (seed) => {
    expect(bookProfile('AAPL', seed, 30, 10).oneTickShare).toBeGreaterThanOrEqual(0.5);
  });

  it('[S44] deterministic for a seed: the same seed gives the same trades and book updates, another seed others', () => {
    const events = (seed: number) => {
      const out: string[] = [];
      run(['AAPL', 'ETH-USD'], seed, 3, 10, (e) => out.push(JSON.stringify(e)));
      return out.join('\n');
    };
    const a = events(5);
    expect(a.length).toBeGreaterThan(100_000);
    expect(events(5) === a).toBe(true);
    expect(events(6) === a).toBe(false);
  });

  it('[S44] the book has its own random streams: the trades, with their bid and ask, are the same at every book depth as without a book', () => {
    const trades = (depth: number) => {
      const model = new MarketModel(universe, { seed: 12, startMs: START, bookDepth: depth });
      const out: ModelTrade[] = [];
      model.takeUntil(START + 5 * 60_000, out, 1_000_000);
      return JSON.stringify(out);
    };
    const plain = trades(0);
    expect(plain.length).toBeGreaterThan(100_000);
    expect(trades(10) === plain).toBe(true);
    expect(trades(1) === plain).toBe(true);
    expect(new MarketModel(universe, { seed: 12, startMs: START }).bookDepths().size).toBe(0);
  });
});
