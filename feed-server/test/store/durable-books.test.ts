import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { applyBookDiff, bookChecksum, bookTop, decodeBookStreamPosition, type BookSubscribed, type BookUpdate, type BookPublish, type BookPublishReply, type BookResponse, type BookSides } from '@tickfeed/protocol';
import { consumer, publisher, range, startServer, stopAll } from '../support/harness.js';
import { readSse } from '../support/sse.js';
import { BOOK_FORMAT, BookFollower, BookScript, bookDeclaration, type FollowedBook } from '../support/books.js';
import { FrameBuilder } from '../../src/store/frame-codec.js';
import { startStoreChild, storedBooks, tempDataDir } from './store-support.js';

afterEach(stopAll);

const BATCH = 50;
const IN_FLIGHT = 4;
const EMPTY: BookSides = { bids: [], asks: [] };

async function restBook(url: string, symbol: string): Promise<BookResponse> {
  const res = await fetch(new URL(`/api/symbols/${symbol}/book?depth=50`, url));
  expect(res.status).toBe(200);
  return (await res.json()) as BookResponse;
}

describe('durable order books', () => {
  it('[L55] after each kill -9 during a fast book stream the log holds exactly the sent messages up to at least the last acked one, no gap, no duplicate; the restored book is the sent one; a follower resumes exactly', async () => {
    const dir = tempDataDir();
    const script = new BookScript('AAA', 11);
    /** Index i: the message numbered seq i + 1, and the book after it. */
    const sent: BookPublish[] = [];
    const states: BookSides[] = [];
    let acked = 0;
    let watcher: { point: { epoch: string; seq: number }; held: FollowedBook } | null = null;
    for (let round = 1; round <= 3; round++) {
      const server = await startStoreChild({ DATA_DIR: dir });
      const pub = await publisher(server.url);
      const declared = await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAA')] });
      if (!declared.ok) throw new Error(JSON.stringify(declared));
      const last = declared.declared[0]!.lastBookSeq!;
      // Every acked message survived; anything beyond was sent (and written) but its ack was lost with the process.
      expect(last).toBeGreaterThanOrEqual(acked);
      expect(last).toBeLessThanOrEqual(sent.length);
      if (round > 1) expect(last).toBeGreaterThan(0);
      sent.length = last;
      states.length = last;
      const onDisk = storedBooks(dir).get('AAA') ?? [];
      expect(onDisk.map((e) => e.seq)).toEqual(range(1, last));
      expect(onDisk.map((e) => JSON.parse(e.json) as BookPublish)).toEqual(sent);
      const book = states[last - 1] ?? EMPTY;
      const rest = await restBook(server.url, 'AAA');
      expect(rest).toMatchObject({ seq: last, bids: bookTop(book, 50).bids, asks: bookTop(book, 50).asks, checksum: bookChecksum(book.bids, book.asks, BOOK_FORMAT) });
      acked = last;
      script.book = book;
      script.seq = last;

      // A follower of the book before the kill resumes exactly, across the restart.
      const follower = new BookFollower(await consumer(server.url));
      if (watcher !== null) {
        follower.books.set('AAA', watcher.held);
        const reply = await follower.subscribe(['AAA'], 10, { AAA: watcher.point });
        expect(reply.subscribed[0]).toMatchObject({ epoch: watcher.point.epoch, recovered: true, book: { seq: last } });
        await follower.untilSeq('AAA', last);
        expect(follower.errors).toEqual([]);
        expect(follower.books.get('AAA')!.book).toEqual(bookTop(book, 10));
      } else await follower.subscribe(['AAA'], 10);
      const epoch = follower.books.get('AAA')!.epoch;

      const killAfter = 4 + round * 3;
      let acks = 0;
      let killed = false;
      await new Promise<void>((resolve) => {
        const sendNext = () => {
          if (killed) return;
          const batch: BookPublish[] = [];
          for (let i = 0; i < BATCH; i++) {
            batch.push(script.seq === 0 ? script.snapshot(15) : script.next());
            sent.push(batch.at(-1)!);
            states.push(script.book);
          }
          pub.timeout(5_000).emit('book:publish', { updates: batch }, (error: Error | null, reply: BookPublishReply) => {
            if (killed || error !== null) return;
            if (!reply.ok || reply.accepted !== batch.length) throw new Error(JSON.stringify(reply));
            acked = Math.max(acked, batch.at(-1)!.seq);
            if (++acks >= killAfter) {
              killed = true;
              resolve();
            } else sendNext();
          });
        };
        for (let i = 0; i < IN_FLIGHT; i++) sendNext();
      });
      await server.kill('SIGKILL');
      // What the follower holds is a prefix of what was sent: it resumes from there after the restart.
      const held = follower.books.get('AAA')!;
      expect(follower.errors).toEqual([]);
      expect(held.book).toEqual(bookTop(states[held.seq - 1] ?? EMPTY, 10));
      watcher = { point: { epoch, seq: held.seq }, held: structuredClone(held) };
      follower.socket.disconnect();
      pub.disconnect();
    }
  }, 60_000);

  it('[L56] a torn book frame at the end of the log is cut at start with a log line; without a checkpoint the log alone restores the book and its history', async () => {
    const dir = tempDataDir();
    const first = await startServer({ dataDir: dir });
    const pub = await publisher(first.url);
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    const script = new BookScript('AAPL', 5);
    const messages = [script.snapshot(12), ...Array.from({ length: 120 }, () => script.next())];
    expect(await pub.emitWithAck('book:publish', { updates: messages })).toMatchObject({ ok: true, accepted: 121 });
    const before = await restBook(first.url, 'AAPL');
    await first.server.close();
    // No checkpoint: the start-up reads the whole log.
    rmSync(join(dir, 'checkpoint.bin'));
    const logDir = join(dir, 'log');
    const segment = join(logDir, readdirSync(logDir).filter((f) => f.endsWith('.log')).sort().at(-1)!);
    const intact = statSync(segment).size;
    // Half of a real book frame, as a kill -9 in the middle of its write leaves it.
    const builder = new FrameBuilder();
    builder.addBook('AAPL', 122, JSON.stringify(script.next()));
    const frame = Buffer.from(builder.take()!);
    appendFileSync(segment, frame.subarray(0, Math.floor(frame.length / 2)));

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const second = await startServer({ dataDir: dir }, { logger });
    expect(lines.some((l) => l.includes('cut a torn write'))).toBe(true);
    expect(statSync(segment).size).toBe(intact);
    expect(await restBook(second.url, 'AAPL')).toEqual(before);
    // The history came back too: a resume from seq 1 is recovered with every update after it.
    const follower = new BookFollower(await consumer(second.url));
    follower.books.set('AAPL', { epoch: before.epoch, depth: 50, seq: 1, book: bookTop({ bids: messages[0]!.bids, asks: messages[0]!.asks }, 50), seqs: [], checksumsVerified: 0 });
    const reply = await follower.subscribe(['AAPL'], 50, { AAPL: { epoch: before.epoch, seq: 1 } });
    expect(reply.subscribed[0]).toMatchObject({ recovered: true, book: { seq: 121 } });
    await follower.untilSeq('AAPL', 121);
    expect(follower.errors).toEqual([]);
    expect(follower.books.get('AAPL')!.seqs).toEqual(range(2, 121));
    expect(follower.books.get('AAPL')!.book).toEqual({ bids: before.bids, asks: before.asks });
  });

  it('[L54] [L51] an SSE book stream resumes exactly across a restart with DATA_DIR (Last-Event-ID)', async () => {
    const dir = tempDataDir();
    const first = await startServer({ dataDir: dir });
    const pub = await publisher(first.url);
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    const script = new BookScript('AAPL', 6);
    expect(await pub.emitWithAck('book:publish', { updates: [script.snapshot(12), ...Array.from({ length: 30 }, () => script.next())] })).toMatchObject({ accepted: 31 });
    const opened = await readSse(`${first.url}/api/stream?symbols=AAPL&book=1`, {}, (events) => events.some((e) => e.event === 'book:subscribed'));
    const lastId = opened.events.find((e) => e.event === 'book:subscribed')!.id!;
    expect(decodeBookStreamPosition(lastId).get('AAPL')).toMatchObject({ seq: 31, depth: 10 });
    const held = JSON.parse(opened.events.find((e) => e.event === 'book:subscribed')!.data) as BookSubscribed;
    expect(await pub.emitWithAck('book:publish', { updates: Array.from({ length: 20 }, () => script.next()) })).toMatchObject({ accepted: 20 });
    await first.server.close();

    const second = await startServer({ dataDir: dir });
    const updates: BookUpdate[] = [];
    const resumed = await readSse(`${second.url}/api/stream?symbols=AAPL&book=1`, { 'last-event-id': lastId }, () => updates.at(-1)?.seq === 51, (event) => {
      if (event.event === 'book') updates.push(...(JSON.parse(event.data) as BookUpdate[]));
    });
    const entry = JSON.parse(resumed.events.find((e) => e.event === 'book:subscribed')!.data) as BookSubscribed;
    expect(entry).toMatchObject({ epoch: held.epoch, recovered: true, book: { seq: 51 } });
    expect(updates.map((u) => u.seq)).toEqual(range(32, 51));
    let book: BookSides = { bids: held.book.bids, asks: held.book.asks };
    for (const u of updates) book = applyBookDiff(book, u, 10);
    expect(book).toEqual(bookTop(script.book, 10));
  });
});
