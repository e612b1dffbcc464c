import { bookDiff, type BookReset, type BookSides, type BookUpdate } from '@tickfeed/protocol';
import type { SseHub } from '../delivery/sse-hub.js';
import type { BookState, SymbolOrderBook } from './book-state.js';

/**
 * Book updates for the Server-Sent-Events streams opened with `book=1`: each
 * update is diffed and serialized once per depth in use and queued in the
 * SSE hub, which writes it with the stream's resume position as its id.
 */
export class BookSse {
  constructor(
    private readonly state: BookState,
    private readonly sse: SseHub,
  ) {}

  publish(book: SymbolOrderBook, prev: BookSides): void {
    if (!this.sse.followsBook(book.symbol)) return;
    const byDepth = new Map<number, string>();
    this.sse.enqueueBook(book.symbol, book.seq, (depth) => {
      let json = byDepth.get(depth);
      if (json === undefined) {
        const diff = bookDiff(prev, book.sides, depth);
        const update: BookUpdate = { symbol: book.symbol, seq: book.seq, ts: book.ts, bids: diff.bids, asks: diff.asks, checksum: book.checksum };
        byDepth.set(depth, (json = JSON.stringify(update)));
      }
      return json;
    });
  }

  /** A new epoch emptied the book: every stream following it gets `book:reset` with the empty book at its depth. */
  reset(symbol: string, reason: string): void {
    const book = this.state.get(symbol);
    if (book === undefined || !this.sse.followsBook(symbol)) return;
    this.sse.resetBook(symbol, book.epoch, (depth) => {
      const body: BookReset = { symbol, epoch: book.epoch, depth, book: this.state.snapshot(book, depth), reason };
      return { seq: book.seq, body };
    });
  }

  flush(): void {
    this.sse.flushBooks();
  }
}
