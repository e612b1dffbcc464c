import { afterEach, describe, expect, it } from 'vitest';
import type { BookPublish, BookPublishReply } from '@tickfeed/protocol';
import { publisher, startServer, stopAll } from './support/harness.js';
import { bookDeclaration } from './support/books.js';

afterEach(stopAll);

const snapshot = (seq: number, bid: number, ask: number): BookPublish => ({ symbol: 'AAPL', seq, ts: Date.now(), bids: [[bid, 10]], asks: [[ask, 10]], snapshot: true });

describe('book publishing resync', () => {
  it('[L40] a book message refused with SEQ_MISMATCH names the seq the book expects; a snapshot there is applied', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    const declared = await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    expect(declared.ok).toBe(true);
    const first = (await pub.emitWithAck('book:publish', { updates: [snapshot(1, 99.9, 100.1), snapshot(2, 99.8, 100.2)] })) as BookPublishReply;
    expect(first).toEqual({ ok: true, accepted: 2, rejected: [] });
    // A publisher that lost count (a restart, an unacknowledged batch) starts again at 1.
    const stale = (await pub.emitWithAck('book:publish', { updates: [snapshot(1, 99.7, 100.3)] })) as BookPublishReply;
    expect(stale).toMatchObject({ ok: true, accepted: 0, rejected: [{ index: 0, symbol: 'AAPL', code: 'SEQ_MISMATCH', expectedSeq: 3 }] });
    const again = (await pub.emitWithAck('book:publish', { updates: [snapshot(3, 99.7, 100.3)] })) as BookPublishReply;
    expect(again).toEqual({ ok: true, accepted: 1, rejected: [] });
    const rest = (await (await fetch(`${url}/api/symbols/AAPL/book`)).json()) as { seq: number; bids: number[][] };
    expect(rest).toMatchObject({ seq: 3, bids: [[99.7, 10]] });
  });
});
