import {
  applyBookDiff,
  applyBookPublish,
  bookChecksum,
  bookDiff,
  bookTop,
  undoBookChange,
  type BookChange,
  type BookPublish,
  type BookRejection,
  type BookSides,
  type BookSnapshot,
  type BookUpdate,
  type NumberFormat,
} from '@tickfeed/protocol';
import type { MarketState } from '../market/market-state.js';
import { BookHistory } from './book-history.js';

/** The order book of one symbol in its current epoch. */
export interface SymbolOrderBook {
  readonly symbol: string;
  /** The symbol's epoch this book belongs to. */
  readonly symbolEpoch: string;
  /** The book's epoch on the wire: the symbol's, and this server's copy (see BookStateOptions.copyId). */
  readonly epoch: string;
  seq: number;
  ts: number;
  sides: BookSides;
  checksum: number;
  format: NumberFormat;
  readonly history: BookHistory;
}

export interface BookStateOptions {
  /** BOOK_MAX_DEPTH: levels per side. */
  maxDepth: number;
  /** BOOK_HISTORY_UPDATES: updates kept per symbol for resume. */
  historyUpdates: number;
  /**
   * Names this server's copy of the books (random per server). Books are not durable: after a
   * restart the symbol's epoch may come back from the store while its book starts again at
   * seq 0, so the book's epoch is `<symbol epoch>.<copyId>` and a resume point of the lost
   * copy never matches the new one.
   */
  copyId: string;
}

export type BookApplyResult =
  | { ok: true; book: SymbolOrderBook; prev: BookSides }
  | { ok: false; rejection: BookRejection };

const EMPTY: BookSides = Object.freeze({ bids: [], asks: [] }) as unknown as BookSides;

/**
 * Every symbol's order book, beside the market state it follows: a symbol
 * has a book while its metadata says `book: true`, and the book belongs to
 * the symbol's current epoch (a new epoch finds it empty at seq 0). Pure: no
 * I/O; the channel around it delivers what it applies.
 */
export class BookState {
  private readonly books = new Map<string, SymbolOrderBook>();
  private copyId: string;

  constructor(
    private readonly market: MarketState,
    readonly options: BookStateOptions,
  ) {
    this.copyId = options.copyId;
  }

  /** The copy part of every book epoch (see BookStateOptions.copyId). */
  get copy(): string {
    return this.copyId;
  }

  /**
   * Takes the copy the instances sharing a store agree on (REDIS_URL, L26), before any book
   * is served: the books held so far belonged to another copy and start again empty.
   */
  setCopy(copy: string): void {
    if (copy === this.copyId) return;
    this.copyId = copy;
    this.books.clear();
  }

  /** The symbol's book in its current epoch; undefined when the symbol is unknown or has no book. */
  get(symbol: string): SymbolOrderBook | undefined {
    const info = this.market.get(symbol);
    if (info === undefined || info.meta.book !== true) {
      this.books.delete(symbol);
      return undefined;
    }
    let book = this.books.get(symbol);
    if (book === undefined || book.symbolEpoch !== info.epoch) {
      book = {
        symbol,
        symbolEpoch: info.epoch,
        epoch: `${info.epoch.slice(0, 64 - this.copyId.length - 1)}.${this.copyId}`,
        seq: 0,
        ts: 0,
        sides: EMPTY,
        checksum: bookChecksum([], [], info.format),
        format: info.format,
        history: new BookHistory(this.options.historyUpdates),
      };
      this.books.set(symbol, book);
    }
    book.format = info.format;
    return book;
  }

  /** Applies a publisher's message that passed checkBookPublish to its symbol's book (which must exist). */
  apply(book: SymbolOrderBook, message: BookPublish): BookApplyResult {
    const result = applyBookPublish(book.sides, book.seq, message, { format: book.format, maxDepth: this.options.maxDepth });
    if (!result.ok) return result;
    const prev = book.sides;
    book.sides = result.book;
    book.seq = message.seq;
    book.ts = message.ts;
    book.checksum = bookChecksum(result.book.bids, result.book.asks, book.format);
    book.history.push({ seq: book.seq, ts: book.ts, change: result.change, checksum: book.checksum });
    return { ok: true, book, prev };
  }

  /**
   * Where the held history starts: the book just before its oldest held update (seq and
   * levels), found by undoing the history. A restart rebuilds the book and its history by
   * applying the logged messages after it again.
   */
  historyBase(book: SymbolOrderBook): { seq: number; sides: BookSides } {
    const first = book.history.lastSeq === 0 ? book.seq + 1 : book.history.firstSeq;
    let sides = book.sides;
    for (let seq = book.seq; seq >= first; seq--) sides = undoBookChange(sides, book.history.get(seq).change);
    return { seq: first - 1, sides };
  }

  /** Sets the symbol's book (in its current epoch) to these levels at seq, with no history: a restart's starting point. */
  restore(symbol: string, seq: number, ts: number, sides: BookSides): SymbolOrderBook | undefined {
    const book = this.get(symbol);
    if (book === undefined) return undefined;
    book.sides = sides;
    book.seq = seq;
    book.ts = ts;
    book.checksum = bookChecksum(sides.bids, sides.asks, book.format);
    book.history.clear();
    return book;
  }

  /** The top `depth` levels now, with seq and checksum. */
  snapshot(book: SymbolOrderBook, depth: number): BookSnapshot {
    const top = bookTop(book.sides, depth);
    return { symbol: book.symbol, seq: book.seq, ts: book.ts, bids: top.bids, asks: top.asks, checksum: book.checksum };
  }

  /**
   * The updates a client at `depth` missed after `after`, exactly as it would
   * have received them; null when the history no longer holds them all. The
   * book is undone back to `after`, then stepped forward one entry at a time.
   */
  replay(book: SymbolOrderBook, after: number, depth: number): BookUpdate[] | null {
    if (after > book.seq) return null;
    if (after === book.seq) return [];
    // A book restored without history (from a checkpoint or the shared store) holds none before its seq.
    if (book.history.lastSeq !== book.seq || !book.history.holdsAfter(after)) return null;
    let state = book.sides;
    for (let seq = book.seq; seq > after; seq--) state = undoBookChange(state, book.history.get(seq).change);
    const updates: BookUpdate[] = [];
    for (let seq = after + 1; seq <= book.seq; seq++) {
      const entry = book.history.get(seq);
      const next = applyBookDiff(state, forward(entry.change), Number.MAX_SAFE_INTEGER);
      const diff = bookDiff(state, next, depth);
      updates.push({ symbol: book.symbol, seq, ts: entry.ts, bids: diff.bids, asks: diff.asks, checksum: entry.checksum });
      state = next;
    }
    return updates;
  }

  /** Whether a tick's quote is the book's best at this instant (a book with an empty side checks nothing). */
  quoteMismatch(symbol: string, bid: number, ask: number): string | null {
    const book = this.get(symbol);
    const bestBid = book?.sides.bids[0];
    const bestAsk = book?.sides.asks[0];
    if (bestBid === undefined || bestAsk === undefined) return null;
    if (bid === bestBid[0] && ask === bestAsk[0]) return null;
    return `${symbol}: bid/ask ${bid}/${ask} differ from the book's best ${bestBid[0]}/${bestAsk[0]} (book seq ${book!.seq})`;
  }
}

/** A change as levels to set (size 0 removes). */
function forward(change: BookChange): BookSides {
  return { bids: change.bids.map(([p, s]) => [p, s]), asks: change.asks.map(([p, s]) => [p, s]) };
}
