import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { io as connect } from 'socket.io-client';
import { ErrorCode, type SubscribeReply, type SymbolsResponse, type Tick } from '@tickfeed/protocol';
import { makeTicks, onCleanup, publisher, range, stopAll, type ConsumerClient } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '@tickfeed/dev-tools';
import { jwtConfig, mint } from '../support/tokens.js';
import { declareOn, ok, publishOn, startInstance } from './cluster-support.js';
import { createRedisUserUsage } from '../../src/cluster/shared-user-usage.js';
import { createRedisCluster } from '../../src/cluster/redis-cluster.js';
import { startServer } from '../support/harness.js';
import { FAST_CLUSTER } from './cluster-support.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(stopAll);
afterAll(async () => {
  await redis.stop();
});

async function userSocket(url: string, token: string, ticks: Tick[]): Promise<ConsumerClient> {
  const socket: ConsumerClient = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  onCleanup(() => {
    socket.disconnect();
  });
  socket.on('ticks', (batch) => ticks.push(...batch));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

describe('access control across instances', () => {
  it('[A8][C3] both instances enforce the same claims; a client that reconnects to the other instance with its token resumes exactly', async () => {
    const keyPrefix = 'access1:';
    const a = await startInstance(redis.url, 'A', jwtConfig(), { keyPrefix });
    const b = await startInstance(redis.url, 'B', jwtConfig(), { keyPrefix });
    const pub = await publisher(a.url);
    await declareOn(pub, [{ symbol: 'AAPL' }, { symbol: 'MSFT' }]);
    const token = await mint({ symbols: ['AAPL'] });

    const ticks: Tick[] = [];
    const first = await userSocket(a.url, token, ticks);
    const reply: SubscribeReply = await first.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT'] });
    const subscribed = ok(reply);
    expect(subscribed.rejected).toEqual([{ symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) }]);
    const epoch = subscribed.subscribed[0]!.epoch;
    await publishOn(pub, [...makeTicks('AAPL', 1, 30), ...makeTicks('MSFT', 1, 30)]);
    await expect.poll(() => ticks.filter((t) => t.symbol === 'AAPL').length, { timeout: 5_000 }).toBe(30);
    first.disconnect();
    await publishOn(pub, [...makeTicks('AAPL', 31, 20), ...makeTicks('MSFT', 31, 20)]);

    const second = await userSocket(b.url, token, ticks);
    const resumed = ok(await second.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT'], resume: { AAPL: { epoch, seq: 30 }, MSFT: { epoch, seq: 0 } } }));
    expect(resumed.subscribed.map((s) => [s.symbol, s.recovered])).toEqual([['AAPL', true]]);
    expect(resumed.rejected.map((r) => [r.symbol, r.code])).toEqual([['MSFT', ErrorCode.FORBIDDEN]]);
    await publishOn(pub, makeTicks('AAPL', 51, 5));
    await expect.poll(() => ticks.filter((t) => t.symbol === 'AAPL').length, { timeout: 5_000 }).toBe(55);
    expect(ticks.filter((t) => t.symbol === 'AAPL').map((t) => t.seq)).toEqual(range(1, 55));
    expect(ticks.filter((t) => t.symbol === 'MSFT')).toEqual([]);

    for (const url of [a.url, b.url]) {
      const res = await fetch(`${url}/api/symbols`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await res.json()) as SymbolsResponse).symbols.map((s) => s.meta.symbol)).toEqual(['AAPL']);
      expect((await fetch(`${url}/api/symbols/MSFT/ticks`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      expect((await fetch(`${url}/api/symbols`)).status).toBe(401);
    }
  });

  it('[A12] a user\'s subscriptions count against USER_MAX_SUBSCRIPTIONS across instances (shared through Redis)', async () => {
    const keyPrefix = 'access2:';
    const limits = { userMaxSubscriptions: 3, userSubscribeBurst: 10_000, userSubscribeRatePerSec: 10_000, subscribeBurst: 10_000, subscribeRatePerSec: 10_000 };
    const instance = (id: string) =>
      startServer(
        { redisUrl: redis.url, serverId: id, ...jwtConfig(limits) },
        { cluster: createRedisCluster({ ...FAST_CLUSTER, keyPrefix }), userUsage: createRedisUserUsage({ keyPrefix, syncIntervalMs: 100 }) },
      );
    const a = await instance('A');
    const b = await instance('B');
    const pub = await publisher(a.url);
    await declareOn(pub, [{ symbol: 'S1' }, { symbol: 'S2' }, { symbol: 'S3' }, { symbol: 'S4' }]);
    const token = await mint({ symbols: ['*'] });
    const onA = await userSocket(a.url, token, []);
    const onB = await userSocket(b.url, token, []);
    ok(await onA.emitWithAck('subscribe', { symbols: ['S1', 'S2'] }));
    // Until B has read A's report, two more fit on B: undo and ask again; once it has, they do not.
    await vi.waitFor(
      async () => {
        const reply: SubscribeReply = await onB.emitWithAck('subscribe', { symbols: ['S3', 'S4'] });
        if (reply.ok) await onB.emitWithAck('unsubscribe', { symbols: ['S3', 'S4'] });
        expect(!reply.ok && reply.error.code === ErrorCode.TOO_MANY_SYMBOLS, "B counts the user's subscriptions on A").toBe(true);
      },
      { timeout: 5_000, interval: 50 },
    );
    ok(await onB.emitWithAck('subscribe', { symbols: ['S3'] }));
    const bob = await userSocket(b.url, await mint({ sub: 'bob', symbols: ['*'] }), []);
    ok(await bob.emitWithAck('subscribe', { symbols: ['S1', 'S2', 'S3'] }));
    // When the user leaves A, B gives the room back once A's report is gone.
    onA.disconnect();
    await vi.waitFor(
      async () => expect((await onB.emitWithAck('subscribe', { symbols: ['S4'] })).ok, "B sees the user's subscriptions on A released").toBe(true),
      { timeout: 5_000, interval: 50 },
    );
  });
});
