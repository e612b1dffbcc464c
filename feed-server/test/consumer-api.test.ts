import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type SubscribeOk, type SubscribeReply, type Tick } from '@tickfeed/protocol';
import {
  TickRecorder,
  consumer,
  declaration,
  makeTicks,
  range,
  startServer,
  stopAll,
  type ConsumerClient,
} from './support/harness.js';
import type { ServerConfig } from '../src/config.js';

afterEach(stopAll);

function subscribe(socket: ConsumerClient, request: unknown): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', request as never);
}

function ok(reply: SubscribeReply): SubscribeOk {
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

async function serverWith(symbols: string[], ticksEach = 0) {
  const running = await start();
  const port = running.server.localIngest();
  const declared = await port.declare({ symbols: symbols.map((s) => declaration(s)) });
  expect(declared.ok).toBe(true);
  for (const s of symbols) if (ticksEach > 0) await port.publish({ ticks: makeTicks(s, 1, ticksEach) });
  return { ...running, port };
}

/** Both delivery modes (SPEC R35, R37): latency first, and every frame lingering as on a loaded server. */
const FLUSH_MODES: [string, Partial<ServerConfig>][] = [
  ['latency first', {}],
  ['lingering', { flushLingerMs: 5, flushLingerLoadPercent: 0 }],
];
let flushMode: Partial<ServerConfig> = {};
const start = (overrides: Partial<ServerConfig> = {}) => startServer({ ...flushMode, ...overrides });

describe.each(FLUSH_MODES)('consumer API (%s)', (_mode, mode) => {
  beforeAll(() => {
    flushMode = mode;
  });

  it('[R1] subscribe acks each symbol with its epoch and a snapshot covering the ticks so far', async () => {
    const { url, port } = await serverWith(['AAPL', 'MSFT'], 3);
    const socket = await consumer(url);
    const reply = ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'] }));
    expect(reply.rejected).toEqual([]);
    expect(reply.subscribed.map((s) => s.symbol)).toEqual(['AAPL', 'MSFT']);
    const aapl = reply.subscribed[0]!;
    const last = makeTicks('AAPL', 1, 3).at(-1)!;
    expect(aapl.snapshot).toMatchObject({ symbol: 'AAPL', seq: 3, last: last.price, bid: last.bid, ask: last.ask });
    expect(aapl.snapshot.volume).toBe(makeTicks('AAPL', 1, 3).reduce((v, t) => v + t.size, 0));
    expect(aapl.epoch).toMatch(/^\S+$/);
    expect(aapl.recovered).toBeUndefined();
    await port.close();
  });

  it('[R2] unknown and malformed symbols are rejected by name while the valid ones succeed', async () => {
    const { url } = await serverWith(['AAPL']);
    const socket = await consumer(url);
    const reply = ok(await subscribe(socket, { symbols: ['AAPL', 'NOPE', 'bad symbol!'] }));
    expect(reply.subscribed.map((s) => s.symbol)).toEqual(['AAPL']);
    expect(reply.rejected).toEqual([
      { symbol: 'NOPE', code: ErrorCode.UNKNOWN_SYMBOL, message: expect.any(String) },
      { symbol: 'bad symbol!', code: ErrorCode.BAD_REQUEST, message: expect.any(String) },
    ]);
  });

  it('[R3] subscribing twice is harmless: one membership, every tick once', async () => {
    const { url, port } = await serverWith(['AAPL']);
    const socket = await consumer(url);
    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    ok(await subscribe(socket, { symbols: ['AAPL', 'AAPL'] }));
    await port.publish({ ticks: makeTicks('AAPL', 1, 20) });
    await recorder.untilSeq('AAPL', 20);
    expect(recorder.seqs('AAPL')).toEqual(range(1, 20));
  });

  it('[R4] after the unsubscribe ack no tick of that symbol arrives', async () => {
    const { url, port } = await serverWith(['AAPL', 'MSFT']);
    const socket = await consumer(url);
    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL', 'MSFT'] }));
    await port.publish({ ticks: makeTicks('AAPL', 1, 5) });
    const reply = await socket.emitWithAck('unsubscribe', { symbols: ['AAPL', 'ZZZ'] });
    expect(reply).toEqual({ ok: true, unsubscribed: ['AAPL'] });
    const countAtAck = recorder.seqs('AAPL').length;
    await port.publish({ ticks: [...makeTicks('AAPL', 6, 5), ...makeTicks('MSFT', 1, 5)] });
    await recorder.untilSeq('MSFT', 5);
    expect(recorder.seqs('AAPL')).toHaveLength(countAtAck);
    expect(countAtAck).toBe(5);
  });

  it('[R5] every subscriber receives every tick of its symbols, in ascending seq, coalesced across symbols', async () => {
    const symbols = ['AAA', 'BBB', 'CCC'];
    const { url, port } = await serverWith(symbols);
    const sockets = await Promise.all([consumer(url), consumer(url), consumer(url)]);
    const recorders = sockets.map((s) => new TickRecorder(s));
    let frames = 0;
    sockets[0]!.on('ticks', () => frames++);
    await Promise.all(sockets.map((s) => subscribe(s, { symbols })));
    for (let batch = 0; batch < 50; batch++) {
      await port.publish({ ticks: symbols.flatMap((s) => makeTicks(s, batch * 20 + 1, 20)) });
    }
    for (const recorder of recorders) {
      for (const s of symbols) {
        await recorder.untilSeq(s, 1000);
        expect(recorder.seqs(s)).toEqual(range(1, 1000));
      }
    }
    // 3,000 ticks published synchronously in 50 batches: the server coalesced them into far fewer frames.
    expect(frames).toBeLessThan(100);
  });

  it('[R6] the first tick after the ack is snapshot.seq + 1, also while ticks flow fast', async () => {
    const { url, port } = await serverWith(['FAST']);
    let seq = 0;
    let running = true;
    const pump = (async () => {
      while (running) {
        await port.publish({ ticks: makeTicks('FAST', seq + 1, 25) });
        seq += 25;
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 10; i++) {
        const socket = await consumer(url);
        const received: Tick[] = [];
        socket.on('ticks', (ticks) => received.push(...ticks));
        const reply = ok(await subscribe(socket, { symbols: ['FAST'] }));
        const at = reply.subscribed[0]!.snapshot.seq;
        const target = at + 60;
        await new Promise<void>((resolve) => {
          const check = () => ((received.at(-1)?.seq ?? 0) >= target ? resolve() : setTimeout(check, 5));
          check();
        });
        expect(received[0]!.seq).toBe(at + 1);
        expect(received.map((t) => t.seq).slice(0, 60)).toEqual(range(at + 1, at + 60));
        socket.disconnect();
      }
    } finally {
      running = false;
      await pump;
    }
  });

  it('[R7] a resubscribe with a resume point receives every missed tick exactly once, before newer ones', async () => {
    const { url, port } = await serverWith(['AAPL'], 10);
    const first = await consumer(url);
    const reply = ok(await subscribe(first, { symbols: ['AAPL'] }));
    const epoch = reply.subscribed[0]!.epoch;
    expect(reply.subscribed[0]!.snapshot.seq).toBe(10);
    first.disconnect();
    await port.publish({ ticks: makeTicks('AAPL', 11, 40) });

    const second = await consumer(url);
    const recorder = new TickRecorder(second);
    const resumed = ok(await subscribe(second, { symbols: ['AAPL'], resume: { AAPL: { epoch, seq: 10 } } }));
    expect(resumed.subscribed[0]).toMatchObject({ symbol: 'AAPL', epoch, recovered: true });
    await port.publish({ ticks: makeTicks('AAPL', 51, 10) });
    await recorder.untilSeq('AAPL', 60);
    expect(recorder.seqs('AAPL')).toEqual(range(11, 60));
  });

  it('[R8] a resume point outside the history or of another epoch gets recovered: false and a fresh snapshot', async () => {
    const running = await start({ historyTicks: 20 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('AAPL')] });
    await port.publish({ ticks: makeTicks('AAPL', 1, 50) });
    const socket = await consumer(running.url);
    const recorder = new TickRecorder(socket);
    const info = ok(await subscribe(socket, { symbols: ['AAPL'] })).subscribed[0]!;
    await socket.emitWithAck('unsubscribe', { symbols: ['AAPL'] });
    const tooOld = ok(await subscribe(socket, { symbols: ['AAPL'], resume: { AAPL: { epoch: info.epoch, seq: 5 } } }));
    expect(tooOld.subscribed[0]).toMatchObject({ recovered: false, snapshot: { seq: 50 } });
    await socket.emitWithAck('unsubscribe', { symbols: ['AAPL'] });
    const otherEpoch = ok(await subscribe(socket, { symbols: ['AAPL'], resume: { AAPL: { epoch: 'gone', seq: 49 } } }));
    expect(otherEpoch.subscribed[0]).toMatchObject({ recovered: false, snapshot: { seq: 50 } });
    await port.publish({ ticks: makeTicks('AAPL', 51, 1) });
    await recorder.untilSeq('AAPL', 51);
    expect(recorder.seqs('AAPL')).toEqual([51]);
  });

  it('[R9] malformed requests get a BAD_REQUEST error ack and leave the connection and state intact', async () => {
    const { url, port, server } = await serverWith(['AAPL']);
    const socket = await consumer(url);
    const bad: unknown[] = [
      null,
      42,
      'AAPL',
      [],
      {},
      { symbols: 'AAPL' },
      { symbols: [1, 2] },
      { symbols: ['AAPL'], resume: { AAPL: { epoch: 1, seq: 'x' } } },
      { symbols: Array.from({ length: 100_000 }, () => 'A') },
      { symbols: ['X'.repeat(10_000)] },
      { symbols: [{ deep: { deeper: [1, 2, 3] } }] },
    ];
    for (const request of bad) {
      const reply = await subscribe(socket, request);
      expect(reply.ok, JSON.stringify(request).slice(0, 80)).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe(ErrorCode.BAD_REQUEST);
    }
    const unsub = await socket.emitWithAck('unsubscribe', { symbols: 'AAPL' } as never);
    expect(unsub).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    // No ack callback: dropped and counted, never a crash.
    socket.emit('subscribe', { symbols: ['AAPL'] } as never, undefined as never);
    const unknownEvent = await (socket as unknown as { emitWithAck(e: string, v: unknown): Promise<unknown> }).emitWithAck('nonsense', {});
    expect(unknownEvent).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });

    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    await port.publish({ ticks: makeTicks('AAPL', 1, 3) });
    await recorder.untilSeq('AAPL', 3);
    expect(recorder.seqs('AAPL')).toEqual([1, 2, 3]);
    const metrics = await server.metrics.registry.getSingleMetricAsString('feed_requests_rejected_total');
    expect(metrics).toMatch(/event="subscribe",code="BAD_REQUEST"} \d+/);
  });

  it('[R10] a connection cannot hold more than MAX_SUBSCRIPTIONS symbols: TOO_MANY_SYMBOLS', async () => {
    const running = await start({ maxSubscriptions: 3 });
    const port = running.server.localIngest();
    await port.declare({ symbols: ['A', 'B', 'C', 'D'].map((s) => declaration(s)) });
    const socket = await consumer(running.url);
    ok(await subscribe(socket, { symbols: ['A', 'B'] }));
    const over = await subscribe(socket, { symbols: ['C', 'D'] });
    expect(over).toMatchObject({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS } });
    ok(await subscribe(socket, { symbols: ['C', 'A'] }));
    const hits = await running.server.metrics.registry.getSingleMetricAsString('feed_limit_hits_total');
    expect(hits).toContain('limit="subscriptions"} 1');
  });

  it('[R11] subscribe/unsubscribe are rate limited per connection with a token bucket: RATE_LIMITED', async () => {
    const running = await start({ subscribeBurst: 5, subscribeRatePerSec: 1 });
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    const socket = await consumer(running.url);
    const replies = await Promise.all(range(1, 8).map(() => subscribe(socket, { symbols: ['A'] })));
    expect(replies.filter((r) => r.ok)).toHaveLength(5);
    expect(replies.filter((r) => !r.ok && r.error.code === ErrorCode.RATE_LIMITED)).toHaveLength(3);
  });

  it('[R12] each connection is greeted with the protocol version, limits and the feed status', async () => {
    const running = await start({ maxSubscriptions: 7 });
    const { io: connect } = await import('socket.io-client');
    const socket = connect(running.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const welcome = await new Promise((resolve) => socket.once('welcome', resolve));
    socket.disconnect();
    expect(welcome).toMatchObject({ protocolVersion: 1, limits: { maxSubscriptionsPerConnection: 7 }, feed: { mode: 'live' } });
  });

  it('[R13] ticks reach clients over HTTP long-polling too (the standard packet format)', async () => {
    const { url, port, server } = await serverWith(['AAPL']);
    const socket = await consumer(url, { transports: ['polling'] });
    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    await port.publish({ ticks: makeTicks('AAPL', 1, 30) });
    await recorder.untilSeq('AAPL', 30);
    expect(recorder.seqs('AAPL')).toEqual(range(1, 30));
    const frames = await server.metrics.registry.getSingleMetricAsString('feed_frames_out_total');
    expect(frames).toMatch(/path="engine"} [1-9]/);
    expect(frames).not.toMatch(/path="websocket"} [1-9]/);
  });

  it('[R13] a client that starts on long-polling and upgrades to WebSocket while ticks flow gets every tick once, in order', async () => {
    const { url, port, server } = await serverWith(['AAPL']);
    const socket = await consumer(url, { transports: ['polling', 'websocket'] });
    const recorder = new TickRecorder(socket);
    ok(await subscribe(socket, { symbols: ['AAPL'] }));
    // Publish in small batches across the upgrade, so frames go out before, during and after it.
    for (let seq = 1; seq <= 400; seq += 10) {
      await port.publish({ ticks: makeTicks('AAPL', seq, 10) });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await recorder.untilSeq('AAPL', 400);
    expect(recorder.seqs('AAPL')).toEqual(range(1, 400));
    expect(socket.io.engine.transport.name).toBe('websocket');
    const frames = await server.metrics.registry.getSingleMetricAsString('feed_frames_out_total');
    expect(frames).toMatch(/path="websocket"} [1-9]/);
  });

  it('[R31] ready-made WebSocket frames of every length class decode in socket.io-client (a 2,500-tick resume, then live ticks)', async () => {
    const { url, port } = await serverWith(['AAPL'], 1);
    const first = await consumer(url);
    const epoch = ok(await subscribe(first, { symbols: ['AAPL'] })).subscribed[0]!.epoch;
    first.disconnect();
    await port.publish({ ticks: makeTicks('AAPL', 2, 2_500) });

    const second = await consumer(url);
    const frameSizes: number[] = [];
    second.io.engine.on('data', (data) => frameSizes.push(typeof data === 'string' ? Buffer.byteLength(data) : 0));
    const recorder = new TickRecorder(second);
    ok(await subscribe(second, { symbols: ['AAPL'], resume: { AAPL: { epoch, seq: 1 } } }));
    await port.publish({ ticks: makeTicks('AAPL', 2_502, 1) });
    await recorder.untilSeq('AAPL', 2_502);
    expect(recorder.seqs('AAPL')).toEqual(range(2, 2_502));
    // 1,000-tick replay frames need the 64-bit length; a one-tick frame the 16-bit one.
    expect(Math.max(...frameSizes)).toBeGreaterThan(65_535);
    expect(frameSizes.some((n) => n > 125 && n < 65_536)).toBe(true);
  });
});
