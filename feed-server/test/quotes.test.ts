import { afterEach, describe, expect, it, vi } from 'vitest';
import { io as connect } from 'socket.io-client';
import { ErrorCode, type Notice, type Snapshot, type SubscribeOk, type SubscribeReply } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, makeTicks, onCleanup, startServer, stopAll, type ConsumerClient } from './support/harness.js';
import { jwtConfig, mint } from './support/tokens.js';
import type { ServerConfig } from '../src/config.js';

afterEach(stopAll);

function subscribe(socket: ConsumerClient, request: unknown): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', request as never);
}

function ok(reply: SubscribeReply): SubscribeOk {
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

async function serverWith(symbols: string[], ticksEach = 0, overrides: Partial<ServerConfig> = {}) {
  const running = await startServer(overrides);
  const port = running.server.localIngest();
  expect((await port.declare({ symbols: symbols.map((s) => declaration(s)) })).ok).toBe(true);
  for (const s of symbols) if (ticksEach > 0) await port.publish({ ticks: makeTicks(s, 1, ticksEach) });
  return { ...running, port };
}

/** Every `quotes` frame a consumer receives, with its arrival time. */
class QuoteRecorder {
  readonly frames: { at: number; quotes: Snapshot[] }[] = [];
  constructor(socket: ConsumerClient) {
    socket.on('quotes', (quotes) => this.frames.push({ at: performance.now(), quotes }));
  }
  latest(symbol: string): Snapshot | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const quote = this.frames[i]!.quotes.find((q) => q.symbol === symbol);
      if (quote !== undefined) return quote;
    }
    return undefined;
  }
  async untilSeq(symbol: string, seq: number, timeout = 5_000): Promise<void> {
    await vi.waitFor(() => expect(this.latest(symbol)?.seq ?? -1).toBeGreaterThanOrEqual(seq), { timeout, interval: 5 });
  }
}

/** The snapshot a client would compute from the ticks: what the server's REST snapshot says. */
async function restSnapshot(url: string, symbol: string): Promise<Snapshot> {
  const response = await fetch(`${url}/api/symbols/${symbol}`);
  return ((await response.json()) as { snapshot: Snapshot }).snapshot;
}

describe('quotes channel (subscribe with throttleMs)', () => {
  it('[Q1] a throttled subscribe is acked like any subscribe (snapshot per symbol, rejected by name) and says its throttleMs', async () => {
    const { url } = await serverWith(['AAPL', 'MSFT'], 3);
    const socket = await consumer(url);
    const reply = ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT', 'NOPE', 'bad!'], throttleMs: 250 }));
    expect(reply.throttleMs).toBe(250);
    expect(reply.subscribed.map((s) => s.symbol)).toEqual(['AAPL', 'MSFT']);
    expect(reply.subscribed[0]!.snapshot).toEqual(await restSnapshot(url, 'AAPL'));
    expect(reply.subscribed[0]!.recovered).toBeUndefined();
    expect(reply.rejected).toEqual([
      { symbol: 'NOPE', code: ErrorCode.UNKNOWN_SYMBOL, message: expect.any(String) },
      { symbol: 'bad!', code: ErrorCode.BAD_REQUEST, message: expect.any(String) },
    ]);
    // Without throttleMs the ack is unchanged.
    expect(ok(await subscribe(socket, { symbols: ['MSFT'] })).throttleMs).toBeUndefined();
  });

  it('[Q2] a symbol ticking 1,000 times in a second gives at most about one quotes frame per 250 ms, the last with the latest values; no ticks', async () => {
    const { url, port } = await serverWith(['AAPL']);
    const socket = await consumer(url);
    const ticks = new TickRecorder(socket);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 250 }));
    const all = makeTicks('AAPL', 1, 1_000);
    const started = performance.now();
    // 20 batches of 50, 50 ms apart: 1,000 ticks over about one second.
    for (let i = 0; i < 20; i++) {
      await port.publish({ ticks: all.slice(i * 50, (i + 1) * 50) });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await quotes.untilSeq('AAPL', 1_000);
    const elapsed = performance.now() - started;
    // One frame per 250 ms bucket the stream touched (plus one for a bucket boundary at either end).
    expect(quotes.frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(quotes.frames.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < quotes.frames.length; i++) {
      // Frames leave the server on its 250 ms grid; arrival adds a little jitter.
      expect(quotes.frames[i]!.at - quotes.frames[i - 1]!.at).toBeGreaterThan(150);
    }
    for (const frame of quotes.frames) expect(frame.quotes.map((q) => q.symbol)).toEqual(['AAPL']);
    const seqs = quotes.frames.map((f) => f.quotes[0]!.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const last = all.at(-1)!;
    expect(quotes.latest('AAPL')).toEqual(await restSnapshot(url, 'AAPL'));
    expect(quotes.latest('AAPL')).toMatchObject({ seq: 1_000, last: last.price, bid: last.bid, ask: last.ask, ts: last.ts });
    expect(ticks.bySymbol.size).toBe(0);
  });

  it('[Q3] only changed symbols are sent, each once per frame; an idle symbol sends nothing', async () => {
    const { url, port } = await serverWith(['AAPL', 'MSFT', 'IBM'], 2);
    const socket = await consumer(url);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT', 'IBM'], throttleMs: 100 }));
    await port.publish({ ticks: [...makeTicks('AAPL', 3, 10), ...makeTicks('MSFT', 3, 1)] });
    await quotes.untilSeq('AAPL', 12);
    await quotes.untilSeq('MSFT', 3);
    const sent = quotes.frames.flatMap((f) => f.quotes.map((q) => q.symbol));
    expect(sent).not.toContain('IBM');
    for (const frame of quotes.frames) expect(new Set(frame.quotes.map((q) => q.symbol)).size).toBe(frame.quotes.length);
    // Nothing more arrives while nothing changes: the next frame follows the next tick.
    const before = quotes.frames.length;
    await port.publish({ ticks: makeTicks('IBM', 3, 1) });
    await quotes.untilSeq('IBM', 3);
    expect(quotes.frames.length).toBe(before + 1);
    expect(quotes.frames.at(-1)!.quotes.map((q) => q.symbol)).toEqual(['IBM']);
  });

  it('[Q4] throttleMs is 0 or 100..60,000 (else BAD_REQUEST), rounded to 50 ms and raised to QUOTES_MIN_THROTTLE_MS; the ack says the interval applied', async () => {
    const { url } = await serverWith(['AAPL'], 0, { quotesMinThrottleMs: 500 });
    const socket = await consumer(url);
    for (const throttleMs of [50, 60_001, -1, 250.5, '250', null]) {
      const reply = await subscribe(socket, { symbols: ['AAPL'], throttleMs });
      expect(reply).toEqual({ ok: false, error: { code: ErrorCode.BAD_REQUEST, message: expect.any(String) } });
    }
    expect(ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 250 })).throttleMs).toBe(500);
    expect(ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 1_020 })).throttleMs).toBe(1_000);
    expect(ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 60_000 })).throttleMs).toBe(60_000);
    expect(ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 0 })).throttleMs).toBe(0);
  });

  it('[Q5] subscribing again switches the delivery: one subscription, ticks after a switch to 0, quotes after a switch back', async () => {
    const { url, port, server } = await serverWith(['AAPL'], 1);
    const socket = await consumer(url);
    const ticks = new TickRecorder(socket);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 }));
    await port.publish({ ticks: makeTicks('AAPL', 2, 5) });
    await quotes.untilSeq('AAPL', 6);
    const full = ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 0 }));
    expect(full.subscribed[0]!.snapshot.seq).toBe(6);
    const quoteFrames = quotes.frames.length;
    await port.publish({ ticks: makeTicks('AAPL', 7, 5) });
    await ticks.untilSeq('AAPL', 11);
    expect(ticks.seqs('AAPL')).toEqual([7, 8, 9, 10, 11]);
    ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 }));
    const ticksAtSwitch = ticks.seqs('AAPL').length;
    await port.publish({ ticks: makeTicks('AAPL', 12, 5) });
    await quotes.untilSeq('AAPL', 16);
    expect(ticks.seqs('AAPL').length).toBe(ticksAtSwitch);
    expect(quotes.frames.slice(quoteFrames).every((f) => f.quotes.every((q) => q.seq >= 12))).toBe(true);
    const body = await (await fetch(`${url}/metrics`)).text();
    expect(body).toMatch(/^feed_subscriptions 1$/m);
    void server;
  });

  it('[Q6] after the unsubscribe ack no quote of that symbol arrives; the others continue', async () => {
    const { url, port } = await serverWith(['AAPL', 'MSFT'], 1);
    const socket = await consumer(url);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'], throttleMs: 100 }));
    await port.publish({ ticks: makeTicks('AAPL', 2, 3) });
    await quotes.untilSeq('AAPL', 4);
    expect(await socket.emitWithAck('unsubscribe', { symbols: ['AAPL'] })).toEqual({ ok: true, unsubscribed: ['AAPL'] });
    const framesAtAck = quotes.frames.length;
    await port.publish({ ticks: [...makeTicks('AAPL', 5, 3), ...makeTicks('MSFT', 2, 3)] });
    await quotes.untilSeq('MSFT', 4);
    expect(quotes.frames.slice(framesAtAck).flatMap((f) => f.quotes.map((q) => q.symbol))).not.toContain('AAPL');
  });

  it('[Q7] quotes count toward MAX_SUBSCRIPTIONS and share the subscribe rate limit', async () => {
    const { url } = await serverWith(['A', 'B', 'C'], 0, { maxSubscriptions: 2, subscribeBurst: 4, subscribeRatePerSec: 1 });
    const socket = await consumer(url);
    ok(await subscribe(socket, { symbols: ['A'], throttleMs: 250 }));
    ok(await subscribe(socket, { symbols: ['B'] }));
    // Switching A's delivery holds no second subscription.
    ok(await subscribe(socket, { symbols: ['A'], throttleMs: 0 }));
    const over = await subscribe(socket, { symbols: ['C'], throttleMs: 250 });
    expect(over).toEqual({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS, message: expect.any(String) } });
    const limited = await subscribe(socket, { symbols: ['A'], throttleMs: 250 });
    expect(limited).toEqual({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: expect.any(String) } });
  });

  it('[Q8] the entitlement applies as to subscribe: a symbol outside the claims is FORBIDDEN; a narrowing refresh drops a quotes subscription by its name', async () => {
    const running = await startServer(jwtConfig());
    const port = running.server.localIngest();
    await port.declare({ symbols: ['AAPL', 'MSFT'].map((s) => declaration(s)) });
    const token = await mint({ sub: 'alice', symbols: ['AAPL', 'MSFT'] });
    const socket: ConsumerClient = connect(running.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    onCleanup(() => void socket.disconnect());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const narrow = await mint({ sub: 'alice', symbols: ['AAPL'] });
    const quotes = new QuoteRecorder(socket);
    const notices: Notice[] = [];
    socket.on('notice', (notice) => notices.push(notice));
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'], throttleMs: 100 }));
    const refreshed = await socket.timeout(5_000).emitWithAck('auth:refresh', { token: narrow });
    expect(refreshed).toEqual({ ok: true, expiresAt: expect.any(Number), unsubscribed: ['MSFT'] });
    expect(notices).toEqual([{ code: ErrorCode.FORBIDDEN, message: expect.any(String), symbols: ['MSFT'] }]);
    const refused = ok(await subscribe(socket, { symbols: ['MSFT', 'NOPE'], throttleMs: 100 }));
    expect(refused.rejected).toEqual([
      { symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) },
      { symbol: 'NOPE', code: ErrorCode.FORBIDDEN, message: expect.any(String) },
    ]);
    await port.publish({ ticks: [...makeTicks('MSFT', 1, 3), ...makeTicks('AAPL', 1, 3)] });
    await quotes.untilSeq('AAPL', 3);
    expect(quotes.frames.flatMap((f) => f.quotes.map((q) => q.symbol))).not.toContain('MSFT');
  });

  it('[Q9] a new epoch reaches conflated subscribers as a quote with the new epoch\'s snapshot', async () => {
    const { url, port } = await serverWith(['AAPL'], 5);
    const socket = await consumer(url);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 }));
    await port.declare({ symbols: [declaration('AAPL', 50)], reset: true, reason: 'seek' });
    await vi.waitFor(() => expect(quotes.latest('AAPL')).toMatchObject({ seq: 0, last: 50, volume: 0 }), { timeout: 5_000, interval: 5 });
  });

  it('[Q10] a client that does not read its quotes frame is skipped, holds one frame at most, and then gets the latest state', async () => {
    const { url, port, server } = await serverWith(['AAPL'], 1);
    const socket = await consumer(url);
    const quotes = new QuoteRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 }));
    // Hold back the engine's writes to this client: its frames stay in flight until released.
    const engineSocket = [...server.io.of('/').sockets.values()][0]!.conn;
    const transport = engineSocket.transport as unknown as { writable: boolean };
    transport.writable = false;
    for (let i = 0; i < 5; i++) {
      await port.publish({ ticks: makeTicks('AAPL', 2 + i * 10, 10) });
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    const held = (engineSocket as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
    expect(held).toBeLessThanOrEqual(1);
    transport.writable = true;
    engineSocket.flush();
    await quotes.untilSeq('AAPL', 51);
    expect(quotes.latest('AAPL')).toEqual(await restSnapshot(url, 'AAPL'));
  });
});


