import { describe, expect, it } from 'vitest';
import { applyBookPublish, bookChecksum, formatOf, type BookSides } from '@tickfeed/protocol';
import { BOOK_WALK, BookWalk, BookWalks } from '../src/book-walk.js';
import { BookChecksummer } from '../src/book-follower.js';

const FORMAT = formatOf({ tickSize: 0.01, lotSize: 1 });
const onGrid = (price: number) => Math.round(price * 100) / 100 === price;

describe('book suite update generator', () => {
  it('[B41] every update applies on the server rules, stays on the tick grid with whole sizes, never locks or crosses, and changes 1–3 levels near the touch', () => {
    for (const seed of [1, 2, 3]) {
      const walk = new BookWalk('BENCH000', seed);
      let book: BookSides = { bids: [], asks: [] };
      let seq = 0;
      const first = walk.snapshot(0);
      for (let i = 0; i < 5_000; i++) {
        const message = i === 0 ? first : walk.next(i);
        const applied = applyBookPublish(book, seq, message, { format: FORMAT, maxDepth: 50 });
        if (!applied.ok) throw new Error(`seed ${seed}, message ${i}: ${applied.rejection.message}`);
        for (const [price, size] of [...message.bids, ...message.asks]) {
          expect(onGrid(price)).toBe(true);
          expect(Number.isInteger(size) && size >= 0).toBe(true);
        }
        if (i > 0) {
          const changed = message.bids.length + message.asks.length;
          expect(changed).toBeGreaterThanOrEqual(1);
          expect(changed).toBeLessThanOrEqual(BOOK_WALK.maxChanges);
          // Near the touch: among the best levels of its side, before or after the message.
          const near = BOOK_WALK.nearTouch + BOOK_WALK.maxChanges;
          for (const [side, levels] of [['bids', message.bids], ['asks', message.asks]] as const) {
            const around = new Set([...book[side].slice(0, near), ...applied.book[side].slice(0, near)].map(([p]) => p));
            for (const [price] of levels) expect(around.has(price)).toBe(true);
          }
        }
        book = applied.book;
        seq = message.seq;
        expect(book.bids[0]![0]).toBeLessThan(book.asks[0]![0]);
        expect(book.bids.length).toBeGreaterThanOrEqual(BOOK_WALK.minLevels);
        expect(book.asks.length).toBeLessThanOrEqual(BOOK_WALK.maxLevels);
        expect(walk.book).toEqual(book);
      }
    }
  });

  it('[B41] the spread is one tick most of the time and the mid moves', () => {
    const walk = new BookWalk('BENCH000', 9);
    walk.snapshot(0);
    let oneTick = 0;
    const mids = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      walk.next(i);
      const { bids, asks } = walk.book;
      if (Math.round((asks[0]![0] - bids[0]![0]) * 100) === 1) oneTick++;
      mids.add(bids[0]![0] + asks[0]![0]);
    }
    expect(oneTick / 5_000).toBeGreaterThan(0.5);
    expect(mids.size).toBeGreaterThan(5);
  });

  it('[B41] is deterministic for a seed, and a set of walks publishes each symbol in seq order', () => {
    const a = new BookWalks(['A', 'B', 'C'], 4);
    const b = new BookWalks(['A', 'B', 'C'], 4);
    expect(a.snapshots(0)).toEqual(b.snapshots(0));
    const seen = new Map<string, number>([['A', 1], ['B', 1], ['C', 1]]);
    for (let i = 0; i < 300; i++) {
      const m = a.next(i);
      expect(b.next(i)).toEqual(m);
      expect(m.seq).toBe(seen.get(m.symbol)! + 1);
      seen.set(m.symbol, m.seq);
    }
  });

  it("[B42] the followers' cached checksum equals the protocol's bookChecksum", () => {
    const walk = new BookWalk('BENCH000', 5);
    const cached = new BookChecksummer(FORMAT);
    walk.snapshot(0);
    for (let i = 0; i < 2_000; i++) {
      walk.next(i);
      const { bids, asks } = walk.book;
      expect(cached.of(bids, asks)).toBe(bookChecksum(bids, asks, FORMAT));
    }
    expect(cached.of([[0.01, 5]], [])).toBe(bookChecksum([[0.01, 5]], [], FORMAT));
  });
});
