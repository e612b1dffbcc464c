import {
  BOOK_CHECKSUM_LEVELS,
  applyBookDiff,
  bookChecksum,
  formatOf,
  type BookLevel,
  type BookSides,
  type BookSnapshot,
  type BookUpdate,
  type NumberFormat,
  type ResumePoint,
} from '@tickfeed/protocol';

/** What a followed book holds: the server's top `depth` levels at `seq`. */
export interface BookState {
  readonly symbol: string;
  readonly epoch: string;
  readonly depth: number;
  readonly seq: number;
  /** Time of the last update, epoch ms (0 before the first). */
  readonly ts: number;
  /** Highest price first. */
  readonly bids: readonly BookLevel[];
  /** Lowest price first. */
  readonly asks: readonly BookLevel[];
}

/**
 * What became of one update:
 * - `applied`: it was the next seq and, at depth ≥ 10, its checksum matched;
 * - `stale`: an older seq (already applied, or of a subscription being replaced): ignored;
 * - `waiting`: a resync is under way; ignored until its ack;
 * - `gap`: a seq was skipped: resume from the last applied one;
 * - `checksum`: the book held no longer matches the server's: start over from a snapshot.
 */
export type BookVerdict = 'applied' | 'stale' | 'waiting' | 'gap' | 'checksum';

/** How to resubscribe a book: with its resume point (a gap, a reconnect) or for a fresh snapshot (a checksum mismatch). */
export type BookResync = { resume: ResumePoint } | { fresh: true };

/**
 * One followed book, without I/O: starts from an ack's or a reset's snapshot,
 * applies each update (size 0 removes, keep the best `depth`), checks that
 * seqs follow one another and, at depth ≥ 10, every checksum; says when and
 * how to resync. The feed client owns the socket and acts on the verdicts.
 */
export class BookFollower {
  private state: BookState | undefined;
  /** A resubscribe is in flight: updates are dropped until its ack. */
  private waiting = false;
  /** The held copy was found wrong: the next resubscribe must not resume from it. */
  private corrupt = false;
  private readonly format: Pick<NumberFormat, 'price' | 'size'>;
  readonly counters = { applied: 0, gaps: 0, checksumMismatches: 0, checksumsVerified: 0, stale: 0 };

  constructor(
    readonly symbol: string,
    /** The depth wanted (1..BOOK_MAX_DEPTH); the server's ack says the depth granted. */
    readonly depth: number,
    meta: { tickSize: number; lotSize?: number | undefined },
  ) {
    this.format = formatOf(meta);
  }

  get book(): BookState | undefined {
    return this.state;
  }

  /** Whether checksums are verified: they cover the top 10 levels, so only a follower holding at least 10 can. */
  get verifies(): boolean {
    return (this.state?.depth ?? this.depth) >= BOOK_CHECKSUM_LEVELS;
  }

  /** The point to resume from, when the held book can be trusted. */
  resumePoint(): ResumePoint | undefined {
    if (this.state === undefined || this.corrupt) return undefined;
    return { epoch: this.state.epoch, seq: this.state.seq };
  }

  /** A resubscribe was sent: ignore updates until its ack. */
  markWaiting(): void {
    this.waiting = true;
  }

  get isWaiting(): boolean {
    return this.waiting;
  }

  /**
   * Starts over from a snapshot (an ack without recovery, or `book:reset`).
   * Returns false when the snapshot's own checksum does not verify (then a fresh resync is due).
   */
  start(epoch: string, depth: number, snapshot: BookSnapshot): boolean {
    this.waiting = false;
    this.state = { symbol: this.symbol, epoch, depth, seq: snapshot.seq, ts: snapshot.ts, bids: snapshot.bids, asks: snapshot.asks };
    this.corrupt = false;
    if (depth >= BOOK_CHECKSUM_LEVELS && bookChecksum(snapshot.bids, snapshot.asks, this.format) !== snapshot.checksum) {
      this.counters.checksumMismatches++;
      this.corrupt = true;
      return false;
    }
    return true;
  }

  /** The ack said `recovered: true`: keep the book; the missed updates follow. */
  recovered(depth: number): void {
    this.waiting = false;
    if (this.state !== undefined && this.state.depth !== depth) this.state = { ...this.state, depth };
  }

  apply(update: BookUpdate): BookVerdict {
    const held = this.state;
    if (this.waiting || held === undefined) return 'waiting';
    if (update.seq <= held.seq) {
      this.counters.stale++;
      return 'stale';
    }
    if (update.seq !== held.seq + 1) {
      this.counters.gaps++;
      return 'gap';
    }
    // applyBookDiff only reads the book it is given and returns a new one.
    const current: BookSides = { bids: held.bids as BookLevel[], asks: held.asks as BookLevel[] };
    const next = applyBookDiff(current, { bids: update.bids, asks: update.asks }, held.depth);
    this.state = { ...held, seq: update.seq, ts: update.ts, bids: next.bids, asks: next.asks };
    if (held.depth >= BOOK_CHECKSUM_LEVELS) {
      if (bookChecksum(next.bids, next.asks, this.format) !== update.checksum) {
        this.counters.checksumMismatches++;
        this.corrupt = true;
        return 'checksum';
      }
      this.counters.checksumsVerified++;
    }
    this.counters.applied++;
    return 'applied';
  }

  /** How to resubscribe after a `gap` or `checksum` verdict, or a reconnect. */
  resync(): BookResync {
    const point = this.resumePoint();
    return point === undefined ? { fresh: true } : { resume: point };
  }
}
