import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { ErrorCode, type SubscribeReply, type SymbolsResponse, type Tick } from '@tickfeed/protocol';
import { makeTicks, onCleanup, publisher, range, stopAll, type ConsumerClient } from '../support/harness.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { jwtConfig, mint } from '../support/tokens.js';
import { declareOn, ok, publishOn, startInstance } from './cluster-support.js';

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
});
