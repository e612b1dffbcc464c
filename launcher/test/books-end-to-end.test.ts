import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { BookResponse, BookSides, ClientToServerEvents, IngestPort, ServerToClientEvents } from '@tickfeed/protocol';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { connectIngest, parseSimulatorArgs, startSimulator, type RunningSimulator, type SocketIngestPort } from '@tickfeed/simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { BookFollower } from './support/book-follower.js';

/*
 * Books end to end: the simulator publishing in-process (as `npm start`
 * does) into a real feed server, and a real Socket.IO client following the
 * book channel. The real L2 excerpt lives beside the repository in
 * ../shared/data-l2 and is not copied into it.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const L2_DIR = path.resolve(repoRoot, '../shared/data-l2');
const L2_MESSAGES = path.join(L2_DIR, 'AAPL-2012-06-21-l2-messages.csv');
const L2_BOOK = path.join(L2_DIR, 'AAPL-2012-06-21-l2-book10.csv');
const TRADES = path.resolve(repoRoot, '../shared/data/AAPL-2012-06-21-trades.csv');

function requireFile(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: these tests read the real data beside the repository (../shared/data and ../shared/data-l2, see their README.md) and cannot run without it`);
  }
  return file;
}

type Consumer = Socket<ServerToClientEvents, ClientToServerEvents>;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function startServer(): Promise<{ server: FeedServer; url: string }> {
  const server = await createFeedServer(testServerConfig());
  cleanups.push(() => server.close());
  const { url } = await server.listen();
  return { server, url };
}

async function startSim(argv: string[], port: IngestPort): Promise<RunningSimulator> {
  const sim = await startSimulator(parseSimulatorArgs(argv), port, { terminal: null });
  cleanups.push(() => sim.stop());
  return sim;
}

async function follower(url: string): Promise<BookFollower> {
  const socket: Consumer = connectClient(url, { transports: ['websocket'], reconnection: false });
  cleanups.push(async () => {
    socket.disconnect();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return new BookFollower(socket, url);
}

async function restBook(url: string, symbol: string): Promise<BookResponse> {
  const res = await fetch(`${url}/api/symbols/${symbol}/book?depth=10`);
  expect(res.status).toBe(200);
  return (await res.json()) as BookResponse;
}

/**
 * An ingest port whose publishing waits for `open()`: the declare goes
 * through, so a client can subscribe at seq 0 before the first book message.
 */
function gated(port: IngestPort): { port: IngestPort; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const publishBook = port.publishBook;
  return {
    open,
    port: {
      declare: (r) => port.declare(r),
      publish: async (r) => {
        await gate;
        return port.publish(r);
      },
      ...(publishBook === undefined
        ? {}
        : {
            publishBook: async (r) => {
              await gate;
              return publishBook.call(port, r);
            },
          }),
      status: (s) => port.status(s),
      onControl: (h) => port.onControl(h),
      onReconnect: (h) => port.onReconnect(h),
      close: () => port.close(),
    },
  };
}

async function* csvRows(file: string): AsyncGenerator<string[]> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) {
      first = false;
      continue;
    }
    if (line.length > 0) yield line.split(',');
  }
}

/** The book file's rows as books (10 levels per side; empty cells are absent levels), with each row's ts (ms). */
async function bookRows(file: string): Promise<Array<BookSides & { ts: number }>> {
  const out: Array<BookSides & { ts: number }> = [];
  for await (const cells of csvRows(file)) {
    const bids: [number, number][] = [];
    const asks: [number, number][] = [];
    for (let k = 0; k < 10; k++) {
      const [bp, bs, ap, as] = cells.slice(1 + 4 * k, 5 + 4 * k);
      if (bp !== undefined && bp !== '') bids.push([Number(bp), Number(bs)]);
      if (ap !== undefined && ap !== '') asks.push([Number(ap), Number(as)]);
    }
    out.push({ ts: Date.parse(cells[0]!.replace(/(\.\d{3})\d*Z$/, '$1Z')), bids, asks });
  }
  return out;
}

const sameBook = (a: BookSides, b: BookSides) => JSON.stringify([a.bids, a.asks]) === JSON.stringify([b.bids, b.asks]);
const sides = (b: BookSides): BookSides => ({ bids: b.bids, asks: b.asks });

describe('order books end to end', () => {
  it('[S60] live: AAPL and BTC-USD books at depth 10 verify every checksum, have no gap, equal REST /book at the same seq, and ticks quote the book', async () => {
    const { server, url } = await startServer();
    const sim = await startSim(['--symbols', 'AAPL,BTC-USD', '--book-depth', '10', '--seed', '3'], server.localIngest());
    const f = await follower(url);
    await f.subscribe(['AAPL', 'BTC-USD'], 10);
    const start = new Map([...f.books].map(([s, b]) => [s, b.seq]));
    // A few seconds of live flow: enough updates of both books and some trades.
    await f.until(() => [...f.books].every(([s, b]) => b.seq >= start.get(s)! + 150) && f.ticks.length >= 10);
    for (const symbol of ['AAPL', 'BTC-USD']) {
      const rest = await restBook(url, symbol);
      const held = f.books.get(symbol)!;
      await f.until(() => held.seq >= rest.seq);
      expect(held.epoch).toBe(rest.epoch);
      expect(held.history.get(rest.seq), `${symbol} at seq ${rest.seq}`).toEqual({ bids: rest.bids, asks: rest.asks });
      expect(held.checksums).toBeGreaterThan(150);
      expect(held.book.bids.length).toBe(10);
      expect(held.book.asks.length).toBe(10);
    }
    expect(f.errors).toEqual([]);
    for (const t of f.ticks) expect(f.books.get(t.symbol)!.quotes.has(`${t.bid}/${t.ask}`), `tick ${t.symbol} #${t.seq} quotes ${t.bid}/${t.ask}`).toBe(true);
    const stats = sim.stats().publisher;
    expect(stats).toMatchObject({ rejected: 0, bookRejected: 0, dropped: 0 });
    expect(stats.bookAccepted).toBeGreaterThan(300);
  });

  it('[S60] --book-depth 0: no book is declared and ticks flow as before', async () => {
    const { server, url } = await startServer();
    const sim = await startSim(['--symbols', 'AAPL', '--book-depth', '0', '--seed', '3'], server.localIngest());
    const meta = (await (await fetch(`${url}/api/symbols/AAPL`)).json()) as { meta: { book?: boolean } };
    expect(meta.meta.book).toBeUndefined();
    const res = await fetch(`${url}/api/symbols/AAPL/book`);
    expect(res.status).toBe(404);
    await sim.stop();
    expect(sim.stats().publisher.bookAccepted).toBe(0);
  });

  it('[S62] L2 replay at --speed max: after every row the server book equals that row, every checksum verifies, and the trades are the first 159 of the trade tape', async () => {
    requireFile(L2_MESSAGES);
    requireFile(L2_BOOK);
    requireFile(TRADES);
    const rows = await bookRows(L2_BOOK);
    expect(rows.length).toBe(999);
    const { server, url } = await startServer();
    const gate = gated(server.localIngest());
    const sim = await startSim(['--replay', L2_MESSAGES, '--speed', 'max'], gate.port);
    const f = await follower(url);
    await f.subscribe(['AAPL'], 10);
    const book = f.books.get('AAPL')!;
    expect(book.seq).toBe(0);
    gate.open();
    await sim.ended;
    // Each row that changes the visible book is one update (the 61 hidden executions change nothing).
    const expected: BookSides[] = [];
    for (let i = 0; i < rows.length; i++) if (i === 0 || !sameBook(rows[i]!, rows[i - 1]!)) expected.push(sides(rows[i]!));
    expect(expected.length).toBe(999 - 61);
    await f.until(() => book.seq >= expected.length && f.ticks.length >= 159);
    expect(f.errors).toEqual([]);
    expect(book.seq).toBe(expected.length);
    for (let seq = 1; seq <= expected.length; seq++) {
      const held = book.history.get(seq);
      if (!sameBook(held!, expected[seq - 1]!)) expect(held, `book at seq ${seq}`).toEqual(expected[seq - 1]);
    }
    expect(book.checksums).toBe(expected.length + 1);
    const rest = await restBook(url, 'AAPL');
    expect({ seq: rest.seq, bids: rest.bids, asks: rest.asks }).toEqual({ seq: expected.length, ...sides(rows[rows.length - 1]!) });

    const tape: Array<{ ts: number; price: number; size: number }> = [];
    let header: string[] | null = null;
    const rl = createInterface({ input: createReadStream(TRADES, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) {
      if (header === null) {
        header = line.split(',');
        continue;
      }
      const cells = line.split(',');
      const at = (name: string) => cells[header!.indexOf(name)]!;
      tape.push({ ts: Date.parse(at('ts')), price: Number(at('price')), size: Number(at('size')) });
      if (tape.length === 159) break;
    }
    rl.close();
    expect(f.ticks.map((t) => ({ ts: t.ts, price: t.price, size: t.size }))).toEqual(tape);
    expect(sim.stats().publisher).toMatchObject({ rejected: 0, bookRejected: 0, dropped: 0 });
  });

  it('[S63] L2 replay controls: pause holds the book, a seek starts a new epoch whose first update is the whole book at the seek time, speed max plays on to the last row', async () => {
    requireFile(L2_MESSAGES);
    const rows = await bookRows(requireFile(L2_BOOK));
    const { server, url } = await startServer();
    const gate = gated(server.localIngest());
    const sim = await startSim(['--replay', L2_MESSAGES, '--speed', '1'], gate.port);
    const f = await follower(url);
    f.acceptResets = true;
    await f.subscribe(['AAPL'], 10);
    gate.open();
    await f.until(() => f.books.get('AAPL')!.seq >= 5);
    const paused = await sim.control({ action: 'pause' });
    expect(paused).toMatchObject({ ok: true, status: { state: 'paused' } });
    const firstEpoch = f.books.get('AAPL')!.epoch;
    const target = rows[600]!.ts;
    const seeked = await sim.control({ action: 'seek', to: target });
    expect(seeked.ok).toBe(true);
    // The new epoch starts empty and, while paused, stays so.
    await f.until(() => f.books.get('AAPL')!.epoch !== firstEpoch);
    expect(f.resets.map((r) => ({ symbol: r.symbol, seq: r.book.seq, bids: r.book.bids, asks: r.book.asks }))).toEqual([{ symbol: 'AAPL', seq: 0, bids: [], asks: [] }]);
    expect((await restBook(url, 'AAPL')).seq).toBe(0);
    expect(await sim.control({ action: 'speed', speed: 'max' })).toMatchObject({ ok: true, status: { speed: 'max' } });
    expect(await sim.control({ action: 'resume' })).toMatchObject({ ok: true, status: { state: 'playing' } });
    await sim.ended;
    const book = f.books.get('AAPL')!;
    const firstRow = rows.findIndex((r) => r.ts >= target);
    let changes = 1;
    for (let i = firstRow + 1; i < rows.length; i++) if (!sameBook(rows[i]!, rows[i - 1]!)) changes++;
    await f.until(() => book.seq >= changes);
    expect(f.errors).toEqual([]);
    expect(book.history.get(1)).toEqual(sides(rows[firstRow]!));
    expect(book.seq).toBe(changes);
    expect(book.book).toEqual(sides(rows[rows.length - 1]!));
    expect(book.checksums).toBe(changes + 1);
  });

  it('[S61] live over /ingest: after connection losses, and for a second simulator continuing the server\'s book, each book resyncs by a snapshot with no gap or bad checksum for its follower', async () => {
    const { url } = await startServer();
    const connect = async (publisherId: string): Promise<SocketIngestPort> => {
      const port = await connectIngest({ url, token: 'test-token', retryDelayMs: 50, publisherId });
      cleanups.push(() => port.close());
      return port;
    };
    const port = await connect('books-a');
    const sim = await startSim(['--symbols', 'AAPL', '--book-depth', '10', '--seed', '5'], port);
    const f = await follower(url);
    await f.subscribe(['AAPL'], 10);
    const book = f.books.get('AAPL')!;
    for (let i = 0; i < 2; i++) {
      const seq = book.seq;
      await f.until(() => book.seq >= seq + 40);
      const resyncs = sim.stats().publisher.resyncs;
      port.simulateConnectionLoss();
      await f.until(() => sim.stats().publisher.resyncs > resyncs && book.seq >= seq + 120);
    }
    expect(sim.stats().publisher.bookResyncs).toBeGreaterThanOrEqual(2);
    await sim.stop();
    await port.close();
    // A new process (same publisher id, so the symbol stays its own) numbers from 1: the server's expected seq puts it right.
    const seqBefore = book.seq;
    const second = await startSim(['--symbols', 'AAPL', '--book-depth', '10', '--seed', '6'], await connect('books-a'));
    await f.until(() => book.seq >= seqBefore + 80);
    expect(second.stats().publisher.bookResyncs).toBeGreaterThanOrEqual(1);
    const rest = await restBook(url, 'AAPL');
    await f.until(() => book.seq >= rest.seq);
    expect(book.history.get(rest.seq)).toEqual({ bids: rest.bids, asks: rest.asks });
    expect(f.errors).toEqual([]);
    expect(book.epoch).toBe(rest.epoch);
    expect(second.stats().publisher.rejected).toBe(0);
  });
});
