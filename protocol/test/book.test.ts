import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  applyBookDiff,
  applyBookPublish,
  bookChecksum,
  bookChecksumText,
  bookDiff,
  bookTop,
  checkBookPublish,
  crc32,
  formatOf,
  undoBookChange,
  type BookLevel,
  type BookPublish,
  type BookRules,
  type BookSides,
} from '../src/index.js';

const CENTS: BookRules = { format: formatOf({ tickSize: 0.01, lotSize: 1 }), maxDepth: 50 };
const EMPTY: BookSides = { bids: [], asks: [] };

function message(seq: number, bids: BookLevel[], asks: BookLevel[], snapshot = false): BookPublish {
  return { symbol: 'AAPL', seq, ts: 1_000 + seq, bids, asks, ...(snapshot ? { snapshot: true } : {}) };
}

function applied(book: BookSides, seq: number, m: BookPublish, rules = CENTS): BookSides {
  const result = applyBookPublish(book, seq, m, rules);
  if (!result.ok) throw new Error(result.rejection.message);
  return result.book;
}

describe('book checksum', () => {
  it('[L9] CRC-32 is the IEEE 802.3 one, unsigned', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
  });

  it("[L9] reproduces Kraken's v2 worked example (BTC/USD, price 1 decimal, qty 8): 3310070434", () => {
    const bids: BookLevel[] = [
      [45283.5, 0.1], [45283.4, 1.54582015], [45282.1, 0.1], [45281.0, 0.1], [45280.3, 1.54592586],
      [45279.0, 0.0799], [45277.6, 0.03310103], [45277.5, 0.3], [45277.3, 1.54602737], [45276.6, 0.15445238],
    ];
    const asks: BookLevel[] = [
      [45285.2, 0.001], [45286.4, 1.54571953], [45286.6, 1.54571109], [45289.6, 1.54560911], [45290.2, 0.1589066],
      [45291.8, 1.54553491], [45294.7, 0.04454749], [45296.1, 0.3538], [45297.5, 0.09945542], [45299.5, 0.18772827],
    ];
    const format = { price: 1, size: 8 };
    // Kraken's own step: 45285.2 / 0.00100000 → "452852" + "100000".
    expect(bookChecksumText([], [[45285.2, 0.001]], format)).toBe('452852100000');
    expect(bookChecksum(bids, asks, format)).toBe(3310070434);
  });

  it('[L9] our worked example (SPEC.md): tick 0.01, lot 1', () => {
    const bids: BookLevel[] = [[100.01, 300], [100, 1200]];
    const asks: BookLevel[] = [[100.02, 500], [100.05, 100]];
    const format = formatOf({ tickSize: 0.01, lotSize: 1 });
    expect(bookChecksumText(bids, asks, format)).toBe('100025001000510010001300100001200');
    expect(bookChecksum(bids, asks, format)).toBe(crc32('100025001000510010001300100001200'));
    expect(bookChecksum(bids, asks, format)).toBe(1_226_153_894);
  });

  it('[L9] only the top 10 levels per side count; a price below 1 loses its leading zeros', () => {
    const many: BookLevel[] = Array.from({ length: 12 }, (_, i) => [100 + i, 1]);
    const asks = many;
    const text = bookChecksumText([], asks, { price: 0, size: 0 });
    expect(text).toBe(many.slice(0, 10).map(([p]) => `${p}1`).join(''));
    expect(bookChecksumText([[0.05, 0.00000304]], [], { price: 5, size: 8 })).toBe('5000304');
  });
});

describe('book validation (publisher messages)', () => {
  it('[L11] shape: non-objects, bad symbol, seq, ts, level shape and unknown fields are INVALID_BOOK (malformed)', () => {
    const good = message(1, [[100, 1]], [[101, 1]]);
    expect(checkBookPublish(good)).toBeNull();
    const bad: unknown[] = [
      null, 'x', [], { ...good, symbol: 'aapl' }, { ...good, seq: 0 }, { ...good, seq: 1.5 }, { ...good, ts: -1 }, { ...good, ts: Number.NaN },
      { ...good, bids: 'x' }, { ...good, asks: [[100]] }, { ...good, asks: [[100, '1']] }, { ...good, asks: [{ price: 1, size: 1 }] },
      { ...good, snapshot: 'yes' }, { ...good, extra: 1 },
    ];
    for (const value of bad) expect(checkBookPublish(value)).toMatchObject({ code: ErrorCode.INVALID_BOOK, reason: 'malformed' });
  });

  it('[L12] a seq that is not the book seq + 1 is SEQ_MISMATCH', () => {
    for (const seq of [1, 3, 7]) {
      expect(applyBookPublish(EMPTY, 1, message(seq, [[100, 1]], []), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.SEQ_MISMATCH, reason: 'seq' } });
    }
    expect(applyBookPublish(EMPTY, 1, message(2, [[100, 1]], []), CENTS).ok).toBe(true);
  });

  it('[L13] unsorted and duplicate levels are refused, on either side', () => {
    const cases: [BookLevel[], BookLevel[], string][] = [
      [[[100, 1], [100.01, 1]], [], 'unsorted'],
      [[], [[101, 1], [100.99, 1]], 'unsorted'],
      [[[100, 1], [100, 2]], [], 'duplicate'],
      [[], [[101, 1], [101, 1]], 'duplicate'],
    ];
    for (const [bids, asks, reason] of cases) {
      expect(applyBookPublish(EMPTY, 0, message(1, bids, asks), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.INVALID_BOOK, reason } });
    }
  });

  it('[L14] a result that crosses is CROSSED_BOOK; a locked book is allowed', () => {
    const book = applied(EMPTY, 0, message(1, [[100, 1]], [[100.02, 1]], true));
    expect(applyBookPublish(book, 1, message(2, [[100.03, 5]], []), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.CROSSED_BOOK } });
    expect(applyBookPublish(book, 1, message(2, [], [[99.99, 5]]), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.CROSSED_BOOK } });
    expect(applyBookPublish(EMPTY, 0, message(1, [[101, 1]], [[100, 1]], true), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.CROSSED_BOOK } });
    expect(applyBookPublish(book, 1, message(2, [[100.02, 5]], []), CENTS).ok).toBe(true);
  });

  it('[L15] a price off the tick grid or outside the price bounds is refused, never moved', () => {
    for (const price of [100.005, 100.001, 0, -1, 2e9, Number.POSITIVE_INFINITY]) {
      expect(applyBookPublish(EMPTY, 0, message(1, [[price, 1]], []), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.INVALID_BOOK, reason: 'off_grid_price' } });
    }
    const quarter: BookRules = { format: formatOf({ tickSize: 0.25 }), maxDepth: 50 };
    expect(applyBookPublish(EMPTY, 0, message(1, [[100.1, 1]], []), quarter)).toMatchObject({ ok: false, rejection: { reason: 'off_grid_price' } });
    expect(applied(EMPTY, 0, message(1, [[100.25, 1]], []), quarter).bids).toEqual([[100.25, 1]]);
  });

  it('[L16] a negative size, a size off the lot grid, a zero size in a snapshot or a huge size is refused', () => {
    for (const size of [-1, 1.5, 0.5, Number.NaN, 2e12]) {
      expect(applyBookPublish(EMPTY, 0, message(1, [[100, size]], []), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.INVALID_BOOK, reason: 'bad_size' } });
    }
    expect(applyBookPublish(EMPTY, 0, message(1, [[100, 0]], [], true), CENTS)).toMatchObject({ ok: false, rejection: { reason: 'bad_size' } });
    // Without a lot size, sizes are on the 10^-8 grid.
    const noLot: BookRules = { format: formatOf({ tickSize: 0.01 }), maxDepth: 50 };
    expect(applyBookPublish(EMPTY, 0, message(1, [[100, 1e-9]], []), noLot)).toMatchObject({ ok: false, rejection: { reason: 'bad_size' } });
    expect(applied(EMPTY, 0, message(1, [[100, 0.1 + 0.2]], []), noLot).bids).toEqual([[100, 0.3]]);
  });

  it('[L17] more levels than BOOK_MAX_DEPTH, in the message or in the result, are refused', () => {
    const rules: BookRules = { ...CENTS, maxDepth: 3 };
    const four: BookLevel[] = [[100, 1], [99, 1], [98, 1], [97, 1]];
    expect(applyBookPublish(EMPTY, 0, message(1, four, []), rules)).toMatchObject({ ok: false, rejection: { reason: 'too_many_levels' } });
    const three = applied(EMPTY, 0, message(1, four.slice(0, 3), []), rules);
    expect(applyBookPublish(three, 1, message(2, [[96, 1]], []), rules)).toMatchObject({ ok: false, rejection: { reason: 'too_many_levels' } });
    // Replacing one level keeps it at three.
    expect(applied(three, 1, message(2, [[99, 0], [96, 1]], []), rules).bids).toEqual([[100, 1], [98, 1], [96, 1]]);
  });

  it('[L18] removing a level the book does not hold is refused', () => {
    const book = applied(EMPTY, 0, message(1, [[100, 1]], [[101, 1]], true));
    expect(applyBookPublish(book, 1, message(2, [[99, 0]], []), CENTS)).toMatchObject({ ok: false, rejection: { code: ErrorCode.INVALID_BOOK, reason: 'unknown_level' } });
    expect(applyBookPublish(book, 1, message(2, [], [[102, 0]]), CENTS)).toMatchObject({ ok: false, rejection: { reason: 'unknown_level' } });
  });

  it('[L10] an update sets absolute sizes, 0 removes; a snapshot replaces the book; the given book is never modified', () => {
    const start = applied(EMPTY, 0, message(1, [[100, 5], [99, 5]], [[101, 5], [102, 5]], true));
    const frozen = JSON.stringify(start);
    const next = applyBookPublish(start, 1, message(2, [[100.5, 1], [100, 0]], [[102, 7]]), CENTS);
    expect(next).toMatchObject({ ok: true, book: { bids: [[100.5, 1], [99, 5]], asks: [[101, 5], [102, 7]] } });
    expect(JSON.stringify(start)).toBe(frozen);
    if (!next.ok) throw new Error('unreachable');
    expect(next.change).toEqual({ bids: [[100.5, 1, 0], [100, 0, 5]], asks: [[102, 7, 5]] });
    expect(undoBookChange(next.book, next.change)).toEqual(start);
    const replaced = applyBookPublish(next.book, 2, message(3, [[99, 5]], [[103, 1]], true), CENTS);
    if (!replaced.ok) throw new Error(replaced.rejection.message);
    expect(replaced.book).toEqual({ bids: [[99, 5]], asks: [[103, 1]] });
    expect(undoBookChange(replaced.book, replaced.change)).toEqual(next.book);
  });
});

describe('depth-limited diffs', () => {
  const prev: BookSides = { bids: [[100, 1], [99, 2], [98, 3], [97, 4]], asks: [[101, 1], [102, 2], [103, 3]] };

  it('[L5] only levels that changed within the depth are sent, absolute sizes, best first', () => {
    const next: BookSides = { bids: [[100, 1], [99, 5], [98, 3], [97, 9]], asks: [[101, 1], [102, 2], [103, 3]] };
    expect(bookDiff(prev, next, 2)).toEqual({ bids: [[99, 5]], asks: [] });
    expect(bookDiff(prev, next, 4)).toEqual({ bids: [[99, 5], [97, 9]], asks: [] });
  });

  it('[L5] a removed level inside the depth is sent as size 0 and the level entering from below as an update', () => {
    const next: BookSides = { bids: [[99, 2], [98, 3], [97, 4]], asks: prev.asks };
    expect(bookDiff(prev, next, 2)).toEqual({ bids: [[100, 0], [98, 3]], asks: [] });
    expect(applyBookDiff(bookTop(prev, 2), bookDiff(prev, next, 2), 2)).toEqual(bookTop(next, 2));
  });

  it('[L5] a level pushed below the depth by a better one is not sent: truncation drops it', () => {
    const next: BookSides = { bids: [[100.5, 1], ...prev.bids], asks: prev.asks };
    expect(bookDiff(prev, next, 2)).toEqual({ bids: [[100.5, 1]], asks: [] });
    expect(applyBookDiff(bookTop(prev, 2), bookDiff(prev, next, 2), 2)).toEqual(bookTop(next, 2));
  });

  it('[L6] property: a client applying the diffs at depth d and truncating always holds exactly the server top d, and its checksum matches at d ≥ 10', () => {
    // Books on a 0.01 grid around 100, sizes in whole lots; each step is a snapshot or an update built from a random target book.
    const price = fc.integer({ min: 9_900, max: 10_100 });
    const targetBook = fc
      .record({
        bids: fc.uniqueArray(fc.record({ p: price, s: fc.integer({ min: 1, max: 50 }) }), { selector: (l) => l.p, maxLength: 25 }),
        asks: fc.uniqueArray(fc.record({ p: price, s: fc.integer({ min: 1, max: 50 }) }), { selector: (l) => l.p, maxLength: 25 }),
        snapshot: fc.boolean(),
      })
      .map(({ bids, asks, snapshot }) => {
        // Uncross: bids strictly below every ask.
        const minAsk = asks.length === 0 ? Infinity : Math.min(...asks.map((l) => l.p));
        const b = bids.filter((l) => l.p < minAsk).sort((x, y) => y.p - x.p).map((l): BookLevel => [l.p / 100, l.s]);
        const a = asks.sort((x, y) => x.p - y.p).map((l): BookLevel => [l.p / 100, l.s]);
        return { book: { bids: b, asks: a }, snapshot };
      });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(targetBook, { minLength: 1, maxLength: 25 }), (depth, steps) => {
        let server: BookSides = EMPTY;
        let client: BookSides = EMPTY;
        let seq = 0;
        for (const { book: target, snapshot } of steps) {
          const m = snapshot ? message(seq + 1, target.bids, target.asks, true) : message(seq + 1, ...publisherDiff(server, target));
          const result = applyBookPublish(server, seq, m, CENTS);
          if (!result.ok) throw new Error(result.rejection.message);
          expect(result.book).toEqual(target);
          client = applyBookDiff(client, bookDiff(server, result.book, depth), depth);
          server = result.book;
          seq++;
          expect(client).toEqual(bookTop(server, depth));
          if (depth >= 10) expect(bookChecksum(client.bids, client.asks, CENTS.format)).toBe(bookChecksum(server.bids, server.asks, CENTS.format));
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** What a publisher sends to turn `from` into `to`: every changed level, absolute sizes, removals as 0, best first. */
function publisherDiff(from: BookSides, to: BookSides): [BookLevel[], BookLevel[]] {
  const side = (a: BookLevel[], b: BookLevel[], desc: boolean): BookLevel[] => {
    const out = new Map<number, number>();
    const target = new Map(b);
    for (const [p, s] of b) if (new Map(a).get(p) !== s) out.set(p, s);
    for (const [p] of a) if (!target.has(p)) out.set(p, 0);
    return [...out].sort((x, y) => (desc ? y[0] - x[0] : x[0] - y[0]));
  };
  return [side(from.bids, to.bids, true), side(from.asks, to.asks, false)];
}
