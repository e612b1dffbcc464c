import {
  applyBookDiff,
  applyBookPublish,
  bookChecksum,
  createRandom,
  formatOf,
  type BookLevel,
  type BookPublish,
  type BookReset,
  type BookSides,
  type BookSubscribeOk,
  type BookUpdate,
  type NumberFormat,
  type SymbolDeclaration,
} from '@tickfeed/protocol';
import type { ConsumerClient } from './harness.js';

/** A book symbol: tick size 0.01, lot size 1. */
export function bookDeclaration(symbol: string, refPrice = 100): SymbolDeclaration {
  return { symbol, name: `${symbol} Inc.`, kind: 'equity', currency: 'USD', tickSize: 0.01, lotSize: 1, refPrice, book: true };
}

export const BOOK_FORMAT: NumberFormat = formatOf({ tickSize: 0.01, lotSize: 1 });

/**
 * A publisher's side of a book: a seeded random walk of a realistic-looking
 * book (adds, resizes and removals around a mid, never crossed), producing
 * the incremental updates (and now and then a snapshot) that lead from one
 * state to the next. `book` is the state after the last message produced.
 */
export class BookScript {
  book: BookSides = { bids: [], asks: [] };
  seq = 0;
  private readonly source;

  constructor(
    readonly symbol: string,
    seed: number,
    private readonly maxLevels = 20,
  ) {
    this.source = createRandom(seed, `book:${symbol}`);
  }

  private random(): number {
    return this.source.next();
  }

  /** The first message: a snapshot of `levels` levels a side around 100. */
  snapshot(levels = 15, ts = Date.now()): BookPublish {
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    for (let i = 0; i < levels; i++) {
      bids.push([(10_000 - i) / 100, 100 * (1 + i)]);
      asks.push([(10_001 + i) / 100, 100 * (1 + i)]);
    }
    return this.take({ symbol: this.symbol, seq: this.seq + 1, ts, bids, asks, snapshot: true });
  }

  /** The next incremental update: one to three level changes. */
  next(ts = Date.now()): BookPublish {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    const changes = 1 + Math.floor(this.random() * 3);
    for (let c = 0; c < changes; c++) {
      const isBid = this.random() < 0.5;
      const side = isBid ? this.book.bids : this.book.asks;
      const out = isBid ? bids : asks;
      const other = isBid ? this.book.asks : this.book.bids;
      const roll = this.random();
      const live = side.filter(([p]) => out.get(p) !== 0);
      if (roll < 0.35 && live.length > 1) {
        // Remove a level, often the touch (a trade or a cancel at the best price).
        const level = this.random() < 0.5 ? live[0]! : live[Math.floor(this.random() * live.length)]!;
        out.set(level[0], 0);
      } else if (roll < 0.7 && live.length > 0) {
        const level = live[Math.floor(this.random() * live.length)]!;
        out.set(level[0], 1 + Math.floor(this.random() * 900));
      } else if (side.length + [...out.values()].filter((s) => s > 0).length < this.maxLevels) {
        // A new level near the touch, never crossing the other side.
        const best = side[0]?.[0] ?? (isBid ? 100 : 100.01);
        const cents = Math.round(best * 100) + (isBid ? 1 : -1) * (Math.floor(this.random() * 6) - 3);
        const price = cents / 100;
        const opposite = other[0]?.[0];
        const crosses = opposite !== undefined && (isBid ? price >= opposite : price <= opposite);
        if (!crosses && price > 0 && !side.some(([p]) => p === price) && !out.has(price)) out.set(price, 1 + Math.floor(this.random() * 900));
      }
    }
    const sorted = (m: Map<number, number>, desc: boolean): BookLevel[] => [...m].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
    const message: BookPublish = { symbol: this.symbol, seq: this.seq + 1, ts, bids: sorted(bids, true), asks: sorted(asks, false) };
    return this.take(message);
  }

  private take(message: BookPublish): BookPublish {
    const result = applyBookPublish(this.book, this.seq, message, { format: BOOK_FORMAT, maxDepth: 50 });
    if (!result.ok) {
      // A change this walk would refuse itself (e.g. the book would hold too many levels): publish no change instead.
      return this.take({ ...message, bids: [], asks: [], snapshot: false });
    }
    this.book = result.book;
    this.seq = message.seq;
    return message;
  }
}

/** What a follower holds of one book. */
export interface FollowedBook {
  epoch: string;
  depth: number;
  seq: number;
  book: BookSides;
  /** Every update seq received, in order. */
  seqs: number[];
  checksumsVerified: number;
}

/**
 * A client that follows books exactly as docs/protocol.md says: start from the
 * ack's snapshot, apply each update (size 0 removes) and keep the best `depth`
 * levels, expect seq + 1 each time, verify the checksum at depth ≥ 10, start
 * over on `book:reset`. Every violation is recorded in `errors`.
 */
export class BookFollower {
  readonly books = new Map<string, FollowedBook>();
  readonly errors: string[] = [];
  readonly resets: BookReset[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor(
    readonly socket: ConsumerClient,
    private readonly format: NumberFormat = BOOK_FORMAT,
  ) {
    socket.on('book', (updates) => {
      for (const update of updates) this.apply(update);
      this.wake();
    });
    socket.on('book:reset', (reset) => {
      this.resets.push(reset);
      this.books.set(reset.symbol, { epoch: reset.epoch, depth: reset.depth, seq: reset.book.seq, book: { bids: reset.book.bids, asks: reset.book.asks }, seqs: [], checksumsVerified: 0 });
      this.wake();
    });
  }

  /** Subscribes and starts from the ack (or, with recovered: true, from the book held before). */
  async subscribe(symbols: string[], depth?: number, resume?: Record<string, { epoch: string; seq: number }>): Promise<BookSubscribeOk> {
    const ack = await this.socket.emitWithAck('book:subscribe', { symbols, ...(depth === undefined ? {} : { depth }), ...(resume === undefined ? {} : { resume }) });
    if (!ack.ok) throw new Error(`book:subscribe failed: ${ack.error.code} ${ack.error.message}`);
    for (const entry of ack.subscribed) {
      const held = this.books.get(entry.symbol);
      if (entry.recovered === true && held !== undefined) {
        held.depth = entry.depth;
        continue;
      }
      const start = { epoch: entry.epoch, depth: entry.depth, seq: entry.book.seq, book: { bids: entry.book.bids, asks: entry.book.asks }, seqs: [], checksumsVerified: 0 };
      if (entry.depth >= 10 && bookChecksum(entry.book.bids, entry.book.asks, this.format) !== entry.book.checksum) this.errors.push(`${entry.symbol}: snapshot checksum mismatch`);
      this.books.set(entry.symbol, start);
    }
    return ack;
  }

  /** Resolves once the predicate holds (checked after each received event). */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  untilSeq(symbol: string, seq: number): Promise<void> {
    return this.until(() => (this.books.get(symbol)?.seq ?? 0) >= seq);
  }

  private apply(update: BookUpdate): void {
    const held = this.books.get(update.symbol);
    if (held === undefined) {
      this.errors.push(`${update.symbol}: update ${update.seq} of a book not followed`);
      return;
    }
    if (update.seq !== held.seq + 1) this.errors.push(`${update.symbol}: expected seq ${held.seq + 1}, got ${update.seq}`);
    held.book = applyBookDiff(held.book, { bids: update.bids, asks: update.asks }, held.depth);
    held.seq = update.seq;
    held.seqs.push(update.seq);
    if (held.depth >= 10) {
      if (bookChecksum(held.book.bids, held.book.asks, this.format) === update.checksum) held.checksumsVerified++;
      else this.errors.push(`${update.symbol}: checksum mismatch at seq ${update.seq}`);
    }
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }
}
