import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import {
  ErrorCode,
  Events,
  bookChecksum,
  formatOf,
  type BookLevel,
  type BookResponse,
  type BookSubscribeRequest,
  type BookUpdate,
} from '@tickfeed/protocol';
import { FeedClient, type BookEvent, type BookResyncInfo } from '../src/feed-client.js';
import { BookScript } from '../../feed-server/test/support/books.js';
import { TestFeed } from './support/feed-harness.js';
import { until } from './support/wait.js';

const META = { tickSize: 0.01, lotSize: 1 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function bookFeed(): Promise<{ feed: TestFeed; script: BookScript }> {
  const feed = await TestFeed.start();
  cleanups.push(() => feed.close());
  await feed.declare(['AAPL'], { book: true });
  await feed.declare(['MSFT']);
  const script = new BookScript('AAPL', 7);
  await feed.publishBook([script.snapshot(15)]);
  return { feed, script };
}

function bookClient(url: string) {
  const client = new FeedClient({ url, backoff: { baseMs: 50, maxMs: 400 } });
  cleanups.push(() => client.dispose());
  const events: BookEvent[] = [];
  const resyncs: BookResyncInfo[] = [];
  client.on('book', (event) => events.push(event));
  client.on('bookResync', (info) => resyncs.push(info));
  return { client, events, resyncs };
}

async function restBook(url: string, symbol: string, depth = 10): Promise<BookResponse> {
  const res = await fetch(`${url}/api/symbols/${symbol}/book?depth=${depth}`);
  expect(res.status).toBe(200);
  return (await res.json()) as BookResponse;
}

function publishSteps(script: BookScript, n: number) {
  return Array.from({ length: n }, () => script.next());
}

describe('followBook against the real feed server', () => {
  it('[D80] follows a book from its snapshot through every update, each checksum verified, equal to REST at the same seq; a symbol without a book is rejected by name', async () => {
    const { feed, script } = await bookFeed();
    const r = bookClient(feed.url);
    const followed = r.client.followBook('AAPL', META, 10);
    const refused = r.client.followBook('MSFT', META, 10);
    r.client.connect();
    expect(await followed).toEqual({ subscribed: ['AAPL'], rejected: [] });
    expect((await refused).rejected).toEqual([expect.objectContaining({ symbol: 'MSFT', code: ErrorCode.NO_BOOK })]);
    expect(r.client.followedBooks).toEqual(['AAPL']);
    expect(r.events[0]).toMatchObject({ symbol: 'AAPL', cause: 'subscribed', book: { seq: 1, depth: 10 } });

    await feed.publishBook(publishSteps(script, 400));
    await until(r.client, ['book'], () => r.client.book('AAPL')?.seq === script.seq, 'every update applied');
    const rest = await restBook(feed.url, 'AAPL');
    expect(rest.seq).toBe(script.seq);
    expect(r.client.book('AAPL')).toMatchObject({ epoch: rest.epoch, seq: rest.seq, bids: rest.bids, asks: rest.asks });
    expect(r.client.bookCounters('AAPL')).toMatchObject({ applied: 400, checksumsVerified: 400, gaps: 0, checksumMismatches: 0 });
    expect(r.resyncs).toEqual([]);
    // Each event's seq follows the last: nothing skipped, nothing twice.
    const seqs = r.events.filter((e) => e.cause === 'update').map((e) => e.book.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    await r.client.unfollowBook(['AAPL']);
    const count = r.events.length;
    await feed.publishBook(publishSteps(script, 5));
    await feed.publish('MSFT', 1);
    expect(r.client.book('AAPL')).toBeUndefined();
    expect(r.events.length).toBe(count);
  });

  it('[D83] resumes exactly across a reconnect (recovered, the missed updates only), and reloads with no stale level after a server restart', async () => {
    const { feed, script } = await bookFeed();
    const r = bookClient(feed.url);
    r.client.connect();
    await r.client.followBook('AAPL', META, 10);
    await feed.publishBook(publishSteps(script, 50));
    await until(r.client, ['book'], () => r.client.book('AAPL')?.seq === script.seq, 'first 50');
    const epoch = r.client.book('AAPL')!.epoch;

    r.client.close('test: offline');
    await feed.publishBook(publishSteps(script, 80));
    const before = r.events.length;
    r.client.connect();
    await until(r.client, ['book'], () => r.client.book('AAPL')?.seq === script.seq, 'resumed to the end');
    const after = r.events.slice(before);
    expect(after[0]).toMatchObject({ cause: 'recovered', book: { epoch, seq: 51 } });
    expect(after.slice(1).every((e) => e.cause === 'update')).toBe(true);
    expect(r.client.bookCounters('AAPL')).toMatchObject({ applied: 130, checksumsVerified: 130, gaps: 0, stale: 0 });
    let rest = await restBook(feed.url, 'AAPL');
    expect(r.client.book('AAPL')).toMatchObject({ seq: rest.seq, bids: rest.bids, asks: rest.asks });

    // Books are not durable (L26): the restarted server's book starts again, with other prices.
    await feed.restart();
    const fresh = new BookScript('AAPL', 99);
    const snapshot = fresh.snapshot(12);
    snapshot.bids = snapshot.bids.map(([p, s]) => [Math.round((p - 5) * 100) / 100, s] as BookLevel);
    snapshot.asks = snapshot.asks.map(([p, s]) => [Math.round((p - 5) * 100) / 100, s] as BookLevel);
    await feed.publishBook([snapshot]);
    await until(r.client, ['book'], () => r.client.book('AAPL')?.epoch !== epoch && r.client.book('AAPL')?.seq === 1, 'reloaded after the restart');
    rest = await restBook(feed.url, 'AAPL');
    expect(r.events.some((e) => e.cause === 'reloaded' || e.cause === 'reset')).toBe(true);
    expect(r.client.book('AAPL')).toMatchObject({ epoch: rest.epoch, seq: rest.seq, bids: rest.bids, asks: rest.asks });
    expect(r.client.book('AAPL')!.bids.every(([p]) => p < 96)).toBe(true);
  });
});

/**
 * A scripted server on a real socket, for faults the real one never makes:
 * it records each book:subscribe and answers with the handler's reply.
 */
async function scriptedServer(onSubscribe: (request: BookSubscribeRequest, n: number, send: (updates: BookUpdate[]) => void) => unknown) {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  const requests: BookSubscribeRequest[] = [];
  io.on('connection', (socket) => {
    socket.on(Events.bookSubscribe, (request: BookSubscribeRequest, ack: (reply: unknown) => void) => {
      requests.push(request);
      ack(onSubscribe(request, requests.length, (updates) => socket.emit(Events.book, updates)));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, requests };
}

describe('followBook recovers from faults', () => {
  const format = formatOf(META);
  const bids: BookLevel[] = Array.from({ length: 10 }, (_, i) => [Math.round((100 - i * 0.01) * 100) / 100, 100 + i]);
  const asks: BookLevel[] = Array.from({ length: 10 }, (_, i) => [Math.round((100.01 + i * 0.01) * 100) / 100, 100 + i]);
  const sum = bookChecksum(bids, asks, format);
  const snap = (seq: number) => ({ symbol: 'AAPL', seq, ts: seq, bids, asks, checksum: sum });
  const noop = (seq: number, checksum = sum): BookUpdate => ({ symbol: 'AAPL', seq, ts: seq, bids: [], asks: [], checksum });

  it('[D81][D82] a gap resumes from the last applied update; a checksum mismatch starts over from a fresh snapshot', async () => {
    const server = await scriptedServer((request, n, send) => {
      if (n === 1) {
        // seq 6 applies, 8 skips 7: a gap.
        setImmediate(() => send([noop(6), noop(8)]));
        return { ok: true, subscribed: [{ symbol: 'AAPL', epoch: 'e1', depth: 10, book: snap(5) }], rejected: [] };
      }
      if (n === 2) {
        // The missed ones follow the ack; then one whose checksum says the copy is wrong.
        setImmediate(() => send([noop(7), noop(8), noop(9, 12345)]));
        return { ok: true, subscribed: [{ symbol: 'AAPL', epoch: 'e1', depth: 10, book: snap(8), recovered: true }], rejected: [] };
      }
      setImmediate(() => send([noop(10)]));
      return { ok: true, subscribed: [{ symbol: 'AAPL', epoch: 'e1', depth: 10, book: snap(9) }], rejected: [] };
    });
    const r = bookClient(server.url);
    r.client.connect();
    await r.client.followBook('AAPL', META, 10);
    await until(r.client, ['book'], () => r.client.book('AAPL')?.seq === 10, 'seq 10 after both resyncs');
    expect(server.requests).toEqual([
      { symbols: ['AAPL'], depth: 10 },
      { symbols: ['AAPL'], depth: 10, resume: { AAPL: { epoch: 'e1', seq: 6 } } },
      { symbols: ['AAPL'], depth: 10 },
    ]);
    expect(r.resyncs).toEqual([
      { symbol: 'AAPL', reason: 'gap', seq: 6 },
      { symbol: 'AAPL', reason: 'checksum', seq: 8 },
    ]);
    // Updates of a server event in which the copy turned out wrong are not shown: the resync's snapshot is.
    expect(r.events.map((e) => `${e.cause}:${e.book.seq}`)).toEqual(['subscribed:5', 'recovered:6', 'reloaded:9', 'update:10']);
    expect(r.client.bookCounters('AAPL')).toMatchObject({ gaps: 1, checksumMismatches: 1 });
  });
});
