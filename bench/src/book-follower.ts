import { BOOK_CHECKSUM_LEVELS, Events, applyBookDiff, checksumDigits, crc32, type BookLevel, type BookSides, type BookSubscribeReply, type BookUpdate, type NumberFormat } from '@tickfeed/protocol';
import { Histogram } from './histogram.js';
import { RawSocketIoClient } from './raw-client.js';

/**
 * The book suite's clients (B42): the bench's raw Socket.IO clients, each
 * following its books as docs/protocol.md says (start from the ack's
 * snapshot, apply each update and keep the best `depth` levels, expect
 * seq + 1) and verifying every message's checksum. Thousands share one
 * process, so the checksum text is built from cached digit strings: the same
 * result as bookChecksum at a fraction of its cost.
 */
export class BookChecksummer {
  private readonly prices = new Map<number, string>();
  private readonly sizes = new Map<number, string>();

  constructor(private readonly format: Pick<NumberFormat, 'price' | 'size'>) {}

  of(bids: readonly BookLevel[], asks: readonly BookLevel[]): number {
    let text = '';
    const asksTop = Math.min(asks.length, BOOK_CHECKSUM_LEVELS);
    for (let i = 0; i < asksTop; i++) text += this.digits(asks[i]!);
    const bidsTop = Math.min(bids.length, BOOK_CHECKSUM_LEVELS);
    for (let i = 0; i < bidsTop; i++) text += this.digits(bids[i]!);
    return crc32(text);
  }

  private digits([price, size]: BookLevel): string {
    let p = this.prices.get(price);
    if (p === undefined) {
      p = checksumDigits(price, this.format.price);
      if (this.prices.size < 100_000) this.prices.set(price, p);
    }
    let s = this.sizes.get(size);
    if (s === undefined) {
      s = checksumDigits(size, this.format.size);
      if (this.sizes.size < 100_000) this.sizes.set(size, s);
    }
    return p + s;
  }
}

/** What every follower of the suite adds to, while `measuring` is on (except the integrity counts, always kept). */
export class BookTally {
  measuring = false;
  /** Window of update `ts` whose latency is recorded. */
  windowStart = 0;
  windowEnd = 0;
  latency = new Histogram();
  /** Updates received (in the measuring period), and the payload bytes of the frames that carried them. */
  updates = 0;
  frames = 0;
  frameBytes = 0;
  /** Integrity, over the whole run: a seq that was not held + 1, a book:reset, a checksum that did not match. */
  gaps = 0;
  resets = 0;
  checksumFailures = 0;
  checksumsVerified = 0;
  lostClients = 0;
  readonly examples: string[] = [];

  note(problem: string): void {
    if (this.examples.length < 5) this.examples.push(problem);
  }

  /** Starts a new measuring period: latency and traffic start from zero; integrity counts go on. */
  resetTraffic(): void {
    this.latency = new Histogram();
    this.updates = 0;
    this.frames = 0;
    this.frameBytes = 0;
  }
}

interface Held {
  seq: number;
  book: BookSides;
}

export class BookFollowerClient {
  readonly books = new Map<string, Held>();
  private readonly socket: RawSocketIoClient;
  private lastFrameBytes = 0;
  private closing = false;

  constructor(
    url: string,
    private readonly depth: number,
    private readonly checksum: BookChecksummer,
    private readonly tally: BookTally,
  ) {
    this.socket = new RawSocketIoClient({
      url,
      onFrame: (bytes) => {
        this.lastFrameBytes = bytes;
      },
      onEvent: (name, args, at) => {
        if (name === Events.book) this.onBook(args[0] as BookUpdate[], at);
        else if (name === Events.bookReset) {
          tally.resets++;
          const reset = args[0] as { symbol: string; book: { seq: number; bids: BookLevel[]; asks: BookLevel[] } };
          tally.note(`${reset.symbol}: book:reset at seq ${reset.book.seq}`);
          this.books.set(reset.symbol, { seq: reset.book.seq, book: { bids: reset.book.bids, asks: reset.book.asks } });
        }
      },
      onClose: () => {
        if (!this.closing) tally.lostClients++;
      },
    });
  }

  async connect(symbols: string[]): Promise<void> {
    await this.socket.connect();
    const [reply] = (await this.socket.emitWithAck(Events.bookSubscribe, [{ symbols, depth: this.depth }])) as [BookSubscribeReply];
    if (!reply.ok) throw new Error(`book:subscribe refused: ${reply.error.code} ${reply.error.message}`);
    if (reply.rejected.length > 0) throw new Error(`book:subscribe rejected ${reply.rejected.map((r) => `${r.symbol} (${r.code})`).join(', ')}`);
    for (const entry of reply.subscribed) {
      this.verify(entry.symbol, entry.book.seq, entry.book.bids, entry.book.asks, entry.book.checksum);
      this.books.set(entry.symbol, { seq: entry.book.seq, book: { bids: entry.book.bids, asks: entry.book.asks } });
    }
  }

  close(): Promise<void> {
    this.closing = true;
    return this.socket.close();
  }

  private onBook(updates: BookUpdate[], at: number): void {
    const t = this.tally;
    if (t.measuring) {
      t.frames++;
      t.frameBytes += this.lastFrameBytes;
      t.updates += updates.length;
    }
    for (const u of updates) {
      const held = this.books.get(u.symbol);
      if (held === undefined) {
        t.gaps++;
        t.note(`${u.symbol}: update of a book not followed`);
        continue;
      }
      if (u.seq !== held.seq + 1) {
        t.gaps++;
        t.note(`${u.symbol}: expected seq ${held.seq + 1}, got ${u.seq}`);
      }
      held.book = applyBookDiff(held.book, u, this.depth);
      held.seq = u.seq;
      this.verify(u.symbol, u.seq, held.book.bids, held.book.asks, u.checksum);
      if (t.measuring && u.ts >= t.windowStart && u.ts < t.windowEnd) t.latency.record(Math.max(0, at - u.ts) * 1_000);
    }
  }

  private verify(symbol: string, seq: number, bids: readonly BookLevel[], asks: readonly BookLevel[], checksum: number): void {
    if (this.checksum.of(bids, asks) === checksum) this.tally.checksumsVerified++;
    else {
      this.tally.checksumFailures++;
      this.tally.note(`${symbol}: checksum mismatch at seq ${seq}`);
    }
  }
}
