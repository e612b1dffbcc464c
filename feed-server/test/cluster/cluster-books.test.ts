import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bookChecksum, bookTop, type BookPublish, type BookResponse } from '@tickfeed/protocol';
import { startRedisServer, type RedisServer } from '@tickfeed/dev-tools';
import { consumer, publisher, stopAll, type PublisherClient } from '../support/harness.js';
import { BOOK_FORMAT, BookFollower, BookScript, bookDeclaration } from '../support/books.js';
import { createClient } from 'redis';
import { BookStore, type BookAppend } from '../../src/cluster/book-store.js';
import type { RedisClient } from '../../src/cluster/shared-store.js';
import { StoreKeys } from '../../src/cluster/store-keys.js';
import { getJson, startInstance } from './cluster-support.js';

let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(stopAll);
afterAll(async () => {
  await redis.stop();
});

async function publishAll(pub: PublisherClient, messages: BookPublish[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 200) {
    const reply = await pub.emitWithAck('book:publish', { updates: messages.slice(i, i + 200) });
    expect(reply).toMatchObject({ ok: true, rejected: [] });
  }
}

async function restBook(url: string, symbol = 'AAPL', depth = 10): Promise<BookResponse> {
  const { status, body } = await getJson<BookResponse>(`${url}/api/symbols/${symbol}/book?depth=${depth}`);
  expect(status).toBe(200);
  return body;
}

/** Two instances sharing Redis under a key prefix of their own, AAPL declared with a book on A and known on B. */
async function bookPair(overrides: Parameters<typeof startInstance>[2] = {}) {
  const keyPrefix = `books${++prefixes}:`;
  const a = await startInstance(redis.url, 'A', overrides, { keyPrefix });
  const b = await startInstance(redis.url, 'B', {}, { keyPrefix });
  const pub = await publisher(a.url);
  const declared = await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
  if (!declared.ok) throw new Error('declare failed');
  await vi.waitFor(async () => expect((await getJson(`${b.url}/api/symbols/AAPL/book`)).status).toBe(200), { timeout: 5_000 });
  return { a, b, pub, keyPrefix, script: new BookScript('AAPL', 11) };
}

describe('books shared through Redis', () => {
  it('[C30][C31][L26] a book published on A is followed on B: same epoch, every update from ack seq + 1, every checksum verifies, equal to REST on A at the same seq', async () => {
    const { a, b, pub, script } = await bookPair();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 40 }, () => script.next())]);
    await vi.waitFor(async () => expect((await restBook(b.url)).seq).toBe(script.seq), { timeout: 5_000 });
    // One book epoch on every instance, so a resume point is valid on each.
    expect((await restBook(b.url)).epoch).toBe((await restBook(a.url)).epoch);

    const follower = new BookFollower(await consumer(b.url));
    const ack = await follower.subscribe(['AAPL'], 10);
    const from = ack.subscribed[0]!.book.seq;
    expect(from).toBe(41);
    await publishAll(pub, Array.from({ length: 600 }, () => script.next()));
    await follower.untilSeq('AAPL', script.seq);
    const held = follower.books.get('AAPL')!;
    expect(follower.errors).toEqual([]);
    expect(follower.resets).toEqual([]);
    expect(held.seqs).toEqual(Array.from({ length: 600 }, (_, k) => from + 1 + k));
    expect(held.checksumsVerified).toBe(600);
    expect(held.book).toEqual(bookTop(script.book, 10));
    const onA = await restBook(a.url);
    expect(onA.seq).toBe(held.seq);
    expect({ bids: onA.bids, asks: onA.asks }).toEqual(held.book);
    expect(onA.checksum).toBe(bookChecksum(script.book.bids, script.book.asks, BOOK_FORMAT));
  });

  it('[C32] a client that follows on A, disconnects and resumes on B gets recovered: true and exactly the missed updates', async () => {
    const { a, b, pub, script } = await bookPair();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 50 }, () => script.next())]);
    const first = new BookFollower(await consumer(a.url));
    await first.subscribe(['AAPL'], 10);
    await publishAll(pub, Array.from({ length: 100 }, () => script.next()));
    await first.untilSeq('AAPL', script.seq);
    const held = first.books.get('AAPL')!;
    first.socket.disconnect();
    const resumeAt = held.seq;
    await publishAll(pub, Array.from({ length: 300 }, () => script.next()));
    await vi.waitFor(async () => expect((await restBook(b.url)).seq).toBe(script.seq), { timeout: 5_000 });

    const second = new BookFollower(await consumer(b.url));
    second.books.set('AAPL', { ...held, seqs: [], checksumsVerified: 0 });
    const ack = await second.subscribe(['AAPL'], 10, { AAPL: { epoch: held.epoch, seq: resumeAt } });
    expect(ack.subscribed[0]).toMatchObject({ recovered: true, epoch: held.epoch, book: { seq: script.seq } });
    await publishAll(pub, Array.from({ length: 50 }, () => script.next()));
    await second.untilSeq('AAPL', script.seq);
    const resumed = second.books.get('AAPL')!;
    expect(second.errors).toEqual([]);
    expect(resumed.seqs).toEqual(Array.from({ length: 350 }, (_, k) => resumeAt + 1 + k));
    expect(resumed.checksumsVerified).toBe(350);
    expect(resumed.book).toEqual(bookTop(script.book, 10));
  });

  it('[C34] a book resume ahead of the instance (it missed the announcements) waits for the book to catch up from the store: recovered: true and exactly the missed updates', async () => {
    const { a, b, pub, script } = await bookPair();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 50 }, () => script.next())]);
    await vi.waitFor(async () => expect((await restBook(b.url)).seq).toBe(script.seq), { timeout: 5_000 });
    const behindAt = script.seq;
    // B stops hearing A's books (as if its subscription were lost): only the store can tell it what happened.
    b.server.io.of('/').removeAllListeners('cluster:book');
    const first = new BookFollower(await consumer(a.url));
    await first.subscribe(['AAPL'], 10);
    await publishAll(pub, Array.from({ length: 200 }, () => script.next()));
    await first.untilSeq('AAPL', script.seq);
    const held = first.books.get('AAPL')!;
    first.socket.disconnect();
    const resumeAt = held.seq;
    await publishAll(pub, Array.from({ length: 30 }, () => script.next()));
    expect((await restBook(b.url)).seq).toBe(behindAt);

    const second = new BookFollower(await consumer(b.url));
    second.books.set('AAPL', { ...held, seqs: [], checksumsVerified: 0 });
    const ack = await second.subscribe(['AAPL'], 10, { AAPL: { epoch: held.epoch, seq: resumeAt } });
    expect(ack.subscribed[0]).toMatchObject({ recovered: true, epoch: held.epoch, book: { seq: script.seq } });
    await second.untilSeq('AAPL', script.seq);
    const resumed = second.books.get('AAPL')!;
    expect(second.errors).toEqual([]);
    expect(resumed.seqs).toEqual(Array.from({ length: 30 }, (_, k) => resumeAt + 1 + k));
    expect(resumed.checksumsVerified).toBe(30);
    expect(resumed.book).toEqual(bookTop(script.book, 10));
    expect((await restBook(b.url)).seq).toBe(script.seq);

    // Requests keep their order behind a catch-up: an unsubscribe sent right after a waiting subscribe is answered after it.
    await publishAll(pub, Array.from({ length: 20 }, () => script.next()));
    const third = await consumer(b.url);
    const answered: string[] = [];
    const subscribing = third.emitWithAck('book:subscribe', { symbols: ['AAPL'], depth: 10, resume: { AAPL: { epoch: held.epoch, seq: script.seq } } }).then((reply) => {
      answered.push('subscribe');
      return reply;
    });
    const unsubscribing = third.emitWithAck('book:unsubscribe', { symbols: ['AAPL'] }).then((reply) => {
      answered.push('unsubscribe');
      return reply;
    });
    expect(await subscribing).toMatchObject({ ok: true, subscribed: [{ symbol: 'AAPL', recovered: true, book: { seq: script.seq } }] });
    expect(await unsubscribing).toMatchObject({ ok: true });
    expect(answered).toEqual(['subscribe', 'unsubscribe']);
  });

  it('[C33] an instance that starts later loads each book from the store in the shared epoch at its seq, and continues it from the live stream', async () => {
    const { a, pub, keyPrefix, script } = await bookPair();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 80 }, () => script.next())]);
    const c = await startInstance(redis.url, 'C', {}, { keyPrefix });
    const onC = await restBook(c.url);
    const onA = await restBook(a.url);
    expect(onC).toEqual(onA);
    expect(onC.seq).toBe(81);

    const follower = new BookFollower(await consumer(c.url));
    await follower.subscribe(['AAPL'], 10);
    await publishAll(pub, Array.from({ length: 100 }, () => script.next()));
    await follower.untilSeq('AAPL', script.seq);
    expect(follower.errors).toEqual([]);
    expect(follower.books.get('AAPL')!.seqs).toEqual(Array.from({ length: 100 }, (_, k) => 82 + k));
    expect(follower.books.get('AAPL')!.book).toEqual(bookTop(script.book, 10));
  });

  it('[C33] when the book log no longer reaches back, a starting instance takes the stored book itself (no history: a resume from before it gets recovered: false)', async () => {
    // A log of ~10 messages (MAXLEN ~ trims by whole nodes, so somewhat more are kept; never all 501).
    const { a, pub, keyPrefix, script } = await bookPair({ bookHistoryUpdates: 10 });
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 500 }, () => script.next())]);
    const onA = await restBook(a.url);
    const c = await startInstance(redis.url, 'C', {}, { keyPrefix });
    expect(await restBook(c.url)).toEqual(onA);
    const follower = new BookFollower(await consumer(c.url));
    const ack = await follower.subscribe(['AAPL'], 10, { AAPL: { epoch: onA.epoch, seq: 5 } });
    expect(ack.subscribed[0]).toMatchObject({ recovered: false, book: { seq: 501 } });
    await publishAll(pub, Array.from({ length: 20 }, () => script.next()));
    await follower.untilSeq('AAPL', script.seq);
    expect(follower.errors).toEqual([]);
    expect(follower.books.get('AAPL')!.book).toEqual(bookTop(script.book, 10));
  });

  it('[C30] the book log is contiguous: re-sent messages change nothing; other messages at stored seqs (CONFLICT), a hole (GAP) or another symbol epoch (EPOCH) are refused', async () => {
    const client: RedisClient = createClient({ url: redis.url });
    await client.connect();
    try {
      const keys = new StoreKeys(`books${++prefixes}:`);
      const store = new BookStore(client, keys, 100);
      await client.hSet(keys.symbol('AAPL').book, 'epoch', 'E1');
      const item = (first: number, messages: string[], symbolEpoch = 'E1'): BookAppend => ({
        symbol: 'AAPL',
        symbolEpoch,
        firstSeq: first,
        lastSeq: first + messages.length - 1,
        ts: 1_000 + first,
        sides: { bids: [[100, first]], asks: [[101, 1]] },
        messages,
      });
      expect(await store.append(item(1, ['m1', 'm2', 'm3']), false)).toBe('OK');
      expect(await store.append(item(2, ['m2', 'm3']), false)).toBe('OK');
      expect(await store.append(item(3, ['other']), false)).toBe('CONFLICT');
      expect(await store.append(item(5, ['m5']), false)).toBe('GAP');
      expect(await store.append(item(4, ['m4']), false)).toBe('OK');
      expect(await store.append(item(5, ['m5'], 'E0'), false)).toBe('EPOCH');
      const stored = await store.read('AAPL', 2);
      expect(stored).toMatchObject({ symbolEpoch: 'E1', seq: 4, ts: 1_004, sides: { bids: [[100, 4]], asks: [[101, 1]] } });
      expect(stored!.entries).toEqual([2, 3, 4].map((seq) => ({ seq, json: `m${seq}` })));
      // A replacing write starts the log again at its messages.
      expect(await store.append(item(9, ['m9']), true)).toBe('OK');
      expect((await store.read('AAPL', 0))!.entries).toEqual([{ seq: 9, json: 'm9' }]);
      // A new symbol epoch: the old epoch's book is not served.
      await client.hSet(keys.symbol('AAPL').book, 'epoch', 'E2');
      expect(await store.read('AAPL', 0)).toBeNull();
      expect(await store.copy('first')).toBe('first');
      expect(await store.copy('second')).toBe('first');
    } finally {
      await client.quit();
    }
  });
});
