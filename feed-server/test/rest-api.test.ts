import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  INTERVAL_MS,
  candlesFromTrades,
  encodeStreamPosition,
  type CandlesResponse,
  type FeedStatus,
  type SymbolsResponse,
  type Tick,
  type TicksResponse,
} from '@tickfeed/protocol';
import { consumer, declaration, makeTicks, range, startServer, stopAll } from './support/harness.js';
import { readSse, sseTicks } from './support/sse.js';

afterEach(stopAll);

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

async function seeded() {
  const running = await startServer();
  const port = running.server.localIngest();
  await port.declare({ symbols: [declaration('AAPL', 99), declaration('MSFT', 400)] });
  await port.publish({ ticks: makeTicks('AAPL', 1, 600) });
  return { ...running, port };
}

describe('REST', () => {
  it('[R20] GET /api/symbols lists the universe with metadata and snapshots; /api/symbols/:symbol one, 404 for unknown', async () => {
    const { url } = await seeded();
    const list = await get<SymbolsResponse>(`${url}/api/symbols`);
    expect(list.status).toBe(200);
    expect(list.body.symbols.map((s) => s.meta.symbol)).toEqual(['AAPL', 'MSFT']);
    expect(list.body.symbols[1]).toMatchObject({ meta: { kind: 'equity', currency: 'USD', tickSize: 0.01 }, snapshot: { seq: 0, last: 400, prevClose: 400 } });
    const one = await get<{ snapshot: { seq: number } }>(`${url}/api/symbols/AAPL`);
    expect(one.body.snapshot.seq).toBe(600);
    const missing = await get(`${url}/api/symbols/NOPE`);
    expect(missing).toEqual({ status: 404, body: { ok: false, error: { code: ErrorCode.UNKNOWN_SYMBOL, message: expect.any(String) } } });
  });

  it('[R21] candles equal the OHLCV computed from the ticks, carry the last seq included, page with before, and reject bad input', async () => {
    const { url } = await seeded();
    const ticks = makeTicks('AAPL', 1, 600);
    for (const interval of ['1s', '5s', '1m', '1h', '1d'] as const) {
      const { status, body } = await get<CandlesResponse>(`${url}/api/symbols/AAPL/candles?interval=${interval}&limit=2000`);
      expect(status).toBe(200);
      expect(body.seq).toBe(600);
      // AAPL is an equity: its 1d candle is the New York session (P33), the intraday ones UTC buckets.
      expect(body.candles).toEqual(candlesFromTrades(ticks, INTERVAL_MS[interval], undefined, 'us-equity'));
    }
    const all = candlesFromTrades(ticks, INTERVAL_MS['1m']);
    const before = all[2]!.time;
    const page = await get<CandlesResponse>(`${url}/api/symbols/AAPL/candles?interval=1m&limit=1&before=${before}`);
    expect(page.body.candles).toEqual([all[1]]);
    expect((await get(`${url}/api/symbols/AAPL/candles?interval=7m`)).status).toBe(400);
    expect((await get(`${url}/api/symbols/AAPL/candles?limit=0`)).status).toBe(400);
    expect((await get(`${url}/api/symbols/AAPL/candles?limit=abc`)).status).toBe(400);
    const bad = await get<{ error: { code: string } }>(`${url}/api/symbols/AAPL/candles?limit=100000`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: ErrorCode.BAD_REQUEST } } });
  });

  it('[R22] recent ticks: the newest `limit`, or those after a seq, with `complete` telling whether history still held them', async () => {
    const running = await startServer({ historyTicks: 100 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('AAPL')] });
    await port.publish({ ticks: makeTicks('AAPL', 1, 300) });
    const latest = await get<TicksResponse>(`${running.url}/api/symbols/AAPL/ticks?limit=3`);
    expect(latest.body.ticks.map((t) => t.seq)).toEqual([298, 299, 300]);
    const after = await get<TicksResponse>(`${running.url}/api/symbols/AAPL/ticks?after=250&limit=10`);
    expect(after.body).toMatchObject({ seq: 300, complete: true });
    expect(after.body.ticks.map((t) => t.seq)).toEqual(range(251, 260));
    const lost = await get<TicksResponse>(`${running.url}/api/symbols/AAPL/ticks?after=10&limit=5`);
    expect(lost.body.complete).toBe(false);
  });

  it('[R23] /healthz, /readyz and /metrics answer; metrics count connections, subscriptions and ticks', async () => {
    const { url } = await seeded();
    const client = await consumer(url);
    await client.emitWithAck('subscribe', { symbols: ['AAPL', 'MSFT'] });
    expect((await get(`${url}/healthz`)).body).toMatchObject({ status: 'ok' });
    expect((await get(`${url}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^feed_connections 1$/m);
    expect(text).toMatch(/^feed_subscriptions 2$/m);
    expect(text).toMatch(/^feed_ticks_in_total 600$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^feed_flush_interval_seconds_bucket/m);
  });

  it('[R24] OpenAPI docs are served at /docs and describe the routes', async () => {
    const { url } = await seeded();
    const spec = await get<{ paths: Record<string, unknown> }>(`${url}/docs/json`);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/symbols', '/api/symbols/{symbol}/candles', '/api/stream', '/api/feed/control']));
    expect((await fetch(`${url}/docs`)).status).toBe(200);
  });

  it('[R25] feed status from the publisher reaches every client as feed:status and GET /api/feed', async () => {
    const { url, port } = await seeded();
    const client = await consumer(url);
    const status: FeedStatus = { mode: 'replay', state: 'playing', speed: 60, clock: 1_340_285_400_000, loop: false, completions: 0, marker: null, source: 'AMZN tape', controllable: false };
    const received = new Promise((resolve) => client.once('feed:status', resolve));
    port.status(status);
    expect(await received).toEqual(status);
    expect((await get(`${url}/api/feed`)).body).toEqual(status);
  });

  it('[R26] POST /api/feed/control needs the admin token and reaches the controllable publisher', async () => {
    const { url, port } = await seeded();
    const post = (body: unknown, token?: string) =>
      fetch(`${url}/api/feed/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ action: 'pause' })).status).toBe(401);
    expect((await post({ action: 'pause' }, 'wrong')).status).toBe(401);
    expect((await post({ action: 'pause' }, 'test-admin')).status).toBe(409);
    const commands: unknown[] = [];
    let status: FeedStatus = { mode: 'replay', state: 'playing', speed: 1, clock: 0, loop: false, completions: 0, marker: null, source: 'x', controllable: true };
    port.onControl((command) => {
      commands.push(command);
      status = { ...status, state: command.action === 'pause' ? 'paused' : 'playing' };
      return { ok: true, status };
    });
    port.status(status);
    const res = await post({ action: 'pause' }, 'test-admin');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, status: { state: 'paused' } });
    expect((await post({ action: 'speed', speed: 60 }, 'test-admin')).status).toBe(200);
    expect((await post({ action: 'speed', speed: 'max' }, 'test-admin')).status).toBe(200);
    expect((await post({ action: 'seek', to: 1_340_285_400_000 }, 'test-admin')).status).toBe(200);
    expect((await post({ action: 'resume' }, 'test-admin')).status).toBe(200);
    expect((await post({ action: 'speed', speed: -1 }, 'test-admin')).status).toBe(400);
    expect((await post({ action: 'seek' }, 'test-admin')).status).toBe(400);
    expect((await post({ action: 'pause', extra: 1 }, 'test-admin')).status).toBe(400);
    expect((await post({ action: 'explode' }, 'test-admin')).status).toBe(400);
    expect(commands).toEqual([
      { action: 'pause' },
      { action: 'speed', speed: 60 },
      { action: 'speed', speed: 'max' },
      { action: 'seek', to: 1_340_285_400_000 },
      { action: 'resume' },
    ]);
  });
});


describe('Server-Sent Events', () => {
  it('[R27] GET /api/stream sends a snapshot per symbol, then ticks whose event id resumes exactly with Last-Event-ID', async () => {
    const { url, port } = await seeded();
    let published = 600;
    let streamOpen!: () => void;
    const opened = new Promise<void>((resolve) => (streamOpen = resolve));
    const firstEvents = readSse(
      `${url}/api/stream?symbols=AAPL`,
      {},
      (events) => sseTicks(events).length >= 50,
      (event) => event.event === 'subscribed' && streamOpen(),
    ).then((read) => read.events);
    await opened;
    for (let i = 0; i < 10; i++) {
      await port.publish({ ticks: makeTicks('AAPL', published + 1, 10) });
      published += 10;
    }
    const first = await firstEvents;
    const subscribed = JSON.parse(first.find((e) => e.event === 'subscribed')!.data) as { snapshot: { seq: number }; epoch: string };
    expect(subscribed.snapshot.seq).toBe(600);
    const got = sseTicks(first);
    expect(got.map((t) => t.seq)).toEqual(range(601, 600 + got.length));
    const lastId = first.filter((e) => e.event === 'ticks').at(-1)!.id!;
    expect(lastId).toBe(encodeStreamPosition(new Map([['AAPL', { epoch: subscribed.epoch, seq: got.at(-1)!.seq }]])));

    await port.publish({ ticks: makeTicks('AAPL', published + 1, 20) });
    published += 20;
    const { events: resumed } = await readSse(`${url}/api/stream?symbols=AAPL`, { 'last-event-id': lastId }, (events) => (sseTicks(events).at(-1)?.seq ?? 0) >= published);
    const resumedSub = JSON.parse(resumed.find((e) => e.event === 'subscribed')!.data) as { recovered: boolean };
    expect(resumedSub.recovered).toBe(true);
    expect(sseTicks(resumed).map((t) => t.seq)).toEqual(range(got.at(-1)!.seq + 1, published));
  });

  it('[R28] GET /api/stream rejects unknown symbols (404) and too many symbols (400)', async () => {
    const { url } = await seeded();
    expect((await fetch(`${url}/api/stream?symbols=AAPL,NOPE`)).status).toBe(404);
    expect((await fetch(`${url}/api/stream`)).status).toBe(400);
  });
});
