import { describe, expect, it } from 'vitest';
import type { FeedStatus } from '@tickfeed/protocol';
import { CandleModel } from '../src/lib/candle-model.js';
import { exchangeZone } from '../src/lib/exchange-zone.js';
import { displayFormatOf, formatPriceIn, formatSize } from '../src/lib/format.js';
import { deliveryDelay, delayBasis } from '../src/lib/latency.js';
import { parseSort, serializeSort } from '../src/lib/sort-pref.js';
import { lastQuery, replaceLastQuery, resolveQueries, suggest } from '../src/lib/symbol-search.js';

const UNIVERSE = [
  { symbol: 'AAPL', name: 'Apple Inc.' },
  { symbol: 'TSLA', name: 'Tesla Inc.' },
  { symbol: 'BTC-USD', name: 'Bitcoin' },
  { symbol: 'NFLX', name: 'Netflix Inc.' },
  { symbol: 'AMD', name: 'Advanced Micro Devices' },
];

const candle = (time: number) => ({ time, open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1 });

describe('issue 17 helpers', () => {
  it('[D50] older candles go in front without a duplicate at the seam', () => {
    const model = new CandleModel(1000);
    model.load({ epoch: 'e', seq: 10, candles: [candle(5000), candle(6000)] });
    expect(model.prepend([candle(3000), candle(4000), candle(5000)])).toBe(2);
    expect(model.candles.map((c) => c.time)).toEqual([3000, 4000, 5000, 6000]);
    expect(model.prepend([])).toBe(0);
  });

  it('[D52] the delay is wall clock when live, the replay clock (in real ms) in a replay, unknown at max speed', () => {
    const replay = (speed: number | 'max'): { status: FeedStatus; receivedAt: number } => ({
      status: { mode: 'replay', state: 'playing', speed, clock: Date.UTC(2012, 4, 18, 13, 30), loop: false, completions: 0, marker: null, source: 't', controllable: false } as FeedStatus,
      receivedAt: 1_000_000,
    });
    expect(delayBasis(null)).toBe('wall');
    expect(deliveryDelay(null, 5_000, 4_900)).toBe(100);
    const ref = replay(10);
    expect(delayBasis(ref)).toBe('replay');
    // 100 ms of wall time later the replay clock moved 1 s; a tick 500 replay-ms old waited 50 real ms.
    expect(deliveryDelay(ref, 1_000_100, Date.UTC(2012, 4, 18, 13, 30) + 500)).toBe(50);
    expect(deliveryDelay(replay('max'), 1_000_100, 0)).toBeNull();
  });

  it('[D53] sizes keep the lot size decimals, prices the tick size, sub-penny decimals only where present, FX all', () => {
    const btc = displayFormatOf({ tickSize: 0.01, lotSize: 0.0001, kind: 'crypto' });
    expect(formatSize(0.0003, btc.size)).toBe('0.0003');
    expect(formatSize(0.0007, btc.size)).toBe('0.0007');
    expect(formatSize(12_345, btc.size)).toBe('12.35K');
    const sol = displayFormatOf({ tickSize: 0.001, kind: 'crypto' });
    expect(formatPriceIn(146.2, sol)).toBe('146.20');
    expect(formatPriceIn(146.213, sol)).toBe('146.213');
    expect(formatPriceIn(64_250.5, btc)).toBe('64,250.50');
    const eur = displayFormatOf({ tickSize: 0.00001, kind: 'fx' });
    expect(formatPriceIn(1.084, eur)).toBe('1.08400');
  });

  it('[D56] search matches symbol or name in any case, several at once; suggestions rank exact symbols first', () => {
    expect(resolveQueries(UNIVERSE, 'apple')).toEqual({ found: ['AAPL'], unknown: [] });
    expect(resolveQueries(UNIVERSE, 'Tesla')).toEqual({ found: ['TSLA'], unknown: [] });
    expect(resolveQueries(UNIVERSE, 'btc')).toEqual({ found: ['BTC-USD'], unknown: [] });
    expect(resolveQueries(UNIVERSE, 'NFLX, AMD; zzzz')).toEqual({ found: ['NFLX', 'AMD'], unknown: ['ZZZZ'] });
    expect(suggest(UNIVERSE, 'a').map((m) => m.symbol)).toEqual(['AAPL', 'AMD', 'TSLA']);
    expect(suggest(UNIVERSE, 'inc').map((m) => m.symbol)).toEqual(['AAPL', 'TSLA', 'NFLX']);
    expect(lastQuery('NFLX, am')).toBe('am');
    expect(replaceLastQuery('NFLX, am', 'AMD')).toBe('NFLX, AMD');
  });

  it('[D57] the exchange zone follows the asset class unless metadata names one', () => {
    expect(exchangeZone({ kind: 'equity' })).toBe('America/New_York');
    expect(exchangeZone({ kind: 'crypto' })).toBe('UTC');
    expect(exchangeZone({ kind: 'fx' })).toBe('America/New_York');
    expect(exchangeZone({ kind: 'equity', timeZone: 'Europe/Berlin' })).toBe('Europe/Berlin');
  });

  it('[D59] the sort round-trips through storage; anything malformed is no sort', () => {
    expect(parseSort(serializeSort({ key: 'changePct', dir: -1 }))).toEqual({ key: 'changePct', dir: -1 });
    expect(parseSort(serializeSort(null))).toBeNull();
    expect(parseSort('{"key":"evil","dir":1}')).toBeNull();
    expect(parseSort('{nope')).toBeNull();
  });
});
