import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { INTERVALS, type SymbolDeclaration } from '@tickfeed/protocol';
import { MarketState } from '../../src/market/market-state.js';
import { parseStored, type StoredTick } from '../../src/market/tick-ring.js';
import { SharedStore, type RedisClient } from '../../src/cluster/shared-store.js';
import { appendItem } from '../../src/cluster/store-codec.js';
import { declaration, makeTicks } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '@tickfeed/dev-tools';

let redis: RedisServer;
let client: RedisClient;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  client = createClient({ url: redis.url });
  await client.connect();
});
afterAll(async () => {
  client.destroy();
  await redis.stop();
});

const HISTORY = 50;
const CANDLES = 20;

function fixture() {
  const store = new SharedStore(client, { historyTicks: HISTORY, candlesPerInterval: CANDLES }, `store${++prefixes}:`);
  let epochs = 0;
  const market = new MarketState({ historyTicks: HISTORY, candlesPerInterval: CANDLES, newEpoch: () => `e${++epochs}` });
  const apply = (symbol: string, from: number, count: number): StoredTick[] =>
    makeTicks(symbol, from, count).map((tick) => {
      const entry = { tick, json: JSON.stringify(tick) };
      market.apply(entry);
      return entry;
    });
  return { store, market, apply };
}

async function declareBoth(store: SharedStore, market: MarketState, decl: SymbolDeclaration, reset = false) {
  const [head] = await store.declare([{ decl, epoch: `p${prefixes}-${decl.symbol}` }], reset);
  market.declare(decl, reset || market.get(decl.symbol)?.epoch !== head!.epoch, head!.epoch);
  return head!;
}

describe('shared store (real Redis)', () => {
  it('[C12] a declare creates an epoch once; later declares keep it and its history, a reset starts a new one', async () => {
    const { store, market, apply } = fixture();
    const first = await declareBoth(store, market, declaration('AAPL', 100));
    expect(first).toEqual({ epoch: `p${prefixes}-AAPL`, seq: 0 });
    const ticks = apply('AAPL', 1, 10);
    expect(await store.append([appendItem(market.get('AAPL')!, ticks, CANDLES)])).toEqual([{ status: 'OK', seq: 10 }]);
    const [again] = await store.declare([{ decl: declaration('AAPL', 120), epoch: 'ignored' }], false);
    expect(again).toEqual({ epoch: first.epoch, seq: 10 });
    const [reset] = await store.declare([{ decl: declaration('AAPL', 120), epoch: 'fresh' }], true);
    expect(reset).toEqual({ epoch: 'fresh', seq: 0 });
    const image = await store.readBook('AAPL');
    expect(image).toMatchObject({ epoch: 'fresh', refPrice: 120, ticks: [], stats: { seq: 0, last: 120 } });
    for (const interval of INTERVALS) expect(image!.candles[interval]).toEqual([]);
    expect([...(await store.heads())]).toEqual([['AAPL', { epoch: 'fresh', seq: 0 }]]);
  });

  it('[C13] the log stays contiguous: a hole, another epoch, a missing book or a different tick at a stored seq is refused; a retry is harmless', async () => {
    const { store, market, apply } = fixture();
    await declareBoth(store, market, declaration('MSFT'));
    const book = market.get('MSFT')!;
    const batch1 = apply('MSFT', 1, 5);
    const batch2 = apply('MSFT', 6, 5);
    // batch2 before batch1 would leave a hole.
    expect(await store.append([appendItem(book, batch2, CANDLES)])).toEqual([{ status: 'GAP', seq: 0 }]);
    expect(await store.append([appendItem(book, batch1, CANDLES)])).toEqual([{ status: 'OK', seq: 5 }]);
    // The same ticks again (a retry after a timeout) change nothing; overlapping ones extend the log.
    expect(await store.append([appendItem(book, batch1, CANDLES)])).toEqual([{ status: 'OK', seq: 5 }]);
    expect(await store.append([appendItem(book, [...batch1.slice(3), ...batch2], CANDLES)])).toEqual([{ status: 'OK', seq: 10 }]);
    const forged = { ...batch2[0]!.tick, price: 1 };
    const conflicting = appendItem(book, [{ tick: forged, json: JSON.stringify(forged) }], CANDLES);
    expect(await store.append([conflicting])).toEqual([{ status: 'CONFLICT', seq: 10 }]);
    expect(await store.append([{ ...appendItem(book, apply('MSFT', 11, 1), CANDLES), epoch: 'other' }])).toEqual([{ status: 'EPOCH', seq: 10 }]);
    expect(await store.append([{ ...appendItem(book, batch1, CANDLES), symbol: 'NOPE' }])).toEqual([{ status: 'MISSING', seq: 0 }]);
    const tail = await store.readTail('MSFT', 4);
    expect(tail?.head).toEqual({ epoch: book.epoch, seq: 10 });
    expect(tail?.ticks.map((t) => t.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });

  it('[C14] what one instance appends, another rebuilds exactly: stats, every candle series, recent ticks; the log keeps at least the history', async () => {
    const { store, market, apply } = fixture();
    await declareBoth(store, market, declaration('ETH-USD', 2000));
    const book = market.get('ETH-USD')!;
    for (let seq = 1; seq <= 400; seq += 40) {
      expect((await store.append([appendItem(book, apply('ETH-USD', seq, 40), CANDLES)]))[0]!.status).toBe('OK');
    }
    const image = await store.readBook('ETH-USD');
    const copy = new MarketState({ historyTicks: HISTORY, candlesPerInterval: CANDLES, newEpoch: () => 'unused' });
    const rebuilt = copy.restore(image!);
    expect(rebuilt.stats).toEqual(book.stats);
    expect(rebuilt.epoch).toBe(book.epoch);
    for (const interval of INTERVALS) expect(rebuilt.candles[interval]).toEqual(book.candles[interval]);
    expect(book.candles['1s'].length).toBe(CANDLES);
    expect(rebuilt.ring.latest(HISTORY)).toEqual(book.ring.latest(HISTORY));
    expect(await client.xLen(store.keys.symbol('ETH-USD').ticks)).toBeGreaterThanOrEqual(HISTORY);
  });

  it('[C15] a whole-book write fills a missing book or an older state of the same epoch, never a newer or another one', async () => {
    const { store, market, apply } = fixture();
    market.declare(declaration('BTC-USD', 60_000), true, 'seeded');
    apply('BTC-USD', 1, 30);
    const book = market.get('BTC-USD')!;
    expect(await store.seed(book, book.ring.latest(HISTORY).map(parseStored))).toEqual({ written: true, head: { epoch: 'seeded', seq: 30 } });
    apply('BTC-USD', 31, 10);
    expect(await store.seed(book, book.ring.latest(HISTORY).map(parseStored))).toEqual({ written: true, head: { epoch: 'seeded', seq: 40 } });
    const older = new MarketState({ historyTicks: HISTORY, candlesPerInterval: CANDLES, newEpoch: () => 'x' });
    older.declare(declaration('BTC-USD', 60_000), true, 'seeded');
    for (const tick of makeTicks('BTC-USD', 1, 20)) older.apply({ tick, json: JSON.stringify(tick) });
    const stale = older.get('BTC-USD')!;
    expect(await store.seed(stale, stale.ring.latest(HISTORY).map(parseStored))).toEqual({ written: false, head: { epoch: 'seeded', seq: 40 } });
    stale.epoch = 'other';
    expect((await store.seed(stale, stale.ring.latest(HISTORY).map(parseStored))).written).toBe(false);
    const image = await store.readBook('BTC-USD');
    expect(image?.stats).toEqual(book.stats);
    expect(image?.ticks.map((t) => t.seq)).toEqual(book.ring.latest(HISTORY).map((json) => parseStored(json).tick.seq));
  });
});
