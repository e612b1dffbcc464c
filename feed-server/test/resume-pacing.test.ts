import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect as tcpConnect, type Socket as NetSocket } from 'node:net';
import { decodeStreamPosition, encodeStreamPosition, type IngestPort, type ResumePoint, type Tick } from '@tickfeed/protocol';
import { REPLAY_WINDOW_FRAMES } from '../src/delivery/replay-cursors.js';
import { TickRecorder, consumer, declaration, makeTicks, range, startServer, stopAll, onCleanup, type RunningServer } from './support/harness.js';
import { rawSocketIo } from './support/raw-websocket.js';
import { readSse, sseTicks } from './support/sse.js';

afterEach(stopAll);

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

async function metrics(running: RunningServer): Promise<string> {
  return running.server.metrics.registry.metrics();
}

async function loadHistory(port: IngestPort, symbols: readonly string[], count: number): Promise<void> {
  await port.declare({ symbols: symbols.map((s) => declaration(s)) });
  for (const symbol of symbols) {
    for (let from = 1; from <= count; from += 5_000) await port.publish({ ticks: makeTicks(symbol, from, Math.min(5_000, count - from + 1)) });
  }
}

/** Publishes `perSymbol` more ticks of each symbol, continuing their sequences. */
async function publishMore(running: RunningServer, port: IngestPort, symbols: readonly string[], perSymbol: number): Promise<void> {
  await port.publish({ ticks: symbols.flatMap((s) => makeTicks(s, running.server.core.market.get(s)!.stats.seq + 1, perSymbol)) });
}

const nextFlush = () => new Promise((resolve) => setTimeout(resolve, 25));

/** The server's side of the TCP connection whose client end is `client`. */
function serverSideOf(running: RunningServer): (client: NetSocket) => NetSocket {
  const sockets: NetSocket[] = [];
  running.server.fastify.server.on('connection', (socket: NetSocket) => sockets.push(socket));
  return (client) => {
    const found = sockets.find((s) => s.remotePort === client.localPort);
    if (found === undefined) throw new Error('no server-side socket for this client');
    return found;
  };
}

/** A raw SSE request that never reads its response. */
function stalledSse(running: RunningServer, path: string, lastEventId?: string): NetSocket {
  const socket = tcpConnect(running.port, '127.0.0.1');
  socket.on('error', () => undefined);
  onCleanup(() => {
    socket.destroy();
  });
  const header = lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`;
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\n${header}\r\n`);
  socket.pause();
  return socket;
}

describe('resume replays over Socket.IO', () => {
  it('[H11] a client that resumes 49,999 ticks back on 8 symbols and never reads has at most the replay window in flight, and is conflated once history passes its replay', async () => {
    const symbols = range(0, 7).map((i) => `S${i}`);
    const running = await startServer({ slowConsumerMaxFrames: 20, historyTicks: 50_000, pingIntervalMs: 60_000, pingTimeoutMs: 60_000 });
    const port = running.server.localIngest();
    // About 38 MB of missed ticks: far more than the kernel's socket buffers take from a client that stopped reading.
    await loadHistory(port, symbols, 50_000);
    const healthy = await consumer(running.url);
    const recorder = new TickRecorder(healthy);
    await healthy.emitWithAck('subscribe', { symbols });

    const raw = await rawSocketIo(running.port);
    onCleanup(() => raw.destroy());
    const resume = Object.fromEntries(symbols.map((s) => [s, { epoch: running.server.core.market.get(s)!.epoch, seq: 1 }]));
    raw.send(`421${JSON.stringify(['subscribe', { symbols, resume }])}`);
    raw.stopReading();
    await vi.waitFor(() => expect(running.server.io.of('/').adapter.rooms.get('S0')?.size).toBe(2));

    // 400,000 missed ticks (400 frames) would be written at once without pacing; the cap here is 20.
    let maxInflight = 0;
    let conflated = false;
    for (let round = 0; round < 200 && !conflated; round++) {
      const text = await metrics(running);
      maxInflight = Math.max(maxInflight, metric(text, 'feed_outbound_frames_inflight'));
      conflated = metric(text, 'feed_conflating_clients') === 1;
      await publishMore(running, port, symbols, 5);
      await nextFlush();
    }
    expect(maxInflight).toBeGreaterThan(0);
    expect(maxInflight).toBeLessThanOrEqual(REPLAY_WINDOW_FRAMES);
    expect(conflated).toBe(true);
    expect(await running.server.metrics.registry.getSingleMetricAsString('feed_slow_consumers_total')).toContain('policy="conflate"} 1');

    const last = running.server.core.market.get('S0')!.stats.seq;
    for (const s of symbols) await recorder.untilSeq(s, last);
    // The healthy client subscribed after the history was loaded: it gets every live tick, in order.
    for (const s of symbols) expect(recorder.seqs(s)).toEqual(range(50_001, last));
  });

  it('[H11] a client that resumes 18,000 ticks back while ticks flow gets the missed ticks in frames of at most 1,000, then the live ones: each tick once, in order', async () => {
    const symbols = ['A', 'B', 'C', 'D'];
    const running = await startServer({ historyTicks: 20_000 });
    const port = running.server.localIngest();
    await loadHistory(port, symbols, 20_000);
    const epoch = (s: string) => running.server.core.market.get(s)!.epoch;
    const client = await consumer(running.url);
    const recorder = new TickRecorder(client);
    let largestFrame = 0;
    client.on('ticks', (ticks) => (largestFrame = Math.max(largestFrame, ticks.length)));

    let publishing = true;
    const live = (async () => {
      while (publishing) {
        await publishMore(running, port, symbols, 3);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const reply = await client.emitWithAck('subscribe', { symbols, resume: Object.fromEntries(symbols.map((s) => [s, { epoch: epoch(s), seq: 2_000 }])) });
    expect(reply.ok && reply.subscribed.every((s) => s.recovered === true)).toBe(true);
    await recorder.until(() => symbols.every((s) => recorder.seqs(s).length >= 18_000 + 30));
    publishing = false;
    await live;
    const last = running.server.core.market.get('A')!.stats.seq;
    for (const s of symbols) await recorder.untilSeq(s, last);
    for (const s of symbols) expect(recorder.seqs(s)).toEqual(range(2_001, last));
    expect(largestFrame).toBeLessThanOrEqual(1_000);
  });

  it('[H11] [R4] an unsubscribe during a paced replay ends it: after the ack no tick of that symbol arrives', async () => {
    const running = await startServer({ historyTicks: 50_000 });
    const port = running.server.localIngest();
    await loadHistory(port, ['A', 'B'], 50_000);
    const epoch = running.server.core.market.get('A')!.epoch;
    const client = await consumer(running.url);
    const recorder = new TickRecorder(client);
    await client.emitWithAck('subscribe', { symbols: ['B'] });
    const subscribed = client.emitWithAck('subscribe', { symbols: ['A'], resume: { A: { epoch, seq: 0 } } });
    const unsubscribed = client.emitWithAck('unsubscribe', { symbols: ['A'] });
    await subscribed;
    await unsubscribed;
    const atAck = recorder.seqs('A').length;
    // The replay had started (paced, so not all 50,000 ticks went out before the unsubscribe).
    expect(atAck).toBeGreaterThan(0);
    expect(atAck).toBeLessThan(50_000);
    for (let round = 0; round < 5; round++) {
      await publishMore(running, port, ['A', 'B'], 1);
      await recorder.untilSeq('B', running.server.core.market.get('B')!.stats.seq);
      await nextFlush();
    }
    expect(recorder.seqs('A').length).toBe(atAck);
  });
});


describe('resume replays over Server-Sent Events', () => {
  it('[H12] a stream that resumes 49,999 ticks back and never reads is registered at once, buffers at most about one replay frame, and is destroyed once history passes its replay', async () => {
    const symbols = range(0, 7).map((i) => `S${i}`);
    const running = await startServer({ historyTicks: 50_000, pingIntervalMs: 60_000, pingTimeoutMs: 60_000 });
    const serverSide = serverSideOf(running);
    const port = running.server.localIngest();
    // About 38 MB of missed ticks: far more than the kernel's socket buffers take from a client that never reads.
    await loadHistory(port, symbols, 50_000);
    const positions = new Map<string, ResumePoint>(symbols.map((s) => [s, { epoch: running.server.core.market.get(s)!.epoch, seq: 1 }]));
    const client = stalledSse(running, `/api/stream?symbols=${symbols.join(',')}`, encodeStreamPosition(positions));
    await vi.waitFor(async () => expect(metric(await metrics(running), 'feed_sse_clients')).toBe(1));
    const server = serverSide(client);
    // Paced by drain, only what the kernel took plus one frame was written.
    expect(server.writableLength).toBeLessThan(250_000);

    let rounds = 0;
    while (!server.destroyed && rounds++ < 100) {
      await publishMore(running, port, symbols, 2);
      await nextFlush();
    }
    expect(server.destroyed).toBe(true);
    const text = await metrics(running);
    expect(metric(text, 'feed_sse_clients')).toBe(0);
    expect(text).toContain('feed_limit_hits_total{limit="sse_history"} 1');
  });

  it('[H12] a stream over SSE_MAX_BUFFERED_BYTES is destroyed, not ended: its connection and buffered data are freed at once', async () => {
    const running = await startServer({ sseMaxBufferedBytes: 64 * 1024, pingIntervalMs: 60_000, pingTimeoutMs: 60_000 });
    const serverSide = serverSideOf(running);
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('A')] });
    const client = stalledSse(running, '/api/stream?symbols=A');
    await vi.waitFor(async () => expect(metric(await metrics(running), 'feed_sse_clients')).toBe(1));
    const server = serverSide(client);
    // Far more than the kernel's buffers hold for a reader that stopped (about 25 MB in all).
    let rounds = 0;
    while (!server.destroyed && rounds++ < 50) {
      await publishMore(running, port, ['A'], 5_000);
      await nextFlush();
    }
    expect(server.destroyed).toBe(true);
    expect(server.writableLength).toBe(0);
    const text = await metrics(running);
    expect(metric(text, 'feed_sse_clients')).toBe(0);
    expect(text).toContain('feed_limit_hits_total{limit="sse_buffer"} 1');
  });

  it('[H12] [R27] a stream that resumes 6,000 ticks back while ticks flow gets every missed tick once, in order, then `resumed`, then live ticks; every id resumes exactly', async () => {
    const symbols = ['A', 'B'];
    const running = await startServer();
    const port = running.server.localIngest();
    await loadHistory(port, symbols, 10_000);
    const epoch = (s: string) => running.server.core.market.get(s)!.epoch;
    const from = new Map<string, ResumePoint>(symbols.map((s) => [s, { epoch: epoch(s), seq: 4_000 }]));
    let publishing = true;
    const live = (async () => {
      while (publishing) {
        await publishMore(running, port, symbols, 2);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let resumed = false;
    let target = Number.POSITIVE_INFINITY;
    const reading = readSse(`${running.url}/api/stream?symbols=A,B`, { 'last-event-id': encodeStreamPosition(from) }, (got) => {
      if (!resumed && got.some((e) => e.event === 'resumed')) {
        resumed = true;
        publishing = false;
      }
      const ticks = sseTicks(got);
      return symbols.every((s) => ticks.filter((t) => t.symbol === s).at(-1)?.seq === target);
    });
    await vi.waitFor(() => expect(resumed).toBe(true), { timeout: 20_000 });
    await live;
    // One more tick each once the target is known, so the reader sees data after it was set.
    target = running.server.core.market.get('A')!.stats.seq + 1;
    await publishMore(running, port, symbols, 1);
    const { events } = await reading;
    const ticks = sseTicks(events);
    for (const s of symbols) expect(ticks.filter((t) => t.symbol === s).map((t) => t.seq)).toEqual(range(4_001, target));
    const subscribed = events.filter((e) => e.event === 'subscribed').map((e) => JSON.parse(e.data) as { recovered: boolean });
    expect(subscribed.every((s) => s.recovered)).toBe(true);
    // Each ticks event's id is the position after it: what a reconnect would resume from.
    const seen = new Map(symbols.map((s) => [s, 4_000]));
    for (const event of events) {
      if (event.event === 'ticks') for (const t of JSON.parse(event.data) as Tick[]) seen.set(t.symbol, t.seq);
      if (event.event === 'ticks' || event.event === 'resumed') {
        const id = decodeStreamPosition(event.id!);
        for (const s of symbols) expect(id.get(s)).toEqual({ epoch: epoch(s), seq: seen.get(s) });
      }
    }
  });
});
