import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { ErrorCode, type Notice, type ProtocolError, type RejectedSymbol, type Tick } from '@tickfeed/protocol';
import type { ConnectionState } from '../src/connection-state.js';
import { FeedClient, type SymbolEvent } from '../src/feed-client.js';
import { RestClient, RestError } from '../src/rest-client.js';
import { renewDelay, tokenExpiry } from '../src/access-token.js';
import { TestFeed } from './support/feed-harness.js';
import { nextEvent, until } from './support/wait.js';

const SECRET = 'client-test-secret-0123456789-abcdefghij';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function mint(symbols: string[], ttlSec: number, sub = 'alice'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ symbols }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(now + ttlSec).sign(new TextEncoder().encode(SECRET));
}

async function startFeed(): Promise<TestFeed> {
  const feed = await TestFeed.start({ authMode: 'jwt', authJwtSecret: SECRET, authJwtAlgorithms: ['HS256'] });
  cleanups.push(() => feed.close());
  await feed.declare(['AAPL', 'MSFT']);
  return feed;
}

function recording(client: FeedClient) {
  cleanups.push(() => client.dispose());
  const ticks: Tick[] = [];
  const states: ConnectionState[] = [];
  const symbolEvents: SymbolEvent[] = [];
  const errors: ProtocolError[] = [];
  const notices: Notice[] = [];
  const rejected: RejectedSymbol[] = [];
  client.on('ticks', (batch) => ticks.push(...batch));
  client.on('state', (state) => states.push(state));
  client.on('symbol', (event) => symbolEvents.push(event));
  client.on('error', (error) => errors.push(error));
  client.on('notice', (notice) => notices.push(notice));
  client.on('rejected', (r) => rejected.push(...r));
  const seqs = (symbol: string) => ticks.filter((t) => t.symbol === symbol).map((t) => t.seq);
  return { client, ticks, states, symbolEvents, errors, notices, rejected, seqs };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('feed client with access tokens', () => {
  it('[A19] renewal timing: ahead of expiry by renewBeforeMs, halfway for short tokens, at once when expired', () => {
    expect(renewDelay(1_000_000, 0, 30_000)).toBe(970_000);
    expect(renewDelay(40_000, 0, 30_000)).toBe(20_000);
    expect(renewDelay(1_000, 2_000, 30_000)).toBe(0);
    expect(tokenExpiry('not a token')).toBeUndefined();
  });

  it('[A19] a token callback is renewed with auth:refresh before expiry on the same connection, losing no tick', async () => {
    const feed = await startFeed();
    let calls = 0;
    const r = recording(new FeedClient({ url: feed.url, token: () => (calls++, mint(['AAPL'], 2)), renewBeforeMs: 1_500, backoff: { baseMs: 50, maxMs: 400 } }));
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    expect(tokenExpiry(await mint(['AAPL'], 2))).toBeGreaterThan(Date.now());
    let published = 0;
    // Publish until three renewals happened: the first token's lifetime is long over by then.
    while (calls < 4) {
      await feed.publish('AAPL', 20);
      published += 20;
      await until(r.client, ['ticks'], () => r.seqs('AAPL').length === published, `${published} ticks`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(r.seqs('AAPL')).toEqual(range(1, published));
    expect(r.states.filter((s) => s.kind === 'connecting')).toHaveLength(1);
    expect(r.states.map((s) => s.kind)).not.toContain('reconnecting');
    expect(r.errors).toEqual([]);
    expect(r.notices).toEqual([]);
  });

  it('[A19] a token that could not be renewed expires; the client reconnects with a fresh token and resumes exactly', async () => {
    const feed = await startFeed();
    let calls = 0;
    let dropped = false;
    // The first token lives 2 s; every renewal on that connection is refused (the token source hands out junk);
    // once the connection is gone, the source works again.
    const token = () => (++calls === 1 ? mint(['AAPL'], 2) : dropped ? mint(['AAPL'], 3_600) : Promise.resolve('junk'));
    const r = recording(new FeedClient({ url: feed.url, token, renewBeforeMs: 1_500, backoff: { baseMs: 50, maxMs: 400 } }));
    r.client.on('state', (s) => {
      if (s.kind === 'reconnecting') dropped = true;
    });
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    await feed.publish('AAPL', 30);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 30, '30 ticks');
    const lost = nextEvent(r.client, 'state', (s) => s.kind === 'reconnecting');
    await lost;
    await feed.publish('AAPL', 25);
    await nextEvent(r.client, 'symbol', (e) => e.cause === 'recovered');
    await feed.publish('AAPL', 5);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length >= 60, '60 ticks');
    expect(r.seqs('AAPL')).toEqual(range(1, 60));
    expect(r.errors.map((e) => e.code)).toContain(ErrorCode.UNAUTHORIZED);
    expect(r.notices.map((n) => n.code)).toContain(ErrorCode.TOKEN_EXPIRED);
    expect(r.symbolEvents.map((e) => e.cause)).toEqual(['subscribed', 'recovered']);
  });

  it('[A19] symbols outside the claims are rejected with FORBIDDEN; the REST client sends the token', async () => {
    const feed = await startFeed();
    await feed.publish('MSFT', 3);
    const token = await mint(['AAPL'], 3_600);
    const r = recording(new FeedClient({ url: feed.url, token }));
    r.client.connect();
    const outcome = await r.client.subscribe(['AAPL', 'MSFT']);
    expect(outcome.subscribed).toEqual(['AAPL']);
    expect(outcome.rejected).toEqual([expect.objectContaining({ symbol: 'MSFT', code: ErrorCode.FORBIDDEN })]);
    expect(r.client.symbols).toEqual(['AAPL']);

    const rest = new RestClient({ baseUrl: feed.url, token: () => token });
    expect((await rest.symbols()).map((s) => s.meta.symbol)).toEqual(['AAPL']);
    await expect(rest.ticks('MSFT')).rejects.toMatchObject({ status: 403, code: ErrorCode.FORBIDDEN });
    await expect(rest.ticks('MSFT')).rejects.toBeInstanceOf(RestError);
    await expect(new RestClient({ baseUrl: feed.url }).symbols()).rejects.toMatchObject({ status: 401, code: ErrorCode.UNAUTHORIZED });
  });

  it('[A19] a renewal that narrows the claims drops the removed symbols from the subscription set, reported as rejected', async () => {
    const feed = await startFeed();
    let calls = 0;
    const token = () => (++calls === 1 ? mint(['AAPL', 'MSFT'], 2) : mint(['AAPL'], 3_600));
    const r = recording(new FeedClient({ url: feed.url, token, renewBeforeMs: 1_500 }));
    r.client.connect();
    expect((await r.client.subscribe(['AAPL', 'MSFT'])).subscribed.sort()).toEqual(['AAPL', 'MSFT']);
    const [rejected] = await nextEvent(r.client, 'rejected');
    expect(rejected).toEqual([{ symbol: 'MSFT', code: ErrorCode.FORBIDDEN, message: expect.any(String) }]);
    expect(r.client.symbols).toEqual(['AAPL']);
    await feed.publish('MSFT', 5);
    await feed.publish('AAPL', 5);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 5, '5 AAPL ticks');
    expect(r.seqs('MSFT')).toEqual([]);
    expect(r.states.filter((s) => s.kind === 'connecting')).toHaveLength(1);
  });

  it('[A19] a token source with nothing newer is asked again later, and the held token is never re-sent', async () => {
    const feed = await startFeed();
    let refreshes = 0;
    feed.server.io.of('/').on('connection', (socket) => socket.on('auth:refresh', () => refreshes++));
    const fixed = await mint(['AAPL'], 2);
    let calls = 0;
    const r = recording(new FeedClient({ url: feed.url, token: () => (calls++, fixed), renewBeforeMs: 1_500, backoff: { baseMs: 2_000, maxMs: 2_000 } }));
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    // Unrenewed, the token expires: the server says so and closes the connection.
    await nextEvent(r.client, 'notice', (n) => n.code === ErrorCode.TOKEN_EXPIRED);
    expect(refreshes).toBe(0);
    // One call at connect, then at most one per second until expiry (2 s): never a tight loop.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(4);
  });
});
