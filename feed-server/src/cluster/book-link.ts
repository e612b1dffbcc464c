import type { BookPublish } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { BookChannel } from '../book/book-channel.js';
import type { BookReplication } from '../book/book-ingest.js';
import type { SymbolOrderBook } from '../book/book-state.js';
import type { BookAppend, BookStore } from './book-store.js';
import { within } from './within.js';

export interface BookLinkDeps {
  books: BookChannel;
  store: BookStore;
  /** Tells the other instances of messages now in the store: each symbol's book epoch, the messages' JSON texts. */
  announce(epochs: Record<string, string>, jsons: string[]): void;
  /** Whether the store is usable now (link open, Redis up). */
  usable(): boolean;
  noteFailure(error: unknown): void;
  /** Longest a publisher's ack waits for the store write, ms. */
  ackTimeoutMs: number;
  log: Logger;
}

interface Pending {
  item: BookAppend;
  bookEpoch: string;
}

/** Syncs of one symbol before giving up until its next message (a feed that keeps resetting). */
const MAX_PASSES = 3;
/** Messages held back per symbol during a sync; past it they are dropped and read from the store by another pass. */
const MAX_HELD = 20_000;

/**
 * Shares books between instances (C30–C33), the way ticks are shared: the
 * messages a publisher here had accepted are appended to the symbol's book
 * log in the store, then announced; another instance applies an announced
 * message when it continues its book and otherwise syncs the symbol from the
 * store (the logged messages it missed, as ordinary updates, or the stored
 * book with a `book:reset` when the log no longer reaches back), holding
 * later messages meanwhile. Writes go one after another, so the log and the
 * announcements keep each book's order.
 */
export class BookLink implements BookReplication {
  private recorded = new Map<string, Pending>();
  private tail: Promise<void> = Promise.resolve();
  /** Symbols whose stored book may be behind this instance's (a refused or skipped write): the next write replaces it. */
  private readonly stale = new Set<string>();
  private readonly syncing = new Map<string, { held: { epoch: string; message: BookPublish }[]; again: boolean; done: Promise<void> }>();

  constructor(private readonly deps: BookLinkDeps) {}

  record(book: SymbolOrderBook, message: BookPublish): void {
    const pending = this.recorded.get(book.symbol);
    const json = JSON.stringify(message);
    if (pending !== undefined && pending.bookEpoch === book.epoch) {
      pending.item.lastSeq = book.seq;
      pending.item.ts = book.ts;
      pending.item.sides = book.sides;
      pending.item.messages.push(json);
      return;
    }
    if (pending !== undefined) this.stale.add(book.symbol);
    const item: BookAppend = { symbol: book.symbol, symbolEpoch: book.symbolEpoch, firstSeq: book.seq, lastSeq: book.seq, ts: book.ts, sides: book.sides, messages: [json] };
    this.recorded.set(book.symbol, { item, bookEpoch: book.epoch });
  }

  commit(): Promise<void> | undefined {
    if (this.recorded.size === 0) return undefined;
    const batch = [...this.recorded.values()];
    this.recorded = new Map();
    // A failed write never stops the ones after it: its symbols are marked stale and replaced by the next write.
    this.tail = this.tail.then(() => this.write(batch)).catch((error: unknown) => this.deps.noteFailure(error));
    return within(this.tail, this.deps.ackTimeoutMs).then(() => undefined);
  }

  /** The store's copy of the books (this one when the store names none yet). */
  copy(proposed: string): Promise<string> {
    return this.deps.store.copy(proposed);
  }

  /** Waits for the writes in flight (a drain), at most `timeoutMs`. */
  idle(timeoutMs: number): Promise<unknown> {
    return within(this.tail, timeoutMs);
  }

  private async write(batch: Pending[]): Promise<void> {
    const { store, log } = this.deps;
    const epochs: Record<string, string> = {};
    const jsons: string[] = [];
    for (const { item, bookEpoch } of batch) {
      if (!this.deps.usable()) {
        // Redis is down: local followers have them; the first write after the outage replaces the stored book.
        this.stale.add(item.symbol);
        continue;
      }
      try {
        let reply = await store.append(item, this.stale.has(item.symbol));
        if (reply === 'GAP') reply = await store.append(item, true);
        if (reply === 'CONFLICT') {
          // This book fell behind the store's and took other messages at stored seqs: the store's wins here,
          // followers get it as a reset, and the publisher's next message is refused with the seq to resend from (L40).
          await this.adopt(item.symbol);
          continue;
        }
        if (reply !== 'OK') {
          // Another symbol epoch in the store: the tick side repairs the symbol; other instances resync its book then.
          log.debug({ symbol: item.symbol, reply }, 'book messages not stored');
          this.stale.add(item.symbol);
          continue;
        }
        this.stale.delete(item.symbol);
        epochs[item.symbol] = bookEpoch;
        jsons.push(...item.messages);
      } catch (error) {
        this.stale.add(item.symbol);
        this.deps.noteFailure(error);
      }
    }
    if (jsons.length > 0) this.deps.announce(epochs, jsons);
  }

  /** Messages another instance stored and announced, in its acceptance order. */
  onRemote(epochs: Record<string, string>, jsons: readonly string[]): void {
    for (const json of jsons) {
      const message = parse(json);
      if (message === null) continue;
      const epoch = epochs[message.symbol];
      if (typeof epoch !== 'string') continue;
      const running = this.syncing.get(message.symbol);
      if (running !== undefined) {
        if (running.held.length < MAX_HELD) running.held.push({ epoch, message });
        else running.again = true;
        continue;
      }
      if (this.deps.books.applyRemote(message, epoch) === 'sync') void this.sync(message.symbol);
    }
  }

  /** Brings a symbol's book up to the store's (joins a sync already running). */
  sync(symbol: string): Promise<void> {
    const existing = this.syncing.get(symbol);
    if (existing !== undefined) return existing.done;
    const running = { held: [] as { epoch: string; message: BookPublish }[], again: false, done: Promise.resolve() };
    this.syncing.set(symbol, running);
    running.done = (async () => {
      try {
        for (let pass = 0; pass < MAX_PASSES; pass++) {
          running.again = false;
          await this.pass(symbol);
          const held = running.held.splice(0);
          for (const { epoch, message } of held) if (this.deps.books.applyRemote(message, epoch) === 'sync') running.again = true;
          if (!running.again) return;
        }
      } catch (error) {
        this.deps.noteFailure(error);
      } finally {
        this.syncing.delete(symbol);
      }
    })();
    return running.done;
  }

  /** Replaces this instance's book with the store's, whatever their seqs. */
  private async adopt(symbol: string): Promise<void> {
    const stored = await this.deps.store.read(symbol, Number.MAX_SAFE_INTEGER);
    const book = this.deps.books.state.get(symbol);
    if (stored === null || book === undefined || stored.symbolEpoch !== book.symbolEpoch) return;
    this.deps.log.warn({ symbol, seq: book.seq, stored: stored.seq }, 'book diverged from the store; taking the stored book');
    this.deps.books.replace(symbol, stored.seq, stored.ts, stored.sides, 'resync');
  }

  private async pass(symbol: string): Promise<void> {
    const { books } = this.deps;
    const local = books.state.get(symbol);
    if (local === undefined) return;
    const stored = await this.deps.store.read(symbol, local.seq + 1);
    // Nothing stored, or another symbol epoch: the tick side brings the symbol to the store's epoch first.
    if (stored === null || stored.symbolEpoch !== local.symbolEpoch) return;
    const book = books.state.get(symbol);
    if (book === undefined || book.seq >= stored.seq) return;
    const first = stored.entries[0];
    const continues = first !== undefined && first.seq === book.seq + 1 && stored.entries.at(-1)?.seq === stored.seq;
    if (continues) {
      for (const entry of stored.entries) {
        const message = parse(entry.json);
        if (message === null || books.applyRemote(message, book.epoch) !== 'applied') {
          books.replace(symbol, stored.seq, stored.ts, stored.sides, 'resync');
          return;
        }
      }
      return;
    }
    // The log no longer reaches back to this book: the stored book replaces it, followers get it as a reset.
    books.replace(symbol, stored.seq, stored.ts, stored.sides, 'resync');
  }
}

function parse(json: string): BookPublish | null {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return null;
    const m = value as Partial<BookPublish>;
    return typeof m.symbol === 'string' && typeof m.seq === 'number' ? (value as BookPublish) : null;
  } catch {
    return null;
  }
}
