import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { io as connect } from 'socket.io-client';
import pino from 'pino';
import {
  ErrorCode,
  encodeStreamPosition,
  type FeedStatus,
  type SubscribeReply,
  type SymbolsResponse,
  type Tick,
} from '@tickfeed/protocol';
import { connected, declaration, makeTicks, publisher, startServer, stopAll, type ConsumerClient } from '../support/harness.js';
import { readSse, sseTicks } from '../support/sse.js';
import { TEST_SECRET, jwtConfig, mint } from '../support/tokens.js';
import type { ServerConfig } from '../../src/config.js';

afterEach(stopAll);

async function seeded(overrides: Partial<ServerConfig> = {}, logger?: pino.Logger) {
  const running = await startServer(jwtConfig(overrides), logger !== undefined ? { logger } : {});
  const port = running.server.localIngest();
  await port.declare({ symbols: [declaration('AAPL', 99), declaration('MSFT', 400)] });
  await port.publish({ ticks: [...makeTicks('AAPL', 1, 50), ...makeTicks('MSFT', 1, 50)] });
  return { ...running, port };
}

async function get(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.json() };
}


const unauthorized = { ok: false, error: { code: ErrorCode.UNAUTHORIZED, message: expect.any(String) } };
const forbidden = { ok: false, error: { code: ErrorCode.FORBIDDEN, message: expect.any(String) } };

describe('REST access control', () => {
  it('[A13] every market-data route answers 401 UNAUTHORIZED without a valid token, before validating the request', async () => {
    const { url } = await seeded();
    const expired = await mint({ symbols: ['*'] }, { ttlSec: -60 });
    const forged = await mint({ symbols: ['*'] }, { secret: 'an-attacker-secret-0123456789-abcdefgh' });
    for (const path of ['/api/symbols', '/api/symbols/AAPL', '/api/symbols/AAPL/candles', '/api/symbols/AAPL/ticks?after=1', '/api/feed', '/api/symbols/AAPL/candles?interval=7m', '/api/stream?symbols=AAPL']) {
      for (const token of [undefined, 'junk', expired, forged]) {
        const res = await fetch(`${url}${path}`, token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {});
        expect([path, res.status, await res.json()]).toEqual([path, 401, unauthorized]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
  });

  it('[A13] /api/symbols lists only the entitled symbols; snapshot, candles and ticks are 403 FORBIDDEN outside the claims', async () => {
    const { url } = await seeded();
    const token = await mint({ symbols: ['AAPL'] });
    const list = await get(`${url}/api/symbols`, token);
    expect((list.body as SymbolsResponse).symbols.map((s) => s.meta.symbol)).toEqual(['AAPL']);
    for (const path of ['', '/candles', '/ticks', '/ticks?after=10']) {
      expect((await get(`${url}/api/symbols/AAPL${path}`, token)).status).toBe(200);
      expect(await get(`${url}/api/symbols/MSFT${path}`, token)).toEqual({ status: 403, body: forbidden });
    }
    // A symbol outside the claims is 403 whether or not it exists: the answer does not reveal the universe.
    expect(await get(`${url}/api/symbols/NOPE`, token)).toEqual({ status: 403, body: forbidden });
    expect((await get(`${url}/api/symbols/NOPE`, await mint({ symbols: ['*'] }))).status).toBe(404);
    expect((await get(`${url}/api/feed`, token)).status).toBe(200);
  });

  it('[A14] SSE takes the token from the header or access_token; symbols outside the claims are 403; Last-Event-ID positions of other symbols are never served', async () => {
    const { url, port } = await seeded();
    const token = await mint({ symbols: ['AAPL'] });
    expect((await readSse(`${url}/api/stream?symbols=AAPL,MSFT`, { authorization: `Bearer ${token}` }, () => true)).status).toBe(403);
    expect((await readSse(`${url}/api/stream?symbols=MSFT&access_token=${token}`, {}, () => true)).status).toBe(403);
    const viaHeader = await readSse(`${url}/api/stream?symbols=AAPL`, { authorization: `Bearer ${token}` }, (events) => events.some((e) => e.event === 'subscribed'));
    expect(viaHeader.status).toBe(200);

    const everything = await mint({ sub: 'ops', symbols: ['*'] });
    const opened = await readSse(`${url}/api/stream?symbols=AAPL,MSFT&access_token=${everything}`, {}, (events) => events.filter((e) => e.event === 'subscribed').length === 2);
    const epochs = new Map(opened.events.filter((e) => e.event === 'subscribed').map((e) => {
      const sub = JSON.parse(e.data) as { symbol: string; epoch: string };
      return [sub.symbol, sub.epoch] as const;
    }));
    const lastEventId = encodeStreamPosition(new Map([['AAPL', { epoch: epochs.get('AAPL')!, seq: 40 }], ['MSFT', { epoch: epochs.get('MSFT')!, seq: 1 }]]));
    await port.publish({ ticks: makeTicks('AAPL', 51, 1) });
    const resumed = await readSse(`${url}/api/stream?symbols=AAPL&access_token=${token}`, { 'last-event-id': lastEventId }, (events) => sseTicks(events).some((t) => t.seq === 51));
    expect(sseTicks(resumed.events).map((t) => t.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51]);
    expect(resumed.body).not.toContain('MSFT');
  });

  it('[A15] health and readiness stay open; /metrics is open, or behind METRICS_TOKEN when set', async () => {
    const open = await seeded();
    expect((await fetch(`${open.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    const guarded = await seeded({ metricsToken: 'metrics-secret' });
    expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${await mint({ symbols: ['*'] })}` } })).status).toBe(401);
    const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('feed_connections');
  });

  it('[A16] POST /api/feed/control takes ADMIN_TOKEN or an access token with replayControl; a token without it is 403; no token is 401 before the body is validated', async () => {
    const { url } = await seeded();
    const ingest = await publisher(url);
    const status: FeedStatus = { mode: 'replay', state: 'playing', speed: 1, clock: 0, loop: false, completions: 0, marker: null, source: 'x', controllable: true };
    ingest.emit('status', status);
    ingest.on('control', (command, ack) => ack({ ok: true, status: { ...status, state: command.action === 'pause' ? 'paused' : 'playing' } }));
    const post = (token: string | undefined, body: unknown) =>
      fetch(`${url}/api/feed/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const operator = await mint({ sub: 'carol', symbols: [], replayControl: true });
    await expect.poll(async () => (await post(operator, { action: 'pause' })).status, { timeout: 2_000 }).toBe(200);
    expect((await post('test-admin', { action: 'pause' })).status).toBe(200);
    const viewer = await post(await mint({ symbols: ['*'] }), { action: 'pause' });
    expect([viewer.status, await viewer.json()]).toEqual([403, forbidden]);
    const anonymous = await post(undefined, { bogus: true });
    expect([anonymous.status, await anonymous.json()]).toEqual([401, unauthorized]);
    expect((await post('junk', { action: 'pause' })).status).toBe(401);
  });
});

describe('leak hunt', () => {
  it('[A8][A13][A14] a user entitled to AAPL only gets no MSFT data on any path', async () => {
    const { url, port } = await seeded();
    const token = await mint({ symbols: ['AAPL'] });
    const seen: string[] = [];

    // Socket.IO: subscribe, resume, then a burst of MSFT ticks.
    const socket = await connected<ConsumerClient>(connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } }));
    socket.onAny((event: string, ...args: unknown[]) => seen.push(`socket ${event} ${JSON.stringify(args)}`));
    const sub: SubscribeReply = await socket.emitWithAck('subscribe', { symbols: ['MSFT'] });
    const resume: SubscribeReply = await socket.emitWithAck('subscribe', { symbols: ['MSFT', 'AAPL'], resume: { MSFT: { epoch: 'x', seq: 1 } } });
    const unsub = await socket.emitWithAck('unsubscribe', { symbols: ['MSFT'] });
    seen.push(JSON.stringify(sub), JSON.stringify(resume), JSON.stringify(unsub));
    await port.publish({ ticks: [...makeTicks('MSFT', 51, 10), ...makeTicks('AAPL', 51, 1)] });
    await new Promise<void>((resolve) => socket.on('ticks', (ticks) => ticks.some((t) => t.symbol === 'AAPL' && t.seq === 51) && resolve()));

    // REST.
    for (const path of ['/api/symbols', '/api/symbols/MSFT', '/api/symbols/MSFT/candles?interval=1s', '/api/symbols/MSFT/ticks', '/api/symbols/MSFT/ticks?after=0', '/api/feed']) {
      seen.push(JSON.stringify(await get(`${url}${path}`, token)));
    }
    // SSE with and without Last-Event-ID, token in the header and in the query.
    const everything = await mint({ sub: 'ops', symbols: ['*'] });
    const both = await readSse(`${url}/api/stream?symbols=AAPL,MSFT`, { authorization: `Bearer ${everything}` }, (events) => events.filter((e) => e.event === 'subscribed').length === 2);
    const msftEpoch = (JSON.parse(both.events.find((e) => e.event === 'subscribed' && e.data.includes('"MSFT"'))!.data) as { epoch: string }).epoch;
    const lastEventId = encodeStreamPosition(new Map([['MSFT', { epoch: msftEpoch, seq: 1 }]]));
    for (const [path, headers] of [
      ['/api/stream?symbols=MSFT', { authorization: `Bearer ${token}` }],
      [`/api/stream?symbols=MSFT&access_token=${token}`, { 'last-event-id': lastEventId }],
      [`/api/stream?symbols=AAPL&access_token=${token}`, { 'last-event-id': lastEventId }],
      [`/api/stream?symbols=AAPL&access_token=${token}&lastEventId=${encodeURIComponent(lastEventId)}`, {}],
    ] as const) {
      const res = await readSse(`${url}${path}`, headers, (events) => events.some((e) => e.event === 'feed:status'));
      seen.push(res.body);
    }
    const text = seen.join('\n');
    expect(text).toContain('AAPL');
    // No MSFT tick, snapshot, subscription or metadata: each of those starts with the symbol followed by seq or epoch.
    expect(text).not.toMatch(/"symbol":"MSFT","(seq|epoch)"|"meta":\{"symbol":"MSFT"/);
    // MSFT appears only in refusals.
    for (const line of seen.filter((l) => l.includes('MSFT'))) expect(line, line.slice(0, 300)).toMatch(/FORBIDDEN|"unsubscribed":\[\]/);
  });
});

describe('logs', () => {
  it('[A17] no token and no secret appears in the server logs, at trace level, whatever the client sends', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const { url } = await seeded({ metricsToken: 'metrics-secret-value', adminToken: 'admin-secret-value' }, logger);
    const good = await mint({ symbols: ['AAPL'] });
    const expired = await mint({ symbols: ['AAPL'] }, { ttlSec: -60 });
    const forged = await mint({ symbols: ['*'] }, { secret: 'an-attacker-secret-0123456789-abcdefgh' });
    const tokens = [good, expired, forged];
    for (const token of tokens) {
      await fetch(`${url}/api/symbols`, { headers: { authorization: `Bearer ${token}` } });
      await fetch(`${url}/api/symbols/AAPL/candles?interval=bogus`, { headers: { authorization: `Bearer ${token}` } });
      await readSse(`${url}/api/stream?symbols=AAPL&access_token=${token}`, {}, (events) => events.length > 0);
      await readSse(`${url}/api/stream?symbols=NOPE,%ZZ&access_token=${token}`, {}, () => true);
      await fetch(`${url}/api/feed/control`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"action":"pause"}' });
      const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
      await new Promise((resolve) => {
        socket.once('connect', () => resolve(undefined));
        socket.once('connect_error', () => resolve(undefined));
      });
      if (socket.connected) await socket.emitWithAck('auth:refresh', { token: forged });
      socket.disconnect();
    }
    await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-value' } });
    await fetch(`${url}/api/feed/control`, { method: 'POST', headers: { authorization: 'Bearer admin-secret-value', 'content-type': 'application/json' }, body: '{"action":"pause"}' });
    const log = lines.join('');
    expect(log).toContain('AUTH_MODE=jwt');
    for (const secret of [...tokens, ...tokens.map((t) => t.split('.')[2]!), TEST_SECRET, 'metrics-secret-value', 'admin-secret-value']) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });

  it('[A1] AUTH_MODE=none logs one line saying consumers are anonymous', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
    await startServer({}, { logger });
    expect(lines.filter((l) => l.includes('consumers are anonymous'))).toHaveLength(1);
  });
});
