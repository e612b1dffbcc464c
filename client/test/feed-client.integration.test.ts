import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@tickfeed/dev-tools';
import { ErrorCode, Events, type Tick } from '@tickfeed/protocol';
import type { ConnectionState } from '../src/connection-state.js';
import { FeedClient, type SymbolEvent } from '../src/feed-client.js';
import { RestClient, RestError } from '../src/rest-client.js';
import { TestFeed } from './support/feed-harness.js';
import { nextEvent, until } from './support/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startFeed(symbols: string[] = ['AAPL', 'MSFT']): Promise<TestFeed> {
  const feed = await TestFeed.start();
  cleanups.push(() => feed.close());
  await feed.declare(symbols);
  return feed;
}

/** A FeedClient recording everything it emits. */
function recordingClient(url: string, backoff = { baseMs: 50, maxMs: 400 }) {
  const client = new FeedClient({ url, backoff });
  cleanups.push(() => client.dispose());
  const ticks: Tick[] = [];
  const states: ConnectionState[] = [];
  const symbolEvents: SymbolEvent[] = [];
  client.on('ticks', (batch) => ticks.push(...batch));
  client.on('state', (state) => states.push(state));
  client.on('symbol', (event) => symbolEvents.push(event));
  const seqs = (symbol: string) => ticks.filter((t) => t.symbol === symbol).map((t) => t.seq);
  return { client, ticks, states, symbolEvents, seqs };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('feed client against the real feed server', () => {
  it('[D4][D9] subscribes with snapshots, rejects unknown symbols by name, delivers every tick once in order', async () => {
    const feed = await startFeed();
    await feed.publish('AAPL', 5);
    const r = recordingClient(feed.url);
    const outcome = r.client.subscribe(['AAPL', 'MSFT', 'NOPE']);
    r.client.connect();
    const result = await outcome;
    expect(result.subscribed.sort()).toEqual(['AAPL', 'MSFT']);
    expect(result.rejected).toEqual([expect.objectContaining({ symbol: 'NOPE', code: ErrorCode.UNKNOWN_SYMBOL })]);
    expect(r.client.symbols.sort()).toEqual(['AAPL', 'MSFT']);
    const aapl = r.symbolEvents.find((e) => e.symbol === 'AAPL')!;
    expect(aapl).toMatchObject({ cause: 'subscribed', snapshot: { seq: 5 } });

    await feed.publish('AAPL', 200);
    await feed.publish('MSFT', 30);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 200 && r.seqs('MSFT').length === 30, 'all ticks arrived');
    expect(r.seqs('AAPL')).toEqual(range(6, 205));
    expect(r.seqs('MSFT')).toEqual(range(1, 30));
    expect(r.client.position('AAPL')).toEqual({ epoch: aapl.epoch, seq: 205 });
    expect(r.client.counters.duplicates).toBe(0);
  });

  it('[D6] after a dropped connection it resumes: recovered:true and every missed tick exactly once', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    await feed.publish('AAPL', 50);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 50, '50 ticks');

    const lost = nextEvent(r.client, 'state', (s) => s.kind === 'reconnecting');
    feed.server.io.disconnectSockets(true);
    await lost;
    // Published while the client is away: only resume can bring these back.
    await feed.publish('AAPL', 40);
    const recovered = nextEvent(r.client, 'symbol', (e) => e.cause === 'recovered');
    await recovered;
    await feed.publish('AAPL', 10);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length >= 100, '100 ticks');
    expect(r.seqs('AAPL')).toEqual(range(1, 100));
    expect(r.symbolEvents.map((e) => e.cause)).toEqual(['subscribed', 'recovered']);
    expect(r.client.counters.duplicates).toBe(0);
  });

  it('[D6][D8] server killed and restarted on the same port: shutdown → reconnecting → connected, recovered:false reloads the new epoch', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    await feed.publish('AAPL', 20);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 20, '20 ticks');
    const firstEpoch = r.client.position('AAPL')!.epoch;

    const waiting = nextEvent(r.client, 'state', (s) => s.kind === 'reconnecting');
    await feed.kill();
    await waiting;
    const reloaded = nextEvent(r.client, 'symbol', (e) => e.symbol === 'AAPL' && e.cause === 'reloaded', 15_000);
    await feed.restart();
    const [event] = await reloaded;
    expect(event.epoch).not.toBe(firstEpoch);
    expect(event.snapshot.seq).toBe(0);
    expect(r.client.state.kind).toBe('connected');

    // The shutdown asked for an immediate reconnect (reconnectAfterMs 0): connecting came first, not a wait.
    const kinds = r.states.map((s) => s.kind);
    const afterFirstConnect = kinds.slice(kinds.indexOf('connected') + 1);
    expect(afterFirstConnect[0]).toBe('connecting');
    expect(afterFirstConnect).toContain('reconnecting');
    expect(afterFirstConnect[afterFirstConnect.length - 1]).toBe('connected');

    await feed.publish('AAPL', 15);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 35, 'ticks of the new epoch');
    expect(r.seqs('AAPL')).toEqual([...range(1, 20), ...range(1, 15)]);
    expect(r.client.position('AAPL')).toEqual({ epoch: event.epoch, seq: 15 });
  });

  it('[D7] a reset (new epoch) restarts the symbol from its snapshot', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribe(['MSFT']);
    await feed.publish('MSFT', 10);
    await until(r.client, ['ticks'], () => r.seqs('MSFT').length === 10, '10 ticks');
    const reset = nextEvent(r.client, 'symbol', (e) => e.cause === 'reset');
    await feed.declare(['MSFT'], { reset: true });
    const [event] = await reset;
    expect(event.snapshot.seq).toBe(0);
    await feed.publish('MSFT', 3);
    await until(r.client, ['ticks'], () => r.seqs('MSFT').length === 13, 'ticks after reset');
    expect(r.seqs('MSFT')).toEqual([...range(1, 10), 1, 2, 3]);
    expect(r.client.position('MSFT')).toEqual({ epoch: event.epoch, seq: 3 });
  });

  it('[D5] drops a duplicate, and on a seq gap resubscribes with resume and continues without loss', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribe(['AAPL']);
    const real = await feed.publish('AAPL', 10);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 10, '10 ticks');

    // Forge what a faulty path could deliver: a duplicate, then a tick far ahead.
    feed.server.io.emit(Events.ticks, [real[9]!]);
    const gap = nextEvent(r.client, 'gap');
    feed.server.io.emit(Events.ticks, [{ ...real[9]!, seq: 15 }]);
    const [info] = await gap;
    expect(info).toEqual({ symbol: 'AAPL', expected: 11, received: 15 });
    await nextEvent(r.client, 'symbol', (e) => e.cause === 'recovered');
    await feed.publish('AAPL', 10);
    await until(r.client, ['ticks'], () => r.seqs('AAPL').length === 20, '20 ticks');
    expect(r.seqs('AAPL')).toEqual(range(1, 20));
    expect(r.client.counters.duplicates).toBe(1);
    expect(r.client.counters.gaps).toBe(1);
  });

  it('[D2] with no server it backs off attempt after attempt and goes offline after maxAttempts', async () => {
    const port = await freePort();
    const client = new FeedClient({ url: `http://127.0.0.1:${port}`, backoff: { baseMs: 10, maxMs: 40, maxAttempts: 3 } });
    cleanups.push(() => client.dispose());
    const states: ConnectionState[] = [];
    client.on('state', (s) => states.push(s));
    const offline = nextEvent(client, 'state', (s) => s.kind === 'offline');
    client.connect();
    await offline;
    expect(states.map((s) => `${s.kind}${'attempt' in s ? s.attempt : ''}`)).toEqual([
      'connecting1',
      'reconnecting2',
      'connecting2',
      'reconnecting3',
      'connecting3',
      'offline',
    ]);
  });

  it('[D11] REST helpers return typed bodies and protocol error codes', async () => {
    const feed = await startFeed();
    await feed.publish('AAPL', 30, 100);
    const rest = new RestClient({ baseUrl: feed.url });
    const symbols = await rest.symbols();
    expect(symbols.map((s) => s.meta.symbol).sort()).toEqual(['AAPL', 'MSFT']);
    const candles = await rest.candles('AAPL', '1s', { limit: 100 });
    expect(candles.seq).toBe(30);
    expect(candles.candles.reduce((sum, c) => sum + c.volume, 0)).toBeGreaterThan(0);
    const ticks = await rest.ticks('AAPL', { after: 25, limit: 10 });
    expect(ticks.ticks.map((t) => t.seq)).toEqual([26, 27, 28, 29, 30]);
    await expect(rest.symbol('NOPE')).rejects.toMatchObject({ status: 404, code: ErrorCode.UNKNOWN_SYMBOL });
    await expect(rest.candles('AAPL', 'bad' as '1s')).rejects.toBeInstanceOf(RestError);
  });
});
