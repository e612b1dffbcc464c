import { afterEach, describe, expect, it, vi } from 'vitest';
import { io as connect } from 'socket.io-client';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  bucketStart,
  CandlesResponseSchema,
  DeclaredSchema,
  ErrorCode,
  INGEST_NAMESPACE,
  SnapshotSchema,
  SymbolsResponseSchema,
  type DeclareReply,
  type FeedControl,
  type FeedStatus,
  type PublishReply,
  type SymbolDeclaration,
  type SymbolsResponse,
  type Tick,
} from '@tickfeed/protocol';
import {
  connected,
  consumer,
  declaration,
  makeTicks,
  onCleanup,
  startServer,
  stopAll,
  type PublisherClient,
} from './support/harness.js';

afterEach(stopAll);

const snapshotCheck = TypeCompiler.Compile(SnapshotSchema);
const candlesCheck = TypeCompiler.Compile(CandlesResponseSchema);
const declaredCheck = TypeCompiler.Compile(DeclaredSchema);
const symbolsCheck = TypeCompiler.Compile(SymbolsResponseSchema);

/** A publisher on /ingest with the given auth (token defaults to the test token); reconnection off. */
async function publisherWith(url: string, auth: Record<string, unknown> = {}): Promise<PublisherClient> {
  const options = { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: 'test-token', ...auth } };
  return connected<PublisherClient>(connect(`${url}${INGEST_NAMESPACE}`, options));
}

async function declare(pub: PublisherClient, symbols: SymbolDeclaration[], extra: { reset?: boolean; takeover?: boolean } = {}) {
  const reply = (await pub.emitWithAck('declare', { symbols, ...extra })) as DeclareReply;
  if (!reply.ok) throw new Error(`declare failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

async function publish(pub: PublisherClient, ticks: unknown[]) {
  const reply = (await pub.emitWithAck('publish', { ticks: ticks as Tick[] })) as PublishReply;
  if (!reply.ok) throw new Error(`publish failed: ${reply.error.code}`);
  return reply;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** Ticks stamped now (the live case), seq from `fromSeq`. */
function liveTicks(symbol: string, fromSeq: number, count: number): Tick[] {
  const now = Date.now();
  return makeTicks(symbol, fromSeq, count).map((t, i) => ({ ...t, ts: now - count + i }));
}

function status(overrides: Partial<FeedStatus>): FeedStatus {
  return { mode: 'replay', state: 'playing', speed: 1, clock: Date.UTC(2012, 5, 21, 14), loop: false, completions: 0, marker: null, source: 'tape', controllable: true, ...overrides };
}

async function control(url: string, command: FeedControl): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/api/feed/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin' },
    body: JSON.stringify(command),
  });
  return { status: response.status, body: await response.json() };
}

/** Answers control commands, recording them. */
function answerControls(pub: PublisherClient, name: string, seen: string[]): void {
  pub.on('control', (command, ack) => {
    seen.push(`${name}:${command.action}`);
    ack({ ok: true, status: status({ source: name }) });
  });
}

async function metric(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.slice(line.length).trim());
}

describe('bounded numbers', () => {
  it('[R41] 1e308 sizes, ts 1e300 and a 1e-300 reference price are refused; snapshots, candles and acks stay schema-valid and finite', async () => {
    const { url, server } = await startServer();
    const pub = await publisherWith(url);
    const bad = (await pub.emitWithAck('declare', { symbols: [declaration('AAPL', 1e-300)] })) as DeclareReply;
    expect(bad).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    const badTick = (await pub.emitWithAck('declare', { symbols: [{ ...declaration('AAPL'), tickSize: 1e300 }] })) as DeclareReply;
    expect(badTick).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    await declare(pub, [declaration('AAPL', 100)]);
    const client = await consumer(url);
    const [base] = liveTicks('AAPL', 1, 1);
    const reply = await publish(pub, [
      { ...base, size: 1e308 },
      { ...base, size: 1e308 },
      { ...base, ts: 1e300 },
      { ...base, price: 1e300, ask: 1e300 },
      base,
      { ...base!, seq: 2, size: 1e308 },
    ]);
    expect(reply.accepted).toBe(1);
    expect(reply.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, ErrorCode.INVALID_TICK],
      [1, ErrorCode.INVALID_TICK],
      [2, ErrorCode.INVALID_TICK],
      [3, ErrorCode.INVALID_TICK],
      [5, ErrorCode.INVALID_TICK],
    ]);
    const allFinite = (value: unknown): boolean =>
      typeof value === 'number' ? Number.isFinite(value) : typeof value !== 'object' || value === null || Object.values(value).every(allFinite);
    const snapshot = server.core.market.snapshot('AAPL')!;
    expect(snapshotCheck.Check(snapshot)).toBe(true);
    expect(snapshot).toMatchObject({ seq: 1, volume: base!.size, last: base!.price });
    for (const interval of ['1s', '1m', '1d']) {
      const { body } = await getJson<unknown>(`${url}/api/symbols/AAPL/candles?interval=${interval}`);
      expect(candlesCheck.Check(body)).toBe(true);
      expect(allFinite(body)).toBe(true);
    }
    const again = await declare(pub, [declaration('AAPL', 100)]);
    expect(declaredCheck.Check(again.declared[0])).toBe(true);
    const sub = await client.emitWithAck('subscribe', { symbols: ['AAPL'] });
    if (!sub.ok) throw new Error('subscribe failed');
    expect(snapshotCheck.Check(sub.subscribed[0]!.snapshot)).toBe(true);
    expect(allFinite(sub)).toBe(true);
    const { body: list } = await getJson<unknown>(`${url}/api/symbols`);
    expect(symbolsCheck.Check(list)).toBe(true);
    expect(allFinite(list)).toBe(true);
  });

  it('[R40] a live tick stamped more than MAX_TICK_CLOCK_SKEW_MS ahead of the server clock is INVALID_TICK; past times (replays) are accepted', async () => {
    const { url, server } = await startServer({ maxTickClockSkewMs: 5_000 });
    const pub = await publisherWith(url);
    await declare(pub, [declaration('AAPL'), declaration('AMZN')]);
    const now = Date.now();
    const [t1, t2, t3] = makeTicks('AAPL', 1, 3);
    const reply = await publish(pub, [
      { ...t1, ts: now + 60_000 },
      { ...t1, ts: now + 1_000 },
      { ...t2, ts: Date.UTC(2012, 5, 21, 14, 30) },
      { ...t3, ts: 0 },
    ]);
    expect(reply.accepted).toBe(3);
    expect(reply.rejected).toEqual([
      expect.objectContaining({ index: 0, code: ErrorCode.INVALID_TICK, message: expect.stringMatching(/MAX_TICK_CLOCK_SKEW_MS/) }),
    ]);
    // The candle series never reached the future: it ends at the accepted tick's bucket. (A 1d candle is
    // timed at its session's open (P33), which for an after-hours tick lies ahead of it: 1s buckets show it.)
    const { body } = await getJson<{ candles: { time: number }[] }>(`${url}/api/symbols/AAPL/candles?interval=1s`);
    expect(Math.max(...body.candles.map((c) => c.time))).toBe(bucketStart(now + 1_000, 1_000));
    expect(server.core.market.snapshot('AAPL')!.ts).toBe(now + 1_000);
  });

  it('[R40] a replay that announces its clock may publish up to MAX_TICK_CLOCK_SKEW_MS ahead of that clock', async () => {
    const { url } = await startServer({ maxTickClockSkewMs: 5_000 });
    const pub = await publisherWith(url);
    await declare(pub, [declaration('FUT')]);
    const clock = Date.now() + 86_400_000;
    const [t1, t2] = makeTicks('FUT', 1, 2);
    expect((await publish(pub, [{ ...t1, ts: clock }])).rejected).toMatchObject([{ code: ErrorCode.INVALID_TICK }]);
    pub.emit('status', status({ clock }));
    await vi.waitFor(async () => {
      const { body } = await getJson<FeedStatus>(`${url}/api/feed`);
      expect(body.clock).toBe(clock);
    });
    const reply = await publish(pub, [{ ...t1, ts: clock + 4_000 }, { ...t2, ts: clock + 60_000 }]);
    expect(reply.accepted).toBe(1);
    expect(reply.rejected).toMatchObject([{ index: 1, code: ErrorCode.INVALID_TICK }]);
  });
});

describe('the symbol universe', () => {
  it('[R42] a declare over MAX_SYMBOLS refuses the new symbols past the cap by name with TOO_MANY_SYMBOLS; held ones can be declared again', async () => {
    const { url, server } = await startServer({ maxSymbols: 5 });
    const pub = await publisherWith(url);
    await declare(pub, ['A', 'B', 'C'].map((s) => declaration(s)));
    const reply = await declare(pub, ['C', 'D', 'E', 'F', 'G'].map((s) => declaration(s)));
    expect(reply.declared.map((d) => d.symbol)).toEqual(['C', 'D', 'E']);
    expect(reply.rejected).toEqual([
      { symbol: 'F', code: ErrorCode.TOO_MANY_SYMBOLS, message: expect.stringMatching(/MAX_SYMBOLS/) },
      { symbol: 'G', code: ErrorCode.TOO_MANY_SYMBOLS, message: expect.stringMatching(/MAX_SYMBOLS/) },
    ]);
    expect(server.core.market.size).toBe(5);
    // Held symbols stay declarable (a reconnecting publisher), also with reset.
    const again = await declare(pub, ['A', 'E'].map((s) => declaration(s)), { reset: true });
    expect(again.declared.map((d) => d.symbol)).toEqual(['A', 'E']);
    expect(again.rejected).toEqual([]);
    expect((await publish(pub, makeTicks('F', 1, 1))).rejected).toMatchObject([{ code: ErrorCode.NOT_DECLARED }]);
    expect(await metric(url, 'feed_limit_hits_total{limit="max_symbols"}')).toBe(2);
  });

  it('[R43] GET /api/symbols pages (default 500, nextCursor) and filters by kind and by a substring of symbol or name', async () => {
    const { url, server } = await startServer();
    const port = server.localIngest();
    const kinds = ['equity', 'crypto', 'fx'] as const;
    const all: SymbolDeclaration[] = Array.from({ length: 1_203 }, (_, i) => ({
      ...declaration(`S${String(i).padStart(4, '0')}`),
      kind: kinds[i % 3]!,
      name: i === 777 ? 'Needle Holdings' : `Company ${i}`,
    }));
    expect((await port.declare({ symbols: all })).ok).toBe(true);

    const pages: SymbolsResponse[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `?cursor=${cursor}`;
      const { status: code, body }: { status: number; body: SymbolsResponse } = await getJson<SymbolsResponse>(`${url}/api/symbols${query}`);
      expect(code).toBe(200);
      expect(symbolsCheck.Check(body)).toBe(true);
      pages.push(body);
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(pages.map((p) => p.symbols.length)).toEqual([500, 500, 203]);
    expect(pages.flatMap((p) => p.symbols.map((s) => s.meta.symbol))).toEqual(all.map((d) => d.symbol));

    const crypto = await getJson<SymbolsResponse>(`${url}/api/symbols?kind=crypto&limit=2000`);
    expect(crypto.body.symbols.length).toBe(401);
    expect(crypto.body.symbols.every((s) => s.meta.kind === 'crypto')).toBe(true);
    expect(crypto.body.nextCursor).toBeNull();
    const byName = await getJson<SymbolsResponse>(`${url}/api/symbols?q=nEEdle`);
    expect(byName.body.symbols.map((s) => s.meta.symbol)).toEqual(['S0777']);
    const bySymbol = await getJson<SymbolsResponse>(`${url}/api/symbols?q=s119&kind=fx`);
    expect(bySymbol.body.symbols.map((s) => s.meta.symbol)).toEqual(['S1190', 'S1193', 'S1196', 'S1199']);
    const small = await getJson<SymbolsResponse>(`${url}/api/symbols?limit=2&q=S000`);
    expect(small.body).toMatchObject({ nextCursor: 'S0001' });
    expect(small.body.symbols.map((s) => s.meta.symbol)).toEqual(['S0000', 'S0001']);
    const next = await getJson<SymbolsResponse>(`${url}/api/symbols?limit=20&q=S000&cursor=S0001`);
    expect(next.body.symbols.map((s) => s.meta.symbol)).toEqual(['S0002', 'S0003', 'S0004', 'S0005', 'S0006', 'S0007', 'S0008', 'S0009']);
    expect(next.body.nextCursor).toBeNull();

    for (const query of ['limit=0', 'limit=2001', 'kind=bond', 'cursor=NOPE', `q=${'x'.repeat(65)}`, 'extra=1']) {
      const { status: code, body } = await getJson<{ ok: boolean; error: { code: string } }>(`${url}/api/symbols?${query}`);
      expect(code, query).toBe(400);
      expect(body, query).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    }
  });
});

describe('one publisher per symbol', () => {
  it('[R45] a symbol belongs to the publisher that declared it: another gets NOT_OWNER and cannot rename, reset or publish it', async () => {
    const { url, server } = await startServer();
    const owner = await publisherWith(url);
    const first = await declare(owner, [declaration('AAPL', 190)]);
    await publish(owner, liveTicks('AAPL', 1, 5));
    const intruder = await publisherWith(url);
    const reply = await declare(intruder, [{ ...declaration('AAPL', 1), name: 'Hijacked' }, declaration('MSFT')], { reset: true });
    expect(reply.declared.map((d) => d.symbol)).toEqual(['MSFT']);
    expect(reply.rejected).toEqual([{ symbol: 'AAPL', code: ErrorCode.NOT_OWNER, message: expect.stringMatching(/takeover/) }]);
    const injected = await publish(intruder, [{ ...liveTicks('AAPL', 6, 1)[0]!, price: 1, bid: 1, ask: 1 }]);
    expect(injected.rejected).toMatchObject([{ code: ErrorCode.NOT_DECLARED }]);
    const book = server.core.market.get('AAPL')!;
    expect(book.meta.name).toBe('AAPL Inc.');
    expect(book.epoch).toBe(first.declared[0]!.epoch);
    expect(book.stats.seq).toBe(5);
    // The owner goes on undisturbed.
    expect((await publish(owner, liveTicks('AAPL', 6, 1))).accepted).toBe(1);
    expect(await metric(url, 'feed_requests_rejected_total{event="declare",code="NOT_OWNER"}')).toBe(1);
  });

  it('[R46] with auth.publisherId the owner keeps its symbols through a lost connection for PUBLISHER_GRACE_MS and continues after reconnecting', async () => {
    const { url, server } = await startServer({ publisherGraceMs: 400 });
    const producers = server.io.of(INGEST_NAMESPACE);
    const first = await publisherWith(url, { publisherId: 'feed-a' });
    await declare(first, [declaration('AAPL')]);
    await publish(first, liveTicks('AAPL', 1, 3));
    // The transport dies (no goodbye): the grace period starts when the server notices.
    const watcher = await publisherWith(url);
    first.io.engine.close();
    await vi.waitFor(() => expect(producers.sockets.size).toBe(1));
    expect((await declare(watcher, [declaration('AAPL')])).rejected).toMatchObject([{ symbol: 'AAPL', code: ErrorCode.NOT_OWNER }]);
    // Back within the grace period under the same id: still the owner, seq continues.
    const back = await publisherWith(url, { publisherId: 'feed-a' });
    const again = await declare(back, [declaration('AAPL')]);
    expect(again.declared).toMatchObject([{ symbol: 'AAPL', lastSeq: 3 }]);
    expect((await publish(back, liveTicks('AAPL', 4, 2))).accepted).toBe(2);
    // Lost again, and not back: after the grace period the symbol is free.
    const lostAt = Date.now();
    back.io.engine.close();
    await vi.waitFor(async () => expect((await declare(watcher, [declaration('AAPL')])).rejected).toEqual([]), { timeout: 5_000, interval: 50 });
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(350);
    expect((await publish(watcher, liveTicks('AAPL', 6, 1))).accepted).toBe(1);
  });

  it('[R46] without a publisherId, or after a deliberate disconnect, the symbols are free at once', async () => {
    const { url, server } = await startServer({ publisherGraceMs: 60_000 });
    const producers = server.io.of(INGEST_NAMESPACE);
    const other = await publisherWith(url, { publisherId: 'other' });
    const anonymous = await publisherWith(url);
    await declare(anonymous, [declaration('AAPL')]);
    anonymous.io.engine.close();
    await vi.waitFor(() => expect(producers.sockets.size).toBe(1));
    expect((await declare(other, [declaration('AAPL')])).rejected).toEqual([]);
    const named = await publisherWith(url, { publisherId: 'named' });
    expect((await declare(named, [declaration('MSFT')])).rejected).toEqual([]);
    named.disconnect();
    await vi.waitFor(() => expect(producers.sockets.size).toBe(1));
    expect((await declare(other, [declaration('MSFT')])).rejected).toEqual([]);
    // A malformed publisherId is refused at connect.
    const refused = connect(`${url}${INGEST_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: 'test-token', publisherId: 'a b' } });
    onCleanup(() => {
      refused.disconnect();
    });
    const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
    expect(error.message).toMatch(/BAD_REQUEST: auth.publisherId/);
  });

  it('[R47] a declare with takeover: true takes the symbols (logged); the old owner\'s ticks and declares get NOT_OWNER; the feed moves with them', async () => {
    const { url, server } = await startServer();
    const old = await publisherWith(url, { publisherId: 'old' });
    const seen: string[] = [];
    answerControls(old, 'old', seen);
    await declare(old, [declaration('AAPL'), declaration('MSFT')]);
    await publish(old, liveTicks('AAPL', 1, 3));
    old.emit('status', status({ source: 'old' }));
    await vi.waitFor(() => expect(server.core.feedStatus.source).toBe('old'));
    expect((await control(url, { action: 'pause' })).status).toBe(200);

    const next = await publisherWith(url, { publisherId: 'next' });
    answerControls(next, 'next', seen);
    const warn = vi.spyOn(server.log, 'warn');
    const taken = await declare(next, [declaration('AAPL')], { takeover: true });
    expect(taken.declared).toMatchObject([{ symbol: 'AAPL', lastSeq: 3 }]);
    expect(warn.mock.calls.some(([, message]) => message === 'symbols taken over from another publisher')).toBe(true);
    expect((await publish(old, liveTicks('AAPL', 4, 1))).rejected).toMatchObject([{ code: ErrorCode.NOT_OWNER }]);
    expect((await declare(old, [declaration('AAPL')])).rejected).toMatchObject([{ code: ErrorCode.NOT_OWNER }]);
    expect((await publish(old, liveTicks('MSFT', 1, 1))).accepted).toBe(1);
    expect((await publish(next, liveTicks('AAPL', 4, 1))).accepted).toBe(1);
    // The feed's owner lost a symbol to the takeover: the feed (status, control) is the taker's now.
    expect(server.core.feedStatus.controllable).toBe(false);
    expect((await control(url, { action: 'pause' })).body).toMatchObject({ error: { code: ErrorCode.NO_CONTROLLABLE_FEED } });
    old.emit('status', status({ source: 'old again' }));
    next.emit('status', status({ source: 'next' }));
    await vi.waitFor(() => expect(server.core.feedStatus.source).toBe('next'));
    expect((await control(url, { action: 'resume' })).status).toBe(200);
    expect(seen).toEqual(['old:pause', 'next:resume']);
  });

  it('[R48] the feed status and control belong to the first publisher that announces one; others are ignored and counted until its grace ends', async () => {
    const { url, server } = await startServer({ publisherGraceMs: 300 });
    const owner = await publisherWith(url, { publisherId: 'replay' });
    const rival = await publisherWith(url, { publisherId: 'rival' });
    const seen: string[] = [];
    answerControls(owner, 'owner', seen);
    answerControls(rival, 'rival', seen);
    owner.emit('status', status({ source: 'owner' }));
    await vi.waitFor(() => expect(server.core.feedStatus.source).toBe('owner'));
    rival.emit('status', status({ source: 'rival' }));
    await vi.waitFor(async () => expect(await metric(url, 'feed_requests_rejected_total{event="status",code="NOT_OWNER"}')).toBe(1));
    expect((await getJson<FeedStatus>(`${url}/api/feed`)).body.source).toBe('owner');
    expect((await control(url, { action: 'pause' })).status).toBe(200);
    expect(seen).toEqual(['owner:pause']);

    // The owner's connection is lost: no control meanwhile, then the feed passes to the rival's last status.
    owner.io.engine.close();
    await vi.waitFor(() => expect(server.core.feedStatus).toMatchObject({ source: 'owner', controllable: false }));
    await vi.waitFor(() => expect(server.core.feedStatus).toMatchObject({ source: 'rival', controllable: true }), { timeout: 5_000 });
    expect((await control(url, { action: 'resume' })).status).toBe(200);
    expect(seen).toEqual(['owner:pause', 'rival:resume']);
  });

  it('[R49] the in-process publisher owns its symbols like any other; all in-process ports of a server are one publisher', async () => {
    const { url, server } = await startServer();
    const local = server.localIngest();
    expect((await local.declare({ symbols: [declaration('AAPL')] })).ok).toBe(true);
    const external = await publisherWith(url, { publisherId: 'external' });
    expect((await declare(external, [declaration('AAPL')])).rejected).toMatchObject([{ symbol: 'AAPL', code: ErrorCode.NOT_OWNER }]);
    const reattached = server.localIngest();
    const reply = await reattached.declare({ symbols: [declaration('AAPL')] });
    expect(reply).toMatchObject({ ok: true, rejected: [] });
    expect((await reattached.publish({ ticks: liveTicks('AAPL', 1, 2) })).ok).toBe(true);
    local.status(status({ source: 'in-process', controllable: false, mode: 'live', clock: null }));
    external.emit('status', status({ source: 'external' }));
    await vi.waitFor(async () => expect(await metric(url, 'feed_requests_rejected_total{event="status",code="NOT_OWNER"}')).toBe(1));
    expect(server.core.feedStatus.source).toBe('in-process');
  });
});
