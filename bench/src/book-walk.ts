import { bookDiff, createRandom, type BookLevel, type BookPublish, type BookSides } from '@tickfeed/protocol';

/**
 * The book suite's update generator (B41): one symbol's order book on a
 * 0.01 tick grid around 100, moved by the events that change a real book
 * most often, all near the touch: a queue at one of the best levels grows or
 * shrinks, a level near the touch empties (a trade or a cancel), a new level
 * fills a gap near the touch or improves the spread. Each message changes one
 * to three levels; the book never locks or crosses. Pure and seeded.
 *
 * Prices are kept as whole ticks (cents) and only divided on the way out,
 * so every published price is exactly the grid's own rounding.
 */
export const BOOK_WALK = {
  /** Levels per side: the book never holds fewer (so the top 10 a client follows is always full) … */
  minLevels: 12,
  /** … nor more. */
  maxLevels: 20,
  /** Changes touch the best `nearTouch` levels of a side (as it is before or after the message). */
  nearTouch: 5,
  /** Level changes per message at most. */
  maxChanges: 3,
} as const;

const TICKS_PER_UNIT = 100;

/** A side as whole-tick prices, best first. */
type Side = { ticks: number; size: number }[];

export class BookWalk {
  private bids: Side = [];
  private asks: Side = [];
  private last = 0;
  private readonly random;

  constructor(
    readonly symbol: string,
    seed: number,
  ) {
    this.random = createRandom(seed, `bench:book:${symbol}`);
  }

  /** The seq of the last message. */
  get seq(): number {
    return this.last;
  }

  /** The book held after the last message, best first. */
  get book(): BookSides {
    return { bids: out(this.bids), asks: out(this.asks) };
  }

  /** The first message: a full book of 15 levels a side with a one-tick spread, sizes rising from the touch. */
  snapshot(ts: number): BookPublish {
    const mid = 100 * TICKS_PER_UNIT;
    this.bids = [];
    this.asks = [];
    for (let i = 0; i < 15; i++) {
      const size = 100 * (2 + Math.min(i, 4)) + Math.floor(this.random.next() * 100);
      this.bids.push({ ticks: mid - 1 - i, size });
      this.asks.push({ ticks: mid + i, size });
    }
    this.last += 1;
    return { symbol: this.symbol, seq: this.last, ts, ...this.book, snapshot: true };
  }

  /** The next incremental update: 1 to maxChanges level changes near the touch. */
  next(ts: number): BookPublish {
    if (this.last === 0) throw new Error('snapshot() first');
    const before = this.book;
    let diff: BookSides;
    do {
      // Changes can cancel out (a level emptied and refilled at its old size): then the book is as before; draw again.
      const changes = 1 + Math.floor(this.random.next() * BOOK_WALK.maxChanges);
      for (let c = 0; c < changes; c++) this.change(this.random.next() < 0.5);
      diff = bookDiff(before, this.book, BOOK_WALK.maxLevels + BOOK_WALK.maxChanges);
    } while (diff.bids.length + diff.asks.length === 0);
    this.last += 1;
    return { symbol: this.symbol, seq: this.last, ts, bids: diff.bids, asks: diff.asks };
  }

  private change(isBid: boolean): void {
    const side = isBid ? this.bids : this.asks;
    const roll = this.random.next();
    if (roll < 0.2 && side.length > BOOK_WALK.minLevels) {
      // The touch or a level just behind it empties: a trade or a cancel.
      side.splice(Math.floor(this.random.next() * 3), 1);
      return;
    }
    if (roll < 0.4 && side.length < BOOK_WALK.maxLevels && this.add(isBid, side)) return;
    // A queue near the touch grows or shrinks (never to nothing).
    const level = side[Math.floor(this.random.next() * BOOK_WALK.nearTouch)]!;
    const delta = (1 + Math.floor(this.random.next() * 100)) * (this.random.next() < 0.55 ? 1 : -1);
    level.size = level.size + delta >= 1 ? level.size + delta : level.size - delta;
  }

  /** A new level: inside the spread when it is wider than a tick, else in a gap among the best levels. */
  private add(isBid: boolean, side: Side): boolean {
    const dir = isBid ? -1 : 1;
    const best = side[0]!.ticks;
    const otherBest = (isBid ? this.asks : this.bids)[0]!.ticks;
    const size = 1 + Math.floor(this.random.next() * 300);
    if (Math.abs(otherBest - best) > 1) {
      side.unshift({ ticks: best - dir, size });
      return true;
    }
    for (let i = 1; i < BOOK_WALK.nearTouch - 1; i++) {
      const expected = best + dir * i;
      if (side[i]!.ticks !== expected) {
        side.splice(i, 0, { ticks: expected, size });
        return true;
      }
    }
    return false;
  }
}

function out(side: Side): BookLevel[] {
  return side.map((l) => [l.ticks / TICKS_PER_UNIT, l.size]);
}

/** The round robin of several walks a publisher draws from: a uniformly random symbol per update. */
export class BookWalks {
  readonly walks: BookWalk[];
  private readonly random;

  constructor(symbols: readonly string[], seed: number) {
    this.walks = symbols.map((s) => new BookWalk(s, seed));
    this.random = createRandom(seed, 'bench:book:pick');
  }

  snapshots(ts: number): BookPublish[] {
    return this.walks.map((w) => w.snapshot(ts));
  }

  next(ts: number): BookPublish {
    return this.walks[Math.floor(this.random.next() * this.walks.length)]!.next(ts);
  }
}
