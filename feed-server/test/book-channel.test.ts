import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCode,
  bookChecksum,
  bookTop,
  type BookPublish,
  type BookPublishReply,
  type BookResponse,
  type BookSubscribeReply,
  type BookUpdate,
  type PublishReply,
} from '@tickfeed/protocol';
import { consumer, declaration, onCleanup, publisher, startServer, stopAll, type PublisherClient } from './support/harness.js';
import { BOOK_FORMAT, BookFollower, BookScript, bookDeclaration } from './support/books.js';
import { tcpSocketOf } from './support/raw-socket.js';
import { jwtConfig, mint } from './support/tokens.js';

afterEach(stopAll);

async function publishAll(pub: PublisherClient, messages: BookPublish[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 200) {
    const reply = await pub.emitWithAck('book:publish', { updates: messages.slice(i, i + 200) });
    expect(reply).toMatchObject({ ok: true, rejected: [] });
  }
}

async function restBook(url: string, symbol: string, depth?: number): Promise<{ status: number; body: BookResponse & { error?: { code: string } } }> {
  const res = await fetch(`${url}/api/symbols/${symbol}/book${depth === undefined ? '' : `?depth=${depth}`}`);
  return { status: res.status, body: (await res.json()) as BookResponse & { error?: { code: string } } };
}

/** A server with one book symbol (AAPL), a tick-only one (MSFT), and its publisher. */
async function bookServer(overrides: Parameters<typeof startServer>[0] = {}) {
  const running = await startServer(overrides);
  const pub = await publisher(running.url);
  const declared = await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL'), declaration('MSFT')] });
  if (!declared.ok) throw new Error('declare failed');
  return { ...running, pub, script: new BookScript('AAPL', 7) };
}

describe('order book channel', () => {
  it('[L2] a symbol declared with book: true has a book (meta.book) at seq 0; others have none', async () => {
    const { url } = await bookServer();
    const aapl = (await (await fetch(`${url}/api/symbols/AAPL`)).json()) as { meta: { book?: boolean } };
    const msft = (await (await fetch(`${url}/api/symbols/MSFT`)).json()) as { meta: { book?: boolean } };
    expect(aapl.meta.book).toBe(true);
    expect(msft.meta.book).toBeUndefined();
    const { status, body } = await restBook(url, 'AAPL');
    expect(status).toBe(200);
    expect(body).toMatchObject({ symbol: 'AAPL', seq: 0, bids: [], asks: [], depth: 10, checksum: 0 });
  });

  it('[L3] book:subscribe acks the top depth with epoch and checksum; bad names, unknown and bookless symbols are rejected by name', async () => {
    const { url, pub, script } = await bookServer();
    await publishAll(pub, [script.snapshot(15)]);
    const client = await consumer(url);
    const ack = (await client.emitWithAck('book:subscribe', { symbols: ['AAPL', 'MSFT', 'NOPE', 'bad name'] })) as BookSubscribeReply;
    if (!ack.ok) throw new Error('subscribe failed');
    expect(ack.subscribed).toHaveLength(1);
    const entry = ack.subscribed[0]!;
    expect(entry).toMatchObject({ symbol: 'AAPL', depth: 10, book: { symbol: 'AAPL', seq: 1 } });
    expect(entry.book.bids).toEqual(bookTop(script.book, 10).bids);
    expect(entry.book.asks).toEqual(bookTop(script.book, 10).asks);
    expect(entry.book.checksum).toBe(bookChecksum(script.book.bids, script.book.asks, BOOK_FORMAT));
    expect(ack.rejected.map((r) => [r.symbol, r.code])).toEqual([
      ['MSFT', ErrorCode.NO_BOOK],
      ['NOPE', ErrorCode.UNKNOWN_SYMBOL],
      ['bad name', ErrorCode.BAD_REQUEST],
    ]);
    // Depth outside 1..BOOK_MAX_DEPTH, and malformed requests, are BAD_REQUEST.
    for (const request of [{ symbols: ['AAPL'], depth: 51 }, { symbols: ['AAPL'], depth: 0 }, { symbols: ['AAPL'], depth: 2.5 }, { symbols: 'AAPL' }, {}]) {
      expect(await client.emitWithAck('book:subscribe', request as never)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    }
    // Subscribing again at another depth replaces the subscription: one room, the new depth.
    const again = (await client.emitWithAck('book:subscribe', { symbols: ['AAPL'], depth: 3 })) as BookSubscribeReply;
    expect(again).toMatchObject({ ok: true, subscribed: [{ symbol: 'AAPL', depth: 3 }] });
    if (!again.ok) throw new Error('unreachable');
    expect(again.subscribed[0]!.book.bids).toHaveLength(3);
    const server = (await bookServerRooms(url)) ?? 0;
    expect(server).toBe(1);
  });

  it('[L4][L5][L6][L9] followers at depths 1, 3, 10 and 50 receive every update from ack seq + 1, hold exactly the server top, and verify every checksum at depth ≥ 10', async () => {
    const { url, pub, script } = await bookServer();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 50 }, () => script.next())]);
    const depths = [1, 3, 10, 50];
    const followers = await Promise.all(depths.map(async (depth) => {
      const follower = new BookFollower(await consumer(url));
      const ack = await follower.subscribe(['AAPL'], depth);
      expect(ack.subscribed[0]!.book.seq).toBe(51);
      return follower;
    }));
    // Fast: 1,500 updates in batches, while the followers read.
    const messages = Array.from({ length: 1_500 }, () => script.next());
    await publishAll(pub, messages);
    await Promise.all(followers.map((f) => f.untilSeq('AAPL', script.seq)));
    for (const [i, follower] of followers.entries()) {
      const held = follower.books.get('AAPL')!;
      expect(follower.errors).toEqual([]);
      expect(held.seqs).toEqual(Array.from({ length: 1_500 }, (_, k) => 52 + k));
      expect(held.book).toEqual(bookTop(script.book, depths[i]!));
      if (depths[i]! >= 10) expect(held.checksumsVerified).toBe(1_500);
      // REST at the same seq is what the follower holds.
      const rest = await restBook(url, 'AAPL', depths[i]);
      expect(rest.body.seq).toBe(held.seq);
      expect({ bids: rest.body.bids, asks: rest.body.asks }).toEqual(held.book);
      expect(rest.body.checksum).toBe(bookChecksum(script.book.bids, script.book.asks, BOOK_FORMAT));
    }
  });

  it('[L4] each client gets its updates of a flush in one book event, every seq present (never merged)', async () => {
    const { url, pub, script } = await bookServer({ flushIntervalMs: 200 });
    await publishAll(pub, [script.snapshot(5)]);
    const client = await consumer(url);
    const frames: BookUpdate[][] = [];
    client.on('book', (updates) => frames.push(updates));
    await client.emitWithAck('book:subscribe', { symbols: ['AAPL'] });
    await publishAll(pub, Array.from({ length: 20 }, () => script.next()));
    await vi.waitFor(() => expect(frames.flat().length).toBe(20), { timeout: 5_000 });
    expect(frames.flat().map((u) => u.seq)).toEqual(Array.from({ length: 20 }, (_, k) => 2 + k));
    // All 20 were published within one 200 ms flush interval: far fewer events than updates.
    expect(frames.length).toBeLessThan(5);
  });

  it('[L7] a resume gets exactly the missed updates at its depth, computed from the state it held, then the live stream', async () => {
    const { url, pub, script } = await bookServer();
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 100 }, () => script.next())]);
    const first = new BookFollower(await consumer(url));
    await first.subscribe(['AAPL'], 10);
    await publishAll(pub, Array.from({ length: 100 }, () => script.next()));
    await first.untilSeq('AAPL', script.seq);
    const held = first.books.get('AAPL')!;
    first.socket.disconnect();
    const resumeAt = held.seq;
    await publishAll(pub, Array.from({ length: 300 }, () => script.next()));

    // A new connection resumes from what the first one held.
    const second = new BookFollower(await consumer(url));
    second.books.set('AAPL', { ...held, seqs: [], checksumsVerified: 0 });
    const ack = await second.subscribe(['AAPL'], 10, { AAPL: { epoch: held.epoch, seq: resumeAt } });
    expect(ack.subscribed[0]).toMatchObject({ recovered: true, book: { seq: script.seq } });
    await publishAll(pub, Array.from({ length: 50 }, () => script.next()));
    await second.untilSeq('AAPL', script.seq);
    const resumed = second.books.get('AAPL')!;
    expect(second.errors).toEqual([]);
    expect(resumed.seqs).toEqual(Array.from({ length: 350 }, (_, k) => resumeAt + 1 + k));
    expect(resumed.checksumsVerified).toBe(350);
    expect(resumed.book).toEqual(bookTop(script.book, 10));
  });

  it('[L8] another epoch, a trimmed history or a seq ahead gives recovered: false with a fresh snapshot, continuing at its seq + 1', async () => {
    const { url, pub, script } = await bookServer({ bookHistoryUpdates: 20 });
    await publishAll(pub, [script.snapshot(15), ...Array.from({ length: 50 }, () => script.next())]);
    const probe = await consumer(url);
    const current = (await probe.emitWithAck('book:subscribe', { symbols: ['AAPL'] })) as BookSubscribeReply;
    if (!current.ok) throw new Error('subscribe failed');
    const epoch = current.subscribed[0]!.epoch;
    for (const point of [{ epoch: 'other', seq: 45 }, { epoch, seq: 10 }, { epoch, seq: 500 }]) {
      const follower = new BookFollower(await consumer(url));
      const ack = await follower.subscribe(['AAPL'], 10, { AAPL: point });
      expect(ack.subscribed[0]).toMatchObject({ recovered: false, book: { seq: 51 } });
      expect(ack.subscribed[0]!.book.bids).toEqual(bookTop(script.book, 10).bids);
    }
    // Within the history it recovers.
    const inside = new BookFollower(await consumer(url));
    const ack = await inside.subscribe(['AAPL'], 10, { AAPL: { epoch, seq: 40 } });
    expect(ack.subscribed[0]!.recovered).toBe(true);
  });

  it('[L2][L54] after a restart with DATA_DIR the book comes back in the same epoch at the same seq: the publisher continues it and a resume point is recovered exactly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tickfeed-book-'));
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startServer({ dataDir, groupCommit: 'write' });
    const pub1 = await publisher(first.url);
    await pub1.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    const script = new BookScript('AAPL', 3);
    await publishAll(pub1, [script.snapshot(10), ...Array.from({ length: 5 }, () => script.next())]);
    const follower = new BookFollower(await consumer(first.url));
    const ack = await follower.subscribe(['AAPL']);
    const point = { epoch: ack.subscribed[0]!.epoch, seq: ack.subscribed[0]!.book.seq };
    const held = structuredClone(follower.books.get('AAPL')!);
    // Updates 7 to 21 are missed by the resume below: it needs the history from before the restart.
    await publishAll(pub1, Array.from({ length: 15 }, () => script.next()));
    await first.server.close();

    const second = await startServer({ dataDir, groupCommit: 'write' });
    const pub2 = await publisher(second.url);
    const declared = await pub2.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    // The symbol's epoch and its book came back from the store; the declare says where the book stands.
    const tickEpoch = (await (await fetch(`${second.url}/api/symbols/AAPL`)).json()) as { epoch: string };
    expect(declared).toMatchObject({ ok: true, declared: [{ symbol: 'AAPL', lastBookSeq: 21 }] });
    expect(point.epoch.startsWith(`${tickEpoch.epoch}.`)).toBe(true);
    await publishAll(pub2, Array.from({ length: 40 }, () => script.next()));
    const resumed = new BookFollower(await consumer(second.url));
    resumed.books.set('AAPL', held);
    const reply = await resumed.subscribe(['AAPL'], 10, { AAPL: point });
    expect(point.seq).toBe(6);
    expect(reply.subscribed[0]).toMatchObject({ recovered: true, epoch: point.epoch, book: { seq: 61 } });
    await resumed.untilSeq('AAPL', 61);
    expect(resumed.errors).toEqual([]);
    expect(resumed.books.get('AAPL')!.seqs).toEqual(Array.from({ length: 55 }, (_, i) => 7 + i));
    expect(resumed.books.get('AAPL')!.book).toEqual(bookTop(script.book, 10));
  });

  it('[L2] a reset declare empties the book in a new epoch: followers get every older update, then book:reset, then seq 1', async () => {
    const { url, pub, script } = await bookServer();
    await publishAll(pub, [script.snapshot(5)]);
    const follower = new BookFollower(await consumer(url));
    const ack = await follower.subscribe(['AAPL']);
    await publishAll(pub, Array.from({ length: 10 }, () => script.next()));
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')], reset: true, reason: 'seek' });
    await vi.waitFor(() => expect(follower.resets).toHaveLength(1));
    const reset = follower.resets[0]!;
    expect(reset).toMatchObject({ symbol: 'AAPL', depth: 10, reason: 'seek', book: { seq: 0, bids: [], asks: [] } });
    expect(reset.epoch).not.toBe(ack.subscribed[0]!.epoch);
    const fresh = new BookScript('AAPL', 8);
    await publishAll(pub, [fresh.snapshot(5), fresh.next()]);
    await follower.untilSeq('AAPL', 2);
    expect(follower.errors).toEqual([]);
    expect(follower.books.get('AAPL')!.book).toEqual(bookTop(fresh.book, 10));
  });

  it('[L21] after the book:unsubscribe ack no update of that symbol arrives', async () => {
    const { url, pub, script } = await bookServer({ flushIntervalMs: 100 });
    await publishAll(pub, [script.snapshot(5)]);
    const client = await consumer(url);
    let afterAck = 0;
    let acked = false;
    client.on('book', (updates) => {
      if (acked) afterAck += updates.length;
    });
    await client.emitWithAck('book:subscribe', { symbols: ['AAPL'] });
    // Updates queued for the client when it unsubscribes go out before the ack, none after.
    await publishAll(pub, Array.from({ length: 10 }, () => script.next()));
    const reply = await client.emitWithAck('book:unsubscribe', { symbols: ['AAPL', 'MSFT'] });
    acked = true;
    expect(reply).toEqual({ ok: true, unsubscribed: ['AAPL'] });
    await publishAll(pub, Array.from({ length: 10 }, () => script.next()));
    // A tick subscription's frames are a marker that later flushes happened.
    const marker = await consumer(url);
    const seen = new BookFollower(marker);
    await seen.subscribe(['AAPL']);
    await publishAll(pub, [script.next()]);
    await seen.untilSeq('AAPL', script.seq);
    expect(afterAck).toBe(0);
    expect(await client.emitWithAck('book:unsubscribe', { symbols: 'AAPL' } as never)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
  });

  it('[L22] book subscriptions count toward MAX_SUBSCRIPTIONS with tick subscriptions; a request over it fails as a whole', async () => {
    const { url, pub } = await bookServer({ maxSubscriptions: 2 });
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('TSLA')] });
    const client = await consumer(url);
    expect(await client.emitWithAck('subscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true });
    expect(await client.emitWithAck('book:subscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true });
    expect(await client.emitWithAck('book:subscribe', { symbols: ['TSLA'] })).toMatchObject({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS } });
    expect(await client.emitWithAck('subscribe', { symbols: ['TSLA'] })).toMatchObject({ ok: false, error: { code: ErrorCode.TOO_MANY_SYMBOLS } });
    // Changing the depth of a followed book adds nothing.
    expect(await client.emitWithAck('book:subscribe', { symbols: ['AAPL'], depth: 5 })).toMatchObject({ ok: true });
    expect(await client.emitWithAck('book:unsubscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true, unsubscribed: ['AAPL'] });
    expect(await client.emitWithAck('book:subscribe', { symbols: ['TSLA'] })).toMatchObject({ ok: true });
  });

  it('[L24] REST book: depth, unknown symbol, no book and bad depth', async () => {
    const { url, pub, script } = await bookServer();
    await publishAll(pub, [script.snapshot(15)]);
    const five = await restBook(url, 'AAPL', 5);
    expect(five.status).toBe(200);
    expect(five.body.bids).toEqual(bookTop(script.book, 5).bids);
    expect(five.body.asks).toHaveLength(5);
    expect((await restBook(url, 'NOPE')).body).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_SYMBOL } });
    expect((await restBook(url, 'NOPE')).status).toBe(404);
    expect(await restBook(url, 'MSFT')).toMatchObject({ status: 404, body: { error: { code: ErrorCode.NO_BOOK } } });
    for (const depth of [0, 51, 1.5]) expect(await restBook(url, 'AAPL', depth)).toMatchObject({ status: 400, body: { error: { code: ErrorCode.BAD_REQUEST } } });
  });
});

describe('book publishing', () => {
  async function rejectedOf(pub: PublisherClient, updates: unknown[]): Promise<[number, string][]> {
    const reply = (await pub.emitWithAck('book:publish', { updates } as never)) as BookPublishReply;
    if (!reply.ok) throw new Error(`book:publish failed: ${reply.error.code}`);
    return reply.rejected.map((r) => [r.index, r.code]);
  }

  it('[L10][L11][L12][L13][L14][L15][L16][L17][L18] each bad message is rejected with its code and counted, never applied; the valid ones of the batch are', async () => {
    const { url, server, pub, script } = await bookServer({ bookMaxDepth: 20 });
    const snapshot = script.snapshot(15);
    const before = (m: Partial<BookPublish>): BookPublish => ({ symbol: 'AAPL', seq: 2, ts: Date.now(), bids: [], asks: [], ...m });
    const batch: unknown[] = [
      snapshot,
      'junk', // L11
      { ...before({}), extra: 1 }, // L11
      before({ bids: [[99.9, 'x']] as never }), // L11
      before({ seq: 5 }), // L12
      before({ bids: [[99.5, 1], [99.6, 1]] }), // L13 unsorted
      before({ asks: [[101, 1], [101, 2]] }), // L13 duplicate
      before({ bids: [[100.5, 1]] }), // L14 crossed (best ask 100.01)
      before({ bids: [[99.995, 1]] }), // L15 off grid
      before({ bids: [[99.9, -1]] }), // L16 negative
      before({ bids: [[99.9, 1.5]] }), // L16 off the lot grid
      before({ bids: Array.from({ length: 21 }, (_, i) => [(9_000 - i) / 100, 1]) as never }), // L17 in the message
      before({ bids: Array.from({ length: 6 }, (_, i) => [(9_000 - i) / 100, 1]) as never }), // L17 in the result
      before({ bids: [[90, 0]] }), // L18
      before({ bids: [[99.99, 7]] }), // valid: seq 2
    ];
    expect(await rejectedOf(pub, batch)).toEqual([
      [1, ErrorCode.INVALID_BOOK],
      [2, ErrorCode.INVALID_BOOK],
      [3, ErrorCode.INVALID_BOOK],
      [4, ErrorCode.SEQ_MISMATCH],
      [5, ErrorCode.INVALID_BOOK],
      [6, ErrorCode.INVALID_BOOK],
      [7, ErrorCode.CROSSED_BOOK],
      [8, ErrorCode.INVALID_BOOK],
      [9, ErrorCode.INVALID_BOOK],
      [10, ErrorCode.INVALID_BOOK],
      [11, ErrorCode.INVALID_BOOK],
      [12, ErrorCode.INVALID_BOOK],
      [13, ErrorCode.INVALID_BOOK],
    ]);
    const rest = await restBook(url, 'AAPL', 20);
    expect(rest.body.seq).toBe(2);
    expect(rest.body.bids[0]).toEqual([100, 100]);
    expect(rest.body.bids[1]).toEqual([99.99, 7]);
    const counted = await server.metrics.registry.getSingleMetricAsString('feed_book_rejected_total');
    for (const reason of ['malformed', 'seq', 'unsorted', 'duplicate', 'crossed', 'off_grid_price', 'bad_size', 'too_many_levels', 'unknown_level']) {
      expect(counted).toMatch(new RegExp(`reason="${reason}"} \\d`));
    }
    // A malformed request is BAD_REQUEST; the namespace keeps working.
    expect(await pub.emitWithAck('book:publish', { updates: [] } as never)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    expect(await pub.emitWithAck('book:publish', 'x' as never)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
  });

  it('[L19] only the declaring owner publishes a book, only for a book symbol, within the time window', async () => {
    const { url, pub, script } = await bookServer();
    const other = await publisher(url);
    const snapshot = script.snapshot(3);
    expect(await rejectedOf(other, [snapshot])).toEqual([[0, ErrorCode.NOT_DECLARED]]);
    expect(await other.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] })).toMatchObject({ ok: true, rejected: [{ code: ErrorCode.NOT_OWNER }] });
    expect(await rejectedOf(pub, [{ symbol: 'MSFT', seq: 1, ts: Date.now(), bids: [[99, 1]], asks: [] }])).toEqual([[0, ErrorCode.NO_BOOK]]);
    expect(await rejectedOf(pub, [{ ...snapshot, ts: Date.now() + 3_600_000 }])).toEqual([[0, ErrorCode.INVALID_BOOK]]);
    expect(await rejectedOf(pub, [snapshot])).toEqual([]);
  });

  it('[L20] a tick of a book symbol must quote the book best bid and ask', async () => {
    const { pub, script } = await bookServer();
    const tick = { symbol: 'AAPL', seq: 1, ts: Date.now(), price: 100, size: 10, bid: 99.5, ask: 100.5 };
    // Before the book has both sides, any valid quote passes.
    expect(await pub.emitWithAck('publish', { ticks: [tick] })).toMatchObject({ ok: true, accepted: 1 });
    await publishAll(pub, [script.snapshot(3)]);
    const reply = (await pub.emitWithAck('publish', { ticks: [{ ...tick, seq: 2 }, { ...tick, seq: 2, bid: 100, ask: 100.01 }] })) as PublishReply;
    expect(reply).toMatchObject({ ok: true, accepted: 1, rejected: [{ index: 0, code: ErrorCode.INVALID_TICK }] });
  });

  it('[L23] with AUTH_MODE=jwt a book needs the book claim, on Socket.IO and REST', async () => {
    const running = await startServer(jwtConfig());
    const pub = await publisher(running.url);
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    const withoutBook = await mint({ symbols: ['AAPL'] });
    const withBook = await mint({ symbols: ['AAPL'], book: true });
    const { io } = await import('socket.io-client');
    const connectWith = async (token: string) => {
      const socket = io(running.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return socket;
    };
    const denied = await connectWith(withoutBook);
    const allowed = await connectWith(withBook);
    try {
      expect(await denied.emitWithAck('book:subscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true, subscribed: [], rejected: [{ symbol: 'AAPL', code: ErrorCode.FORBIDDEN }] });
      expect(await allowed.emitWithAck('book:subscribe', { symbols: ['AAPL'] })).toMatchObject({ ok: true, subscribed: [{ symbol: 'AAPL' }] });
      // A refresh that drops the book claim ends the book subscription.
      const notices: { symbols?: string[] }[] = [];
      allowed.on('notice', (n) => notices.push(n));
      expect(await allowed.emitWithAck('auth:refresh', { token: await mint({ symbols: ['AAPL'] }) })).toMatchObject({ ok: true });
      await vi.waitFor(() => expect(notices).toEqual([expect.objectContaining({ code: ErrorCode.FORBIDDEN, symbols: ['AAPL'] })]));
      expect(await allowed.emitWithAck('book:unsubscribe', { symbols: ['AAPL'] })).toEqual({ ok: true, unsubscribed: [] });
      const rest = (token: string) => fetch(`${running.url}/api/symbols/AAPL/book`, { headers: { authorization: `Bearer ${token}` } });
      expect((await rest(withoutBook)).status).toBe(403);
      expect((await rest(withBook)).status).toBe(200);
    } finally {
      denied.disconnect();
      allowed.disconnect();
    }
  });

  it('[L25] a book client that stops reading is conflated and re-synced with book:reset (SLOW_CONSUMER); others lose nothing', async () => {
    const { url, pub, server } = await bookServer({ slowConsumerMaxFrames: 4, pingTimeoutMs: 60_000, pingIntervalMs: 60_000, bookMaxDepth: 50 });
    // Whole-book snapshots whose every size changes: each update carries 100 levels (~1.5 KB) to a depth-50 follower.
    let seq = 0;
    const wholeBook = (): BookPublish => {
      seq++;
      const size = (i: number) => 1 + ((seq * 7 + i) % 997);
      return {
        symbol: 'AAPL',
        seq,
        ts: Date.now(),
        snapshot: true,
        bids: Array.from({ length: 50 }, (_, i) => [(10_000 - i) / 100, size(i)] as [number, number]),
        asks: Array.from({ length: 50 }, (_, i) => [(10_001 + i) / 100, size(i + 50)] as [number, number]),
      };
    };
    await publishAll(pub, [wholeBook()]);
    const healthy = new BookFollower(await consumer(url));
    const slow = new BookFollower(await consumer(url));
    await healthy.subscribe(['AAPL'], 50);
    await slow.subscribe(['AAPL'], 50);
    tcpSocketOf(slow.socket).pause();
    // ~18 MB of updates: far more than the kernel's socket buffers hold for the paused client.
    for (let round = 0; round < 24; round++) {
      await publishAll(pub, Array.from({ length: 500 }, wholeBook));
      // Let the flush timer run between rounds, as a live feed would.
      await new Promise((r) => setTimeout(r, 5));
    }
    await healthy.untilSeq('AAPL', seq);
    expect(healthy.errors).toEqual([]);
    expect(healthy.books.get('AAPL')!.seqs).toHaveLength(seq - 1);
    expect(await server.metrics.registry.getSingleMetricAsString('feed_book_slow_consumers_total')).toContain('policy="conflate"} 1');
    tcpSocketOf(slow.socket).resume();
    await vi.waitFor(() => expect(slow.resets.map((r) => r.reason)).toEqual(['SLOW_CONSUMER']), { timeout: 10_000 });
    const last = wholeBook();
    await publishAll(pub, [last]);
    await slow.untilSeq('AAPL', seq);
    const held = slow.books.get('AAPL')!;
    expect({ bids: held.book.bids, asks: held.book.asks }).toEqual({ bids: last.bids, asks: last.asks });
    // After the reset the stream continues at its seq + 1 with every checksum verified.
    expect(slow.resets[0]!.book.seq + held.seqs.length).toBe(seq);
    expect(held.checksumsVerified).toBe(held.seqs.length);
  }, 60_000);
});

/** Book rooms on the server, read through its metrics (feed_rooms counts every subscription room). */
async function bookServerRooms(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^feed_rooms (\d+)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}
