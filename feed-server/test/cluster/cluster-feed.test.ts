import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { INTERVALS, type CandlesResponse, type FeedControl, type FeedStatus, type TicksResponse } from '@tickfeed/protocol';
import { consumer, makeTicks, publisher, range, startServer, stopAll } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '@tickfeed/dev-tools';
import {
  FeedView,
  declareOn,
  getJson,
  metric,
  ok,
  publishOn,
  startInstance,
  bySymbol,
  symbolsOf,
  type ClusterInstance,
} from './cluster-support.js';

let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(stopAll);
afterAll(async () => {
  await redis.stop();
});

/** Two instances sharing Redis under a key prefix of their own (tests share one redis-server). */
async function pair(): Promise<[ClusterInstance, ClusterInstance, string]> {
  const keyPrefix = `feed${++prefixes}:`;
  const a = await startInstance(redis.url, 'A', {}, { keyPrefix });
  const b = await startInstance(redis.url, 'B', {}, { keyPrefix });
  return [a, b, keyPrefix];
}

async function subscribedView(url: string, symbols: string[]) {
  const socket = await consumer(url);
  const view = new FeedView(socket);
  view.onSubscribed(ok(await socket.emitWithAck('subscribe', { symbols })));
  return { socket, view };
}

/** Publishes `count` ticks per symbol from `fromSeq`, interleaved, in batches of `batch` per symbol. */
async function publishInterleaved(pub: Parameters<typeof publishOn>[0], symbols: string[], fromSeq: number, count: number, batch = 10) {
  for (let seq = fromSeq; seq < fromSeq + count; seq += batch) {
    const n = Math.min(batch, fromSeq + count - seq);
    await publishOn(pub, symbols.flatMap((s) => makeTicks(s, seq, n)));
  }
}

async function expectSameState(a: string, b: string, symbols: string[]) {
  // The universe's order is each instance's insertion order; its content is what must agree.
  expect(bySymbol(await symbolsOf(b))).toEqual(bySymbol(await symbolsOf(a)));
  for (const symbol of symbols) {
    for (const interval of INTERVALS) {
      const path = `/api/symbols/${symbol}/candles?interval=${interval}&limit=2000`;
      expect((await getJson<CandlesResponse>(`${b}${path}`)).body).toEqual((await getJson<CandlesResponse>(`${a}${path}`)).body);
    }
    const ticks = `/api/symbols/${symbol}/ticks?limit=1000`;
    expect((await getJson<TicksResponse>(`${b}${ticks}`)).body).toEqual((await getJson<TicksResponse>(`${a}${ticks}`)).body);
  }
}

describe('scale-out over Redis', () => {
  it('[C1] a symbol declared on one instance can be subscribed on every instance at once; its ticks reach every subscriber once and in order', async () => {
    const [a, b] = await pair();
    const symbols = ['AAPL', 'MSFT', 'BTC-USD'];
    const pub = await publisher(a.url);
    await declareOn(pub, symbols.map((symbol) => ({ symbol })));
    // No waiting for B to hear of the declare: a subscribe there looks symbols up in the store.
    const clients = [
      await subscribedView(a.url, symbols),
      await subscribedView(a.url, ['AAPL']),
      await subscribedView(b.url, symbols),
      await subscribedView(b.url, ['MSFT', 'BTC-USD']),
    ];
    await publishInterleaved(pub, symbols, 1, 200);
    for (const { view } of clients) {
      for (const symbol of view.last.keys()) await view.untilSeq(symbol, 200);
      expect(view.problems).toEqual([]);
      for (const symbol of view.last.keys()) expect(view.received.get(symbol)).toEqual(range(1, 200));
    }
    // B delivered what it received from A: one inter-server message per publish batch, nothing ingested on B.
    expect(await metric(b.url, 'feed_cluster_ticks_in_total')).toBe(600);
    expect(await metric(b.url, 'feed_ticks_in_total')).toBe(0);
  });

  it('[C2] snapshots, candles and recent ticks are equal on every instance', async () => {
    const [a, b] = await pair();
    const symbols = ['AAPL', 'EURUSD'];
    const pub = await publisher(b.url);
    await declareOn(pub, symbols.map((symbol) => ({ symbol })));
    const watcher = await subscribedView(a.url, symbols);
    // makeTicks spaces ticks 250 ms apart: 400 ticks span 100 s of candles at every interval.
    await publishInterleaved(pub, symbols, 1, 400, 50);
    for (const symbol of symbols) await watcher.view.untilSeq(symbol, 400);
    await expectSameState(a.url, b.url, symbols);
    const candles = (await getJson<CandlesResponse>(`${a.url}/api/symbols/AAPL/candles?interval=1s&limit=2000`)).body;
    expect(candles.seq).toBe(400);
    expect(candles.candles.length).toBeGreaterThan(90);
  });

  it('[C3] a client that reconnects to another instance resumes with recovered: true and gets each missed tick once', async () => {
    const [a, b] = await pair();
    const pub = await publisher(a.url);
    await declareOn(pub, [{ symbol: 'AAPL' }, { symbol: 'MSFT' }]);
    const first = await subscribedView(a.url, ['AAPL', 'MSFT']);
    await publishInterleaved(pub, ['AAPL', 'MSFT'], 1, 50);
    await first.view.untilSeq('AAPL', 50);
    await first.view.untilSeq('MSFT', 50);
    first.socket.disconnect();
    const points = first.view.resumePoints();
    await publishInterleaved(pub, ['AAPL', 'MSFT'], 51, 70);

    const socket = await consumer(b.url);
    first.view.attach(socket);
    const reply = ok(await socket.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT'], resume: points }));
    expect(reply.subscribed.map((s) => [s.symbol, s.recovered, s.epoch])).toEqual([
      ['AAPL', true, points.AAPL!.epoch],
      ['MSFT', true, points.MSFT!.epoch],
    ]);
    first.view.onSubscribed(reply);
    await publishInterleaved(pub, ['AAPL', 'MSFT'], 121, 30);
    await first.view.untilSeq('AAPL', 150);
    await first.view.untilSeq('MSFT', 150);
    expect(first.view.problems).toEqual([]);
    expect(first.view.received.get('AAPL')).toEqual(range(1, 150));
    expect(first.view.received.get('MSFT')).toEqual(range(1, 150));
  });

  it('[C4] an instance started later serves the same universe, epochs, snapshots and candles at once, and resumes clients', async () => {
    const [a, , keyPrefix] = await pair();
    const symbols = ['AAPL', 'ETH-USD'];
    const pub = await publisher(a.url);
    await declareOn(pub, symbols.map((symbol) => ({ symbol })));
    const watcher = await subscribedView(a.url, symbols);
    await publishInterleaved(pub, symbols, 1, 300, 30);
    for (const symbol of symbols) await watcher.view.untilSeq(symbol, 300);

    const late = await startInstance(redis.url, 'C', {}, { keyPrefix });
    // No waiting: the first requests to the new instance already answer from the shared state.
    await expectSameState(a.url, late.url, symbols);
    const socket = await consumer(late.url);
    const view = new FeedView(socket);
    view.onSubscribed(ok(await socket.emitWithAck('subscribe', { symbols: ['AAPL'] })));
    view.last.set('AAPL', 120);
    const reply = ok(await socket.emitWithAck('subscribe', { symbols: ['AAPL'], resume: { AAPL: { epoch: view.epochs.get('AAPL')!, seq: 120 } } }));
    expect(reply.subscribed[0]).toMatchObject({ symbol: 'AAPL', recovered: true });
    await view.untilSeq('AAPL', 300);
    expect(view.received.get('AAPL')).toEqual(range(121, 300));
    expect(view.problems).toEqual([]);
  });

  it('[C5] a publisher that moves to another instance continues each symbol\'s seq; nobody sees a gap or a duplicate', async () => {
    const [a, b] = await pair();
    const symbols = ['AAPL', 'MSFT'];
    const onA = await publisher(a.url);
    const first = await declareOn(onA, symbols.map((symbol) => ({ symbol })));
    const viewA = await subscribedView(a.url, symbols);
    const viewB = await subscribedView(b.url, symbols);
    await publishInterleaved(onA, symbols, 1, 50);
    onA.disconnect();

    const onB = await publisher(b.url);
    // Declare and publish back to back, as a publisher resuming in a hurry would: the publish waits for the declare.
    const declaring = onB.timeout(10_000).emitWithAck('declare', {
      symbols: symbols.map((symbol) => ({ symbol, name: symbol, kind: 'equity' as const, currency: 'USD', tickSize: 0.01, refPrice: 100 })),
    });
    const publishing = onB.timeout(10_000).emitWithAck('publish', { ticks: symbols.flatMap((s) => makeTicks(s, 51, 10)) });
    const declared = await declaring;
    if (!declared.ok) throw new Error(declared.error.message);
    expect(declared.declared.map((d) => [d.symbol, d.epoch, d.lastSeq])).toEqual(
      first.map((d) => [d.symbol, d.epoch, 50]),
    );
    expect(await publishing).toEqual({ ok: true, accepted: 20, rejected: [] });
    await publishInterleaved(onB, symbols, 61, 40);
    for (const { view } of [viewA, viewB]) {
      for (const symbol of symbols) {
        await view.untilSeq(symbol, 100);
        expect(view.received.get(symbol)).toEqual(range(1, 100));
      }
      expect(view.problems).toEqual([]);
    }
  });

  it('[C6] a declare with reset starts a new epoch on every instance and their subscribers get a reset', async () => {
    const [a, b] = await pair();
    const pub = await publisher(a.url);
    const [before] = await declareOn(pub, [{ symbol: 'AAPL' }]);
    const watcher = await subscribedView(b.url, ['AAPL']);
    await publishInterleaved(pub, ['AAPL'], 1, 30);
    await watcher.view.untilSeq('AAPL', 30);
    const reply = await pub.emitWithAck('declare', {
      symbols: [{ symbol: 'AAPL', name: 'AAPL', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 120 }],
      reset: true,
      reason: 'seek',
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const epoch = reply.declared[0]!.epoch;
    expect(epoch).not.toBe(before!.epoch);
    await watcher.view.until(() => watcher.view.resets.length === 1, 'a reset on B');
    expect(watcher.view.resets[0]).toMatchObject({ symbol: 'AAPL', epoch, reason: 'seek', snapshot: { seq: 0, last: 120 } });
    await publishInterleaved(pub, ['AAPL'], 1, 20);
    await watcher.view.untilSeq('AAPL', 20);
    expect(watcher.view.problems).toEqual([]);
    expect((await getJson<{ epoch: string }>(`${b.url}/api/symbols/AAPL`)).body.epoch).toBe(epoch);
  });

  it('[C10] an instance that missed announcements catches up from the store: a resume ahead of it waits for that, the rest follows in order', async () => {
    const [a, b] = await pair();
    const pub = await publisher(a.url);
    await declareOn(pub, [{ symbol: 'AAPL' }]);
    const first = await subscribedView(a.url, ['AAPL']);
    await publishInterleaved(pub, ['AAPL'], 1, 20);
    await first.view.untilSeq('AAPL', 20);
    // B stops hearing A (as if its subscription were lost): only the store can tell it what happened.
    b.server.io.of('/').removeAllListeners('cluster:ticks');
    await publishInterleaved(pub, ['AAPL'], 21, 60);
    await first.view.untilSeq('AAPL', 80);
    first.socket.disconnect();

    const socket = await consumer(b.url);
    first.view.attach(socket);
    const reply = ok(await socket.emitWithAck('subscribe', { symbols: ['AAPL'], resume: first.view.resumePoints() }));
    expect(reply.subscribed[0]).toMatchObject({ symbol: 'AAPL', recovered: true, snapshot: { seq: 80 } });
    first.view.onSubscribed(reply);
    // Still deaf to announcements, B delivers newer ticks as its periodic reconcile finds them in the store.
    await publishInterleaved(pub, ['AAPL'], 81, 20);
    await first.view.untilSeq('AAPL', 100);
    expect(first.view.problems).toEqual([]);
    expect(first.view.received.get('AAPL')).toEqual(range(1, 100));
  });

  it('[C20] without REDIS_URL an instance runs alone in memory: ready, feed_redis_up 1, nothing shared', async () => {
    const alone = await startServer();
    expect(alone.server.fastify.hasRoute({ method: 'GET', url: '/readyz' })).toBe(true);
    expect((await fetch(`${alone.url}/readyz`)).status).toBe(200);
    expect(await metric(alone.url, 'feed_redis_up')).toBe(1);
    const port = alone.server.localIngest();
    await port.declare({ symbols: [{ symbol: 'AAPL', name: 'AAPL', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 100 }] });
    expect(await port.publish({ ticks: makeTicks('AAPL', 1, 5) })).toEqual({ ok: true, accepted: 5, rejected: [] });
    const [, b] = await pair();
    expect(await symbolsOf(b.url)).toEqual([]);
  });

  it('[C7] the feed status reaches every instance, and a control command sent to any instance reaches the publisher', async () => {
    const [a, b] = await pair();
    const pub = await publisher(a.url);
    await declareOn(pub, [{ symbol: 'AAPL' }]);
    const status: FeedStatus = {
      mode: 'replay',
      state: 'playing',
      speed: 1,
      clock: 1_767_600_000_000,
      loop: false,
      completions: 0,
      marker: null,
      source: 'tape.csv',
      controllable: true,
    };
    const commands: FeedControl[] = [];
    pub.on('control', (command, ack) => {
      commands.push(command);
      ack({ ok: true, status: { ...status, state: 'paused' } });
    });
    pub.emit('status', status);
    await vi.waitFor(async () => expect((await getJson<FeedStatus>(`${b.url}/api/feed`)).body.source, 'B shows the replay status').toBe('tape.csv'), { timeout: 15_000, interval: 25 });
    const response = await fetch(`${b.url}/api/feed/control`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin', 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'pause' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, status: { state: 'paused' } });
    expect(commands).toEqual([{ action: 'pause' }]);
  });
});
