import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot, Tick } from '@tickfeed/protocol';
import { FeedClient, type SymbolEvent } from '../src/feed-client.js';
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

function recordingClient(url: string) {
  const client = new FeedClient({ url, backoff: { baseMs: 50, maxMs: 400 } });
  cleanups.push(() => client.dispose());
  const ticks: Tick[] = [];
  const quotes: Snapshot[] = [];
  const symbolEvents: SymbolEvent[] = [];
  client.on('ticks', (batch) => ticks.push(...batch));
  client.on('quotes', (batch) => quotes.push(...batch));
  client.on('symbol', (event) => symbolEvents.push(event));
  const latest = (symbol: string) => quotes.filter((q) => q.symbol === symbol).at(-1);
  return { client, ticks, quotes, symbolEvents, latest };
}

describe('feed client: quotes', () => {
  it('[Q12] subscribeQuotes gets conflated quotes (no ticks) beside a symbol with every tick', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    const outcome = await r.client.subscribeQuotes(['AAPL'], { throttleMs: 100 });
    expect(outcome.subscribed).toEqual(['AAPL']);
    await r.client.subscribe(['MSFT']);
    expect(r.client.throttleOf('AAPL')).toBe(100);
    expect(r.client.throttleOf('MSFT')).toBe(0);
    await feed.publish('AAPL', 300);
    await feed.publish('MSFT', 20);
    await until(r.client, ['quotes', 'ticks'], () => r.latest('AAPL')?.seq === 300 && r.ticks.length === 20, 'quotes and ticks');
    expect(r.ticks.every((t) => t.symbol === 'MSFT')).toBe(true);
    expect(r.quotes.length).toBeLessThan(300);
    expect(r.symbolEvents.map((e) => [e.symbol, e.cause])).toEqual([
      ['AAPL', 'subscribed'],
      ['MSFT', 'subscribed'],
    ]);
  });

  it('[Q12] after a dropped connection it resubscribes quotes with their throttleMs and every-tick symbols with resume', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribeQuotes(['AAPL'], { throttleMs: 100 });
    await r.client.subscribe(['MSFT']);
    await feed.publish('AAPL', 10);
    await feed.publish('MSFT', 10);
    await until(r.client, ['quotes', 'ticks'], () => r.latest('AAPL')?.seq === 10 && r.ticks.length === 10, 'first data');

    const lost = nextEvent(r.client, 'state', (s) => s.kind === 'reconnecting');
    feed.server.io.disconnectSockets(true);
    await lost;
    await feed.publish('MSFT', 5);
    await nextEvent(r.client, 'symbol', (e) => e.symbol === 'MSFT' && e.cause === 'recovered');
    await feed.publish('AAPL', 40);
    await until(r.client, ['quotes'], () => r.latest('AAPL')?.seq === 50, 'quotes after the reconnect');
    expect(r.ticks.map((t) => t.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(r.ticks.every((t) => t.symbol === 'MSFT')).toBe(true);
  });

  it('[Q12] subscribe switches a quotes symbol back to every tick, from the ack\'s snapshot', async () => {
    const feed = await startFeed();
    const r = recordingClient(feed.url);
    r.client.connect();
    await r.client.subscribeQuotes(['AAPL'], { throttleMs: 100 });
    await feed.publish('AAPL', 10);
    await until(r.client, ['quotes'], () => r.latest('AAPL')?.seq === 10, 'quotes');
    await r.client.subscribe(['AAPL']);
    expect(r.client.throttleOf('AAPL')).toBe(0);
    expect(r.client.position('AAPL')?.seq).toBe(10);
    await feed.publish('AAPL', 5);
    await until(r.client, ['ticks'], () => r.ticks.length === 5, 'ticks');
    expect(r.ticks.map((t) => t.seq)).toEqual([11, 12, 13, 14, 15]);
    await r.client.unsubscribe(['AAPL']);
    expect(r.client.throttleOf('AAPL')).toBeUndefined();
  });
});
