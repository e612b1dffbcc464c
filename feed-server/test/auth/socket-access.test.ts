import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { ErrorCode, type AuthRefreshReply, type Notice, type SubscribeOk, type SubscribeReply } from '@tickfeed/protocol';
import { TickRecorder, connected, declaration, makeTicks, onCleanup, range, startServer, stopAll, type ConsumerClient } from '../support/harness.js';
import { jwtConfig, mint } from '../support/tokens.js';
import type { ServerConfig } from '../../src/config.js';

afterEach(stopAll);

async function authedServer(symbols: string[], ticksEach = 0, overrides: Partial<ServerConfig> = {}) {
  const running = await startServer(jwtConfig(overrides));
  const port = running.server.localIngest();
  await port.declare({ symbols: symbols.map((s) => declaration(s)) });
  for (const s of symbols) if (ticksEach > 0) await port.publish({ ticks: makeTicks(s, 1, ticksEach) });
  return { ...running, port };
}

async function userSocket(url: string, token: string): Promise<ConsumerClient> {
  return connected<ConsumerClient>(connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } }));
}

function subscribe(socket: ConsumerClient, request: unknown): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', request as never);
}

function refresh(socket: ConsumerClient, token: unknown): Promise<AuthRefreshReply> {
  return socket.timeout(5_000).emitWithAck('auth:refresh', { token } as never);
}

function ok(reply: SubscribeReply): SubscribeOk {
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

describe('Socket.IO access control', () => {
  it('[A8] symbols outside the claims are rejected by name with FORBIDDEN (whether they exist or not) while the allowed ones succeed', async () => {
    const { url } = await authedServer(['AAPL', 'MSFT', 'BTC-USD', 'BTC']);
    const socket = await userSocket(url, await mint({ symbols: ['AAPL', 'BTC-*'] }));
    const reply = ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT', 'BTC-USD', 'BTC', 'NOPE', 'bad!'] }));
    expect(reply.subscribed.map((s) => s.symbol)).toEqual(['AAPL', 'BTC-USD']);
    expect(reply.rejected).toEqual([
      { symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) },
      { symbol: 'BTC', code: ErrorCode.FORBIDDEN, message: expect.any(String) },
      { symbol: 'NOPE', code: ErrorCode.FORBIDDEN, message: expect.any(String) },
      { symbol: 'bad!', code: ErrorCode.BAD_REQUEST, message: expect.any(String) },
    ]);
  });

  it('[A8] a resume for a symbol outside the claims replays nothing and is rejected by name; the allowed resume is exact', async () => {
    const { url, port } = await authedServer(['AAPL', 'MSFT'], 10);
    const admin = await userSocket(url, await mint({ sub: 'ops', symbols: ['*'] }));
    const epochs = ok(await subscribe(admin, { symbols: ['AAPL', 'MSFT'] })).subscribed;
    const socket = await userSocket(url, await mint({ symbols: ['AAPL'] }));
    const recorder = new TickRecorder(socket);
    const resume = Object.fromEntries(epochs.map((s) => [s.symbol, { epoch: s.epoch, seq: 2 }]));
    const reply = ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'], resume }));
    expect(reply.subscribed.map((s) => [s.symbol, s.recovered])).toEqual([['AAPL', true]]);
    expect(reply.rejected).toEqual([{ symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) }]);
    await port.publish({ ticks: [...makeTicks('MSFT', 11, 1), ...makeTicks('AAPL', 11, 1)] });
    await recorder.untilSeq('AAPL', 11);
    expect(recorder.seqs('AAPL')).toEqual(range(3, 11));
    expect(recorder.seqs('MSFT')).toEqual([]);
  });

  it('[A9] the maxSubscriptions claim lowers the connection cap (TOO_MANY_SYMBOLS past it)', async () => {
    const { url } = await authedServer(['A', 'B', 'C']);
    const socket = await userSocket(url, await mint({ symbols: ['*'], maxSubscriptions: 2 }));
    ok(await subscribe(socket, { symbols: ['A', 'B'] }));
    const over = await subscribe(socket, { symbols: ['C'] });
    expect(over).toEqual({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS, message: expect.any(String) } });
  });

  it('[A10] auth:refresh narrowing the claims unsubscribes the removed symbols before its ack, with a FORBIDDEN notice; none of their ticks follows', async () => {
    const { url, port } = await authedServer(['AAPL', 'MSFT'], 5);
    const socket = await userSocket(url, await mint({ symbols: ['AAPL', 'MSFT'] }));
    const recorder = new TickRecorder(socket);
    const notices: Notice[] = [];
    socket.on('notice', (n) => notices.push(n));
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'] }));
    await port.publish({ ticks: [...makeTicks('AAPL', 6, 5), ...makeTicks('MSFT', 6, 5)] });
    await recorder.untilSeq('MSFT', 10);

    const reply = await refresh(socket, await mint({ symbols: ['AAPL'] }));
    expect(reply).toEqual({ ok: true, expiresAt: expect.any(Number), unsubscribed: ['MSFT'] });
    expect(notices).toEqual([{ code: ErrorCode.FORBIDDEN, message: expect.any(String), symbols: ['MSFT'] }]);
    const msftAtAck = recorder.seqs('MSFT').length;
    await port.publish({ ticks: [...makeTicks('MSFT', 11, 20), ...makeTicks('AAPL', 11, 20)] });
    await recorder.untilSeq('AAPL', 30);
    expect(recorder.seqs('MSFT').length).toBe(msftAtAck);
    expect(recorder.seqs('AAPL')).toEqual(range(6, 30));
    expect(ok(await subscribe(socket, { symbols: ['MSFT'] })).rejected).toEqual([{ symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) }]);

    // Widening applies at once too.
    expect(await refresh(socket, await mint({ symbols: ['AAPL', 'MSFT'] }))).toMatchObject({ ok: true, unsubscribed: [] });
    expect(ok(await subscribe(socket, { symbols: ['MSFT'] })).subscribed.map((s) => s.symbol)).toEqual(['MSFT']);
  });

  it('[A10] auth:refresh refuses a bad token, another user\'s token and a malformed request; the connection and its claims stay', async () => {
    const { url } = await authedServer(['AAPL']);
    const socket = await userSocket(url, await mint({ symbols: ['AAPL'] }));
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    expect(await refresh(socket, 'junk')).toEqual({ ok: false, error: { code: ErrorCode.UNAUTHORIZED, message: 'malformed token' } });
    expect(await refresh(socket, await mint({ symbols: ['AAPL'] }, { ttlSec: -60 }))).toEqual({ ok: false, error: { code: ErrorCode.UNAUTHORIZED, message: 'token expired' } });
    expect(await refresh(socket, await mint({ sub: 'mallory', symbols: ['*'] }))).toEqual({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: expect.any(String) } });
    expect(await refresh(socket, 42)).toEqual({ ok: false, error: { code: ErrorCode.BAD_REQUEST, message: expect.any(String) } });
    expect(await refresh(socket, 'x'.repeat(70_000))).toEqual({ ok: false, error: { code: ErrorCode.BAD_REQUEST, message: expect.any(String) } });
    expect(socket.connected).toBe(true);
    expect((await subscribe(socket, { symbols: ['AAPL'] })).ok).toBe(true);
  });

  it('[A10] a refresh during a fast stream loses no tick and duplicates none', async () => {
    const { url, port } = await authedServer(['AAPL', 'MSFT']);
    const socket = await userSocket(url, await mint({ symbols: ['AAPL', 'MSFT'] }));
    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'] }));
    let seq = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await port.publish({ ticks: [...makeTicks('AAPL', seq + 1, 50), ...makeTicks('MSFT', seq + 1, 50)] });
        seq += 50;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 5; i++) {
      await recorder.untilSeq('AAPL', (i + 1) * 200);
      expect(await refresh(socket, await mint({ symbols: ['AAPL', 'MSFT'] }))).toMatchObject({ ok: true, unsubscribed: [] });
    }
    publishing = false;
    await publisher;
    await recorder.untilSeq('AAPL', seq);
    await recorder.untilSeq('MSFT', seq);
    expect(recorder.seqs('AAPL')).toEqual(range(1, seq));
    expect(recorder.seqs('MSFT')).toEqual(range(1, seq));
  });

  it('[A11] a token that expires unrenewed gets a TOKEN_EXPIRED notice and its connection is closed; a renewed one stays', async () => {
    const { url } = await authedServer(['AAPL']);
    const token = await mint({ symbols: ['AAPL'] }, { ttlSec: 2 });
    const kept = await userSocket(url, token);
    const dropped = await userSocket(url, token);
    const notices: Notice[] = [];
    dropped.on('notice', (n) => notices.push(n));
    const closed = new Promise<string>((resolve) => dropped.once('disconnect', (reason) => resolve(reason)));
    expect(await refresh(kept, await mint({ symbols: ['AAPL'] }))).toMatchObject({ ok: true });
    const started = Date.now();
    expect(await closed).toBe('io server disconnect');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(notices).toEqual([{ code: ErrorCode.TOKEN_EXPIRED, message: expect.any(String) }]);
    // Both deadlines fell in the sweep that closed `dropped`; the renewed connection is still served.
    expect(kept.connected).toBe(true);
    expect((await subscribe(kept, { symbols: ['AAPL'] })).ok).toBe(true);
  });

  it('[A9] welcome states the connection\'s own cap: the server\'s, lowered by the maxSubscriptions claim', async () => {
    const { url } = await authedServer(['A'], 0, { maxSubscriptions: 50 });
    const welcomeCap = async (token: string) => {
      const socket: ConsumerClient = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false, auth: { token } });
      onCleanup(() => {
        socket.disconnect();
      });
      const welcome = new Promise<number>((resolve) => socket.once('welcome', (w) => resolve(w.limits.maxSubscriptionsPerConnection)));
      socket.connect();
      return welcome;
    };
    expect(await welcomeCap(await mint({ symbols: ['*'], maxSubscriptions: 2 }))).toBe(2);
    expect(await welcomeCap(await mint({ symbols: ['*'] }))).toBe(50);
  });

  it('[A12] the per-user cap counts subscriptions across the user\'s connections; other users are unaffected', async () => {
    const { url } = await authedServer(['A', 'B', 'C', 'D'], 0, { userMaxSubscriptions: 3 });
    const token = await mint({ symbols: ['*'] });
    const first = await userSocket(url, token);
    const second = await userSocket(url, token);
    ok(await subscribe(first, { symbols: ['A', 'B'] }));
    expect(await subscribe(second, { symbols: ['C', 'D'] })).toEqual({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS, message: expect.any(String) } });
    ok(await subscribe(second, { symbols: ['C'] }));
    const bob = await userSocket(url, await mint({ sub: 'bob', symbols: ['*'] }));
    ok(await subscribe(bob, { symbols: ['A', 'B', 'C'] }));
    // Closing a connection gives its subscriptions back to the user.
    const gone = new Promise((resolve) => first.once('disconnect', resolve));
    first.disconnect();
    await gone;
    await expect.poll(async () => (await subscribe(second, { symbols: ['A', 'B'] })).ok, { timeout: 2_000 }).toBe(true);
  });

  it('[A12] the per-user request rate is shared by the user\'s connections', async () => {
    const { url } = await authedServer(['A'], 0, { userSubscribeBurst: 3, userSubscribeRatePerSec: 1 });
    const token = await mint({ symbols: ['*'] });
    const first = await userSocket(url, token);
    const second = await userSocket(url, token);
    ok(await subscribe(first, { symbols: ['A'] }));
    ok(await subscribe(first, { symbols: ['A'] }));
    ok(await subscribe(second, { symbols: ['A'] }));
    expect(await subscribe(second, { symbols: ['A'] })).toEqual({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: expect.any(String) } });
    const bob = await userSocket(url, await mint({ sub: 'bob', symbols: ['*'] }));
    ok(await subscribe(bob, { symbols: ['A'] }));
  });

  it('[A1] with AUTH_MODE=none a token is not needed and auth:refresh is answered BAD_REQUEST', async () => {
    const running = await startServer();
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('AAPL')] });
    const socket: ConsumerClient = connect(running.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    onCleanup(() => {
      socket.disconnect();
    });
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    expect(await refresh(socket, 'whatever')).toEqual({ ok: false, error: { code: ErrorCode.BAD_REQUEST, message: expect.any(String) } });
  });
});
