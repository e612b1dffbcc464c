import { describe, expect, it } from 'vitest';
import { INTERVALS, type Tick } from '@tickfeed/protocol';
import { MarketState } from '../../src/market/market-state.js';
import type { StoredTick } from '../../src/market/tick-ring.js';
import {
  StoreReplyError,
  appendArgs,
  appendItem,
  candleChanges,
  continuesAt,
  parseAppendReply,
  parseHeadsReply,
  parseTailReply,
} from '../../src/cluster/store-codec.js';
import { StoreKeys } from '../../src/cluster/store-keys.js';
import { redactUrl } from '../../src/cluster/redis-clients.js';
import { declaration } from '../support/harness.js';

const T0 = Date.UTC(2026, 0, 5, 14, 30);

function tick(seq: number, ts: number, price = 100): StoredTick {
  const t: Tick = { symbol: 'AAPL', seq, ts, price, size: 10, bid: price - 0.01, ask: price + 0.01 };
  return { tick: t, json: JSON.stringify(t) };
}

function bookWith(ticks: StoredTick[], candlesPerInterval = 100) {
  const market = new MarketState({ historyTicks: 100, candlesPerInterval, newEpoch: () => 'E' });
  market.declare(declaration('AAPL'), true);
  for (const t of ticks) market.apply(t);
  return market.get('AAPL')!;
}

describe('store codec (pure)', () => {
  it('[C13] a batch carries only the candles its ticks could change: from the bucket of its earliest tick on', () => {
    const earlier = [tick(1, T0), tick(2, T0 + 1_000), tick(3, T0 + 2_000)];
    const batch = [tick(4, T0 + 2_500), tick(5, T0 + 3_000)];
    const book = bookWith([...earlier, ...batch]);
    const changes = candleChanges(book, batch, 100);
    expect(changes).toHaveLength(INTERVALS.length);
    // 1s: the buckets at +2 s and +3 s; 5s and coarser: the one bucket.
    expect(changes[0]!.changed.map((c) => c.time)).toEqual([T0 + 2_000, T0 + 3_000]);
    expect(changes[1]!.changed.map((c) => c.time)).toEqual([T0]);
    expect(changes.every((c) => c.trimBefore === 0)).toBe(true);
  });

  it('[C13] a series at its cap tells the store where it now starts', () => {
    const ticks = [0, 1, 2, 3].map((i) => tick(i + 1, T0 + i * 1_000));
    const book = bookWith(ticks, 3);
    const [oneSecond] = candleChanges(book, ticks.slice(-1), 3);
    expect(oneSecond).toEqual({ trimBefore: T0 + 1_000, changed: [book.candles['1s'][2]] });
  });

  it('[C13] APPEND arguments follow the script layout exactly', () => {
    const ticks = [tick(1, T0)];
    const book = bookWith(ticks);
    const args = appendArgs([appendItem(book, ticks, 100)], 50);
    const candle = JSON.stringify(book.candles['1s'][0]);
    const perInterval = INTERVALS.flatMap((interval) => ['0', '1', String(book.candles[interval][0]!.time), JSON.stringify(book.candles[interval][0])]);
    expect(args).toEqual(['50', '1', 'E', JSON.stringify(book.stats), '1', '1', ticks[0]!.json, ...perInterval]);
    expect(perInterval[3]).toBe(candle);
  });

  it('[C13] continuity: ticks continue a book only from last + 1, without a hole, up to the head', () => {
    expect(continuesAt([{ seq: 6 }, { seq: 7 }], 5, 7)).toBe(true);
    expect(continuesAt([{ seq: 7 }], 5, 7)).toBe(false);
    expect(continuesAt([{ seq: 6 }, { seq: 8 }], 5, 8)).toBe(false);
    expect(continuesAt([{ seq: 6 }], 5, 7)).toBe(false);
    expect(continuesAt([], 5, 5)).toBe(true);
    expect(continuesAt([], 5, 6)).toBe(false);
  });

  it('[C13] replies that do not have the expected shape are errors, not guesses', () => {
    expect(parseAppendReply([['OK', '7']], 1)).toEqual([{ status: 'OK', seq: 7 }]);
    expect(() => parseAppendReply([['MAYBE', '7']], 1)).toThrow(StoreReplyError);
    expect(() => parseAppendReply([], 1)).toThrow(StoreReplyError);
    expect(() => parseAppendReply([['OK', '-1']], 1)).toThrow(StoreReplyError);
    expect(parseTailReply(null)).toBeNull();
    expect(parseTailReply(['E', '9', ['8-0', '{"a":1}', '9-0', '{"a":2}']])).toEqual({
      head: { epoch: 'E', seq: 9 },
      ticks: [
        { seq: 8, json: '{"a":1}' },
        { seq: 9, json: '{"a":2}' },
      ],
    });
    // A universe member whose book is gone is left out.
    expect([...parseHeadsReply([['AAPL', 'E', '3'], ['GONE', '', '0']])]).toEqual([['AAPL', { epoch: 'E', seq: 3 }]]);
  });

  it('[C12] keys share one hash tag per symbol; URLs are logged without their password', () => {
    const keys = new StoreKeys('tf:');
    expect(keys.symbol('BTC-USD')).toEqual({
      book: 'tf:{BTC-USD}:book',
      ticks: 'tf:{BTC-USD}:ticks',
      candles: INTERVALS.map((i) => `tf:{BTC-USD}:candles:${i}`),
    });
    expect(keys.universe).toBe('tf:universe');
    expect(redactUrl('redis://user:secret@redis:6379/0')).toBe('redis://user:***@redis:6379/0');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
