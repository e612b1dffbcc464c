import { connect as tcpConnect, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCode,
  applyBookDiff,
  bookChecksum,
  bookTop,
  decodeBookStreamPosition,
  type BookPublish,
  type BookReset,
  type BookSides,
  type BookSubscribed,
  type BookUpdate,
  type IngestPort,
} from '@tickfeed/protocol';
import { declaration, onCleanup, startServer, stopAll, type RunningServer } from './support/harness.js';
import { BOOK_FORMAT, BookScript, bookDeclaration } from './support/books.js';
import { readSse, type SseEvent } from './support/sse.js';
import { jwtConfig, mint } from './support/tokens.js';

afterEach(stopAll);

async function publishBooks(port: IngestPort, messages: BookPublish[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 500) {
    const reply = await port.publishBook!({ updates: messages.slice(i, i + 500) });
    expect(reply).toMatchObject({ ok: true, rejected: [] });
  }
}

/** A server with two book symbols (AAPL, GOOG) and a tick-only one (MSFT), each AAPL/GOOG book seeded with a snapshot. */
async function bookServer(overrides: Parameters<typeof startServer>[0] = {}) {
  const running = await startServer(overrides);
  const ingest = running.server.localIngest();
  await ingest.declare({ symbols: [bookDeclaration('AAPL'), bookDeclaration('GOOG', 200), declaration('MSFT')] });
  const scripts = { AAPL: new BookScript('AAPL', 3), GOOG: new BookScript('GOOG', 4) };
  await publishBooks(ingest, [scripts.AAPL.snapshot(15), scripts.GOOG.snapshot(15)]);
  return { ...running, ingest, scripts };
}

/** What an SSE client holds of its books, following the events as docs/protocol.md says. */
class SseBooks {
  readonly books = new Map<string, { epoch: string; depth: number; seq: number; book: BookSides }>();
  readonly errors: string[] = [];
  readonly subscribed: BookSubscribed[] = [];
  checksumsVerified = 0;

  on(event: SseEvent): void {
    if (event.event === 'book:subscribed') {
      const entry = JSON.parse(event.data) as BookSubscribed;
      this.subscribed.push(entry);
      if (entry.recovered === true && this.books.has(entry.symbol)) return;
      this.books.set(entry.symbol, { epoch: entry.epoch, depth: entry.depth, seq: entry.book.seq, book: { bids: entry.book.bids, asks: entry.book.asks } });
    } else if (event.event === 'book:reset') {
      const reset = JSON.parse(event.data) as BookReset;
      this.books.set(reset.symbol, { epoch: reset.epoch, depth: reset.depth, seq: reset.book.seq, book: { bids: reset.book.bids, asks: reset.book.asks } });
    } else if (event.event === 'book') {
      for (const update of JSON.parse(event.data) as BookUpdate[]) {
        const held = this.books.get(update.symbol);
        if (held === undefined) {
          this.errors.push(`${update.symbol}: update of a book not followed`);
          continue;
        }
        if (update.seq !== held.seq + 1) this.errors.push(`${update.symbol}: expected ${held.seq + 1}, got ${update.seq}`);
        held.book = applyBookDiff(held.book, { bids: update.bids, asks: update.asks }, held.depth);
        held.seq = update.seq;
        if (held.depth >= 10) {
          if (bookChecksum(held.book.bids, held.book.asks, BOOK_FORMAT) === update.checksum) this.checksumsVerified++;
          else this.errors.push(`${update.symbol}: checksum mismatch at ${update.seq}`);
        }
      }
    }
    // Every id says exactly where this client's books stand.
    if (event.id !== undefined) {
      for (const [symbol, point] of decodeBookStreamPosition(event.id)) {
        const held = this.books.get(symbol);
        if (held === undefined || held.seq !== point.seq || held.epoch !== point.epoch || held.depth !== point.depth) {
          this.errors.push(`${symbol}: id says ${point.epoch}/${point.seq}, client holds ${held?.epoch}/${held?.seq}`);
        }
      }
    }
  }

  seqOf(symbol: string): number {
    return this.books.get(symbol)?.seq ?? -1;
  }
}

/** Opens a book stream; resolves with its events once `until` holds. `opened` fires on the first book:subscribed. */
function follow(url: string, path: string, client: SseBooks, until: () => boolean, headers: Record<string, string> = {}, opened: () => void = () => undefined) {
  return readSse(`${url}${path}`, headers, until, (event) => {
    client.on(event);
    if (event.event === 'book:subscribed') opened();
  });
}

describe('order books over Server-Sent Events', () => {
  it('[L50] book=1 sends a book:subscribed snapshot per symbol, then book events whose checksums verify and whose id is the book position', async () => {
    const { url, ingest: port, scripts } = await bookServer();
    const client = new SseBooks();
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const reading = follow(url, '/api/stream?symbols=AAPL,GOOG&book=1', client, () => client.seqOf('AAPL') >= 301 && client.seqOf('GOOG') >= 301, {}, open);
    await opened;
    const messages: BookPublish[] = [];
    for (let i = 0; i < 300; i++) messages.push(scripts.AAPL.next(), scripts.GOOG.next());
    await publishBooks(port, messages);
    const { events } = await reading;
    expect(client.errors).toEqual([]);
    expect(client.subscribed.map((s) => [s.symbol, s.depth, s.book.seq])).toEqual([
      ['AAPL', 10, 1],
      ['GOOG', 10, 1],
    ]);
    // The tick snapshots come first, then the book snapshots, then updates.
    expect(events.findIndex((e) => e.event === 'subscribed')).toBeLessThan(events.findIndex((e) => e.event === 'book:subscribed'));
    expect(client.checksumsVerified).toBe(600);
    for (const symbol of ['AAPL', 'GOOG'] as const) expect(client.books.get(symbol)!.book).toEqual(bookTop(scripts[symbol].book, 10));
  });

  it('[L51] Last-Event-ID resumes each book exactly (recovered: true, only the missed updates); another depth, epoch or an id without book parts gets a fresh snapshot', async () => {
    const { url, ingest: port, scripts } = await bookServer();
    const client = new SseBooks();
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const first = follow(url, '/api/stream?symbols=AAPL,GOOG&book=1&depth=5', client, () => client.seqOf('AAPL') >= 101, {}, open);
    await opened;
    const batch = (n: number) => {
      const out: BookPublish[] = [];
      for (let i = 0; i < n; i++) out.push(scripts.AAPL.next(), scripts.GOOG.next());
      return out;
    };
    await publishBooks(port, batch(100));
    const { events } = await first;
    const lastId = events.filter((e) => e.id !== undefined).at(-1)!.id!;
    const held = new Map([...client.books].map(([s, b]) => [s, b.seq]));
    await publishBooks(port, batch(150));

    const resumedEvents: SseEvent[] = [];
    const resumed = await follow(
      url,
      '/api/stream?symbols=AAPL,GOOG&book=1&depth=5',
      client,
      () => client.seqOf('AAPL') >= 251 && client.seqOf('GOOG') >= 251,
      { 'last-event-id': lastId },
    );
    resumedEvents.push(...resumed.events);
    expect(client.errors).toEqual([]);
    expect(client.subscribed.slice(-2).map((s) => [s.symbol, s.recovered])).toEqual([
      ['AAPL', true],
      ['GOOG', true],
    ]);
    // Exactly the missed updates: the first update of each symbol follows what the client held.
    const updates = resumedEvents.filter((e) => e.event === 'book').flatMap((e) => JSON.parse(e.data) as BookUpdate[]);
    for (const symbol of ['AAPL', 'GOOG'] as const) {
      const seqs = updates.filter((u) => u.symbol === symbol).map((u) => u.seq);
      expect(seqs[0]).toBe(held.get(symbol)! + 1);
      expect(seqs.at(-1)).toBe(251);
      expect(client.books.get(symbol)!.book).toEqual(bookTop(scripts[symbol].book, 5));
    }

    // At another depth, the held position cannot be continued: a fresh snapshot (recovered: false).
    const other = new SseBooks();
    await follow(url, '/api/stream?symbols=AAPL&book=1&depth=10', other, () => other.subscribed.length === 1, { 'last-event-id': lastId });
    expect(other.subscribed[0]).toMatchObject({ symbol: 'AAPL', recovered: false, depth: 10, book: { seq: 251 } });
    // An id of a stream without books (tick parts only) still resumes ticks and starts the books afresh.
    const plain = new SseBooks();
    const tickOnly = await follow(url, '/api/stream?symbols=AAPL&book=1', plain, () => plain.subscribed.length === 1, { 'last-event-id': lastId.split(' ').filter((p) => p.split('~').length === 3).join(' ') });
    expect(plain.subscribed[0]!.recovered).toBeUndefined();
    expect(plain.subscribed[0]!.book.seq).toBe(251);
    expect(tickOnly.status).toBe(200);
    // Another epoch (a book of a lost copy): recovered: false.
    const stale = lastId.replace(/(AAPL~)([^~ ]+)(~\d+~b5)/, '$1other.epoch$3');
    const staleClient = new SseBooks();
    await follow(url, '/api/stream?symbols=AAPL&book=1&depth=5', staleClient, () => staleClient.subscribed.length === 1, { 'last-event-id': stale });
    expect(staleClient.subscribed[0]).toMatchObject({ recovered: false, book: { seq: 251 } });
  });

  it('[L52] a new epoch sends book:reset with the empty book; its id moves the position to the new epoch', async () => {
    const { url, ingest: port, scripts } = await bookServer();
    const client = new SseBooks();
    const resets: BookReset[] = [];
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const reading = readSse(
      `${url}/api/stream?symbols=AAPL&book=1`,
      {},
      () => resets.length > 0 && client.seqOf('AAPL') >= 1,
      (event) => {
        client.on(event);
        if (event.event === 'book:subscribed') open();
        if (event.event === 'book:reset') resets.push(JSON.parse(event.data) as BookReset);
      },
    );
    await opened;
    const before = client.books.get('AAPL')!.epoch;
    await port.declare({ symbols: [bookDeclaration('AAPL')], reset: true, reason: 'seek' });
    scripts.AAPL = new BookScript('AAPL', 9);
    await publishBooks(port, [scripts.AAPL.snapshot(12)]);
    await reading;
    expect(client.errors).toEqual([]);
    expect(resets[0]).toMatchObject({ symbol: 'AAPL', book: { seq: 0, bids: [], asks: [] } });
    expect(resets[0]!.epoch).not.toBe(before);
    expect(client.books.get('AAPL')!.book).toEqual(bookTop(scripts.AAPL.book, 10));
  });

  it('[L53] book=1 needs the token\'s book claim (403 FORBIDDEN); bookless symbols are 404 NO_BOOK; a bad depth or book value is 400; books count twice toward the symbol cap', async () => {
    const running = await startServer(jwtConfig({ maxSymbolsPerRequest: 4 }));
    const port = running.server.localIngest();
    await port.declare({ symbols: [bookDeclaration('AAPL'), bookDeclaration('GOOG'), declaration('MSFT')] });
    const without = await mint({ symbols: ['*'] });
    const withBook = await mint({ symbols: ['*'], book: true });
    const get = async (path: string, token: string) => {
      const res = await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      const body = res.status === 200 ? null : ((await res.json()) as { error: { code: string } });
      if (res.status === 200) await res.body?.cancel();
      return { status: res.status, code: body?.error.code };
    };
    expect(await get('/api/stream?symbols=AAPL&book=1', without)).toEqual({ status: 403, code: ErrorCode.FORBIDDEN });
    expect(await get('/api/stream?symbols=AAPL', without)).toEqual({ status: 200, code: undefined });
    expect(await get('/api/stream?symbols=AAPL&book=1', withBook)).toEqual({ status: 200, code: undefined });
    expect(await get('/api/stream?symbols=AAPL,MSFT&book=1', withBook)).toEqual({ status: 404, code: ErrorCode.NO_BOOK });
    expect(await get('/api/stream?symbols=AAPL&book=1&depth=51', withBook)).toMatchObject({ status: 400 });
    expect(await get('/api/stream?symbols=AAPL&book=1&depth=0', withBook)).toMatchObject({ status: 400 });
    expect(await get('/api/stream?symbols=AAPL&book=2', withBook)).toMatchObject({ status: 400 });
    expect(await get('/api/stream?symbols=AAPL,GOOG,MSFT&book=1', withBook)).toEqual({ status: 400, code: ErrorCode.TOO_MANY_SYMBOLS });
    expect(await get('/api/stream?symbols=AAPL,GOOG&book=1', withBook)).toEqual({ status: 200, code: undefined });
  });

  it('[L53] a book stream over SSE_MAX_BUFFERED_BYTES is destroyed (feed_limit_hits_total{limit="sse_buffer"})', async () => {
    const running = await bookServer({ sseMaxBufferedBytes: 64 * 1024, pingIntervalMs: 60_000, pingTimeoutMs: 60_000 });
    const sockets: NetSocket[] = [];
    running.server.fastify.server.on('connection', (socket: NetSocket) => sockets.push(socket));
    const client = tcpConnect(running.port, '127.0.0.1');
    client.on('error', () => undefined);
    onCleanup(() => {
      client.destroy();
    });
    client.write(`GET /api/stream?symbols=AAPL&book=1&depth=50 HTTP/1.1\r\nHost: 127.0.0.1:${running.port}\r\n\r\n`);
    client.pause();
    await vi.waitFor(() => expect(running.server.fastify.feed.sse.size).toBe(1));
    const server = sockets.find((s) => s.remotePort === client.localPort)!;
    let rounds = 0;
    while (!server.destroyed && rounds++ < 200) {
      const messages: BookPublish[] = [];
      for (let i = 0; i < 2_000; i++) messages.push(running.scripts.AAPL.next());
      await publishBooks(running.ingest, messages);
      // Lets a flush write them (the server reads no more of a paused client).
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(server.destroyed).toBe(true);
    expect(running.server.fastify.feed.sse.size).toBe(0);
    expect(await running.server.metrics.registry.metrics()).toContain('feed_limit_hits_total{limit="sse_buffer"} 1');
  });
});
