import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type Snapshot, type SubscribeReply, type Subscribed } from '@tickfeed/protocol';
import { consumer, declaration, makeTicks, startServer, stopAll, type ConsumerClient } from './support/harness.js';
import { readSse, type SseEvent } from './support/sse.js';
import { jwtConfig, mint } from './support/tokens.js';
import type { ServerConfig } from '../src/config.js';

afterEach(stopAll);

async function serverWith(symbols: string[], ticksEach = 0, overrides: Partial<ServerConfig> = {}) {
  const running = await startServer(overrides);
  const port = running.server.localIngest();
  expect((await port.declare({ symbols: symbols.map((s) => declaration(s)) })).ok).toBe(true);
  for (const s of symbols) if (ticksEach > 0) await port.publish({ ticks: makeTicks(s, 1, ticksEach) });
  return { ...running, port };
}

/** A `quotes` SSE stream read in the background, each quotes event with its arrival time. */
function openQuotes(url: string, headers: Record<string, string> = {}) {
  const frames: { at: number; quotes: Snapshot[] }[] = [];
  const events: SseEvent[] = [];
  let done = false;
  const read = readSse(
    url,
    headers,
    () => done,
    (event) => {
      events.push(event);
      if (event.event === 'quotes') frames.push({ at: performance.now(), quotes: JSON.parse(event.data) as Snapshot[] });
    },
  );
  const latest = (symbol: string): Snapshot | undefined => {
    for (let i = frames.length - 1; i >= 0; i--) {
      const quote = frames[i]!.quotes.find((q) => q.symbol === symbol);
      if (quote !== undefined) return quote;
    }
    return undefined;
  };
  return {
    frames,
    events,
    latest,
    subscribed: () => events.filter((e) => e.event === 'subscribed').map((e) => JSON.parse(e.data) as Subscribed),
    untilSeq: (symbol: string, seq: number) => vi.waitFor(() => expect(latest(symbol)?.seq ?? -1).toBeGreaterThanOrEqual(seq), { timeout: 5_000, interval: 5 }),
    /** Closes the stream at the next event it reads. */
    close: () => {
      done = true;
    },
    read,
  };
}

async function restSnapshot(url: string, symbol: string): Promise<Snapshot> {
  const response = await fetch(`${url}/api/symbols/${symbol}`);
  return ((await response.json()) as { snapshot: Snapshot }).snapshot;
}

function subscribe(socket: ConsumerClient, request: unknown): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', request as never);
}

describe('SSE quotes (GET /api/stream?throttleMs=)', () => {
  it('[Q20] a symbol ticking 1,000 times in a second gives at most about one quotes event per 250 ms, the last with the latest snapshot; subscribed first, no ticks', async () => {
    const { url, port } = await serverWith(['AAPL'], 3);
    const stream = openQuotes(`${url}/api/stream?symbols=AAPL&throttleMs=250`);
    await vi.waitFor(() => expect(stream.subscribed()).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(stream.subscribed()[0]).toEqual({ symbol: 'AAPL', epoch: expect.any(String), snapshot: await restSnapshot(url, 'AAPL') });
    const all = makeTicks('AAPL', 4, 1_000);
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      await port.publish({ ticks: all.slice(i * 50, (i + 1) * 50) });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stream.untilSeq('AAPL', 1_003);
    const elapsed = performance.now() - started;
    expect(stream.frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(stream.frames.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < stream.frames.length; i++) expect(stream.frames[i]!.at - stream.frames[i - 1]!.at).toBeGreaterThan(150);
    for (const frame of stream.frames) expect(frame.quotes.map((q) => q.symbol)).toEqual(['AAPL']);
    const seqs = stream.frames.map((f) => f.quotes[0]!.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(stream.latest('AAPL')).toEqual(await restSnapshot(url, 'AAPL'));
    expect(stream.events.some((e) => e.event === 'ticks')).toBe(false);
    // Quotes carry no id: there is no position to resume.
    expect(stream.events.filter((e) => e.event === 'quotes').every((e) => e.id === undefined)).toBe(true);
    stream.close();
    await port.publish({ ticks: makeTicks('AAPL', 1_004, 1) });
    await stream.read;
  });

  it('[Q21] throttleMs is 0 or 100..60,000 (else 400 BAD_REQUEST), rounded and raised to QUOTES_MIN_THROTTLE_MS as on Socket.IO; not with book=1', async () => {
    const { url } = await serverWith(['AAPL'], 1, { quotesMinThrottleMs: 500 });
    for (const bad of ['50', '60001', '-1', '250.5', 'abc', '']) {
      const res = await readSse(`${url}/api/stream?symbols=AAPL&throttleMs=${bad}`, {}, () => true);
      expect(res.status, bad).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    }
    const withBook = await readSse(`${url}/api/stream?symbols=AAPL&throttleMs=250&book=1`, {}, () => true);
    expect(withBook.status).toBe(400);
    expect(JSON.parse(withBook.body)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    for (const [requested, applied] of [
      ['250', '500'],
      ['1020', '1000'],
    ] as const) {
      const abort = new AbortController();
      const res = await fetch(`${url}/api/stream?symbols=AAPL&throttleMs=${requested}`, { signal: abort.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-throttle-ms')).toBe(applied);
      abort.abort();
    }
  });

  it('[Q22] SSE streams share the quote buckets with Socket.IO: one leaving does not stop the other', async () => {
    const { url, port } = await serverWith(['AAPL'], 1);
    const socket = await consumer(url);
    const quoted: Snapshot[] = [];
    socket.on('quotes', (quotes) => quoted.push(...quotes));
    expect((await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 })).ok).toBe(true);
    const stream = openQuotes(`${url}/api/stream?symbols=AAPL&throttleMs=100`);
    await vi.waitFor(() => expect(stream.subscribed()).toHaveLength(1), { timeout: 5_000, interval: 5 });
    await port.publish({ ticks: makeTicks('AAPL', 2, 5) });
    await stream.untilSeq('AAPL', 6);
    await vi.waitFor(() => expect(quoted.at(-1)?.seq).toBe(6), { timeout: 5_000, interval: 5 });
    // The Socket.IO room goes; the stream still holds the symbol at 100 ms.
    expect(await socket.timeout(5_000).emitWithAck('unsubscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true });
    await port.publish({ ticks: makeTicks('AAPL', 7, 5) });
    await stream.untilSeq('AAPL', 11);
    // And the other way round: the stream goes, the socket's quotes continue.
    expect((await subscribe(socket, { symbols: ['AAPL'], throttleMs: 100 })).ok).toBe(true);
    stream.close();
    await port.publish({ ticks: makeTicks('AAPL', 12, 1) });
    await stream.read;
    await port.publish({ ticks: makeTicks('AAPL', 13, 3) });
    await vi.waitFor(() => expect(quoted.at(-1)?.seq).toBe(15), { timeout: 5_000, interval: 5 });
  });

  it('[Q23] a reconnect with Last-Event-ID gets fresh snapshots (no recovered, no replay): quotes do not resume', async () => {
    const { url, port } = await serverWith(['AAPL'], 5);
    let opened = false;
    const tickStream = readSse(`${url}/api/stream?symbols=AAPL`, {}, (events) => events.some((e) => e.event === 'ticks'), (e) => {
      if (e.event === 'feed:status') opened = true;
    });
    await vi.waitFor(() => expect(opened).toBe(true), { timeout: 5_000, interval: 5 });
    await port.publish({ ticks: makeTicks('AAPL', 6, 1) });
    const lastEventId = (await tickStream).events.find((e) => e.event === 'ticks')!.id!;
    expect(lastEventId).toBeTruthy();
    await port.publish({ ticks: makeTicks('AAPL', 7, 5) });
    const stream = openQuotes(`${url}/api/stream?symbols=AAPL&throttleMs=100`, { 'last-event-id': lastEventId });
    await vi.waitFor(() => expect(stream.events.some((e) => e.event === 'feed:status')).toBe(true), { timeout: 5_000, interval: 5 });
    expect(stream.subscribed()).toEqual([{ symbol: 'AAPL', epoch: expect.any(String), snapshot: await restSnapshot(url, 'AAPL') }]);
    expect(stream.events.some((e) => e.event === 'ticks' || e.event === 'resumed')).toBe(false);
    stream.close();
    await port.publish({ ticks: makeTicks('AAPL', 12, 1) });
    await stream.read;
  });

  it('[Q24] the entitlement applies as to the tick stream: a symbol outside the claims is 403; covered ones get quotes', async () => {
    const running = await startServer(jwtConfig());
    const port = running.server.localIngest();
    await port.declare({ symbols: ['AAPL', 'MSFT'].map((s) => declaration(s)) });
    const token = await mint({ sub: 'alice', symbols: ['AAPL'] });
    const refused = await readSse(`${running.url}/api/stream?symbols=AAPL,MSFT&throttleMs=100`, { authorization: `Bearer ${token}` }, () => true);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    const anonymous = await readSse(`${running.url}/api/stream?symbols=AAPL&throttleMs=100`, {}, () => true);
    expect(anonymous.status).toBe(401);
    const stream = openQuotes(`${running.url}/api/stream?symbols=AAPL&throttleMs=100&access_token=${token}`);
    await vi.waitFor(() => expect(stream.subscribed()).toHaveLength(1), { timeout: 5_000, interval: 5 });
    await port.publish({ ticks: makeTicks('AAPL', 1, 3) });
    await stream.untilSeq('AAPL', 3);
    stream.close();
    await port.publish({ ticks: makeTicks('AAPL', 4, 1) });
    await stream.read;
  });
});
