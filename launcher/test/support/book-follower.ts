import type { Socket } from 'socket.io-client';
import {
  applyBookDiff,
  bookChecksum,
  formatOf,
  type BookReset,
  type BookSides,
  type ClientToServerEvents,
  type NumberFormat,
  type ServerToClientEvents,
  type Tick,
} from '@tickfeed/protocol';

type Consumer = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One followed book: where it stands and every seq's book since the ack (for comparing with a file or REST). */
export interface Followed {
  epoch: string;
  depth: number;
  seq: number;
  book: BookSides;
  history: Map<number, BookSides>;
  /** Best [bid, ask] of every book state seen (a tick must quote one of them). */
  quotes: Set<string>;
  checksums: number;
}

/**
 * A client following books as the README tells one to: start from the
 * ack's snapshot, apply each update (truncating to its depth), expect seq + 1
 * every time, and verify each checksum (depth ≥ 10). Every departure is
 * collected in `errors` rather than thrown, so a test can assert none.
 */
export class BookFollower {
  readonly books = new Map<string, Followed>();
  readonly errors: string[] = [];
  readonly ticks: Tick[] = [];
  readonly resets: BookReset[] = [];
  /** false: a book:reset is an error; true: the book starts over from it (a replay's seek or loop). */
  acceptResets = false;
  private readonly formats = new Map<string, NumberFormat>();
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  constructor(
    private readonly socket: Consumer,
    private readonly url: string,
  ) {
    socket.on('book', (updates) => {
      for (const u of updates) {
        const held = this.books.get(u.symbol);
        if (held === undefined) {
          this.errors.push(`${u.symbol}: update before the ack`);
          continue;
        }
        if (u.seq !== held.seq + 1) this.errors.push(`${u.symbol}: gap: seq ${u.seq} after ${held.seq}`);
        held.book = applyBookDiff(held.book, { bids: u.bids, asks: u.asks }, held.depth);
        held.seq = u.seq;
        this.record(u.symbol, held, u.checksum);
      }
      this.wake();
    });
    socket.on('book:reset', (reset) => {
      this.resets.push(reset);
      if (!this.acceptResets) {
        this.errors.push(`${reset.symbol}: unexpected book:reset (${reset.reason})`);
        return;
      }
      const held: Followed = { epoch: reset.epoch, depth: reset.depth, seq: reset.book.seq, book: { bids: reset.book.bids, asks: reset.book.asks }, history: new Map(), quotes: new Set(), checksums: 0 };
      this.books.set(reset.symbol, held);
      this.record(reset.symbol, held, reset.book.checksum);
      this.wake();
    });
    socket.on('ticks', (ticks) => {
      for (const t of ticks) this.ticks.push(t);
      this.wake();
    });
  }

  async subscribe(symbols: string[], depth: number): Promise<void> {
    const meta = await Promise.all(
      symbols.map(async (s) => {
        const res = await fetch(`${this.url}/api/symbols/${s}`);
        return ((await res.json()) as { meta: { tickSize: number; lotSize?: number } }).meta;
      }),
    );
    symbols.forEach((s, i) => this.formats.set(s, formatOf(meta[i]!)));
    const ack = await this.socket.emitWithAck('book:subscribe', { symbols, depth });
    if (!ack.ok) throw new Error(`book:subscribe failed: ${ack.error.code} ${ack.error.message}`);
    if (ack.rejected.length > 0) throw new Error(`book:subscribe rejected ${ack.rejected.map((r) => `${r.symbol} ${r.code}`).join(', ')}`);
    for (const e of ack.subscribed) {
      const held: Followed = { epoch: e.epoch, depth: e.depth, seq: e.book.seq, book: { bids: e.book.bids, asks: e.book.asks }, history: new Map(), quotes: new Set(), checksums: 0 };
      this.books.set(e.symbol, held);
      this.record(e.symbol, held, e.book.checksum);
    }
    const ticks = await this.socket.emitWithAck('subscribe', { symbols });
    if (!ticks.ok) throw new Error(`subscribe failed: ${ticks.error.code}`);
  }

  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  private record(symbol: string, held: Followed, checksum: number): void {
    if (held.depth >= 10) {
      const mine = bookChecksum(held.book.bids, held.book.asks, this.formats.get(symbol)!);
      if (mine !== checksum) this.errors.push(`${symbol}: checksum mismatch at seq ${held.seq}: ${mine} ≠ ${checksum}`);
      else held.checksums++;
    }
    held.history.set(held.seq, held.book);
    const bid = held.book.bids[0]?.[0];
    const ask = held.book.asks[0]?.[0];
    if (bid !== undefined && ask !== undefined) held.quotes.add(`${bid}/${ask}`);
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.done()) w.resolve();
      else this.waiters.push(w);
    }
  }
}
