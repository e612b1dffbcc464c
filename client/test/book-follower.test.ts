import { describe, expect, it } from 'vitest';
import { bookChecksum, formatOf, type BookLevel, type BookSnapshot, type BookUpdate } from '@tickfeed/protocol';
import { BookFollower } from '../src/book-follower.js';

const META = { tickSize: 0.01, lotSize: 1 };
const FORMAT = formatOf(META);

function levels(from: number, step: number, n: number): BookLevel[] {
  return Array.from({ length: n }, (_, i) => [Math.round((from + i * step) * 100) / 100, 100 + i] as BookLevel);
}

function snapshot(seq: number, bids: BookLevel[], asks: BookLevel[]): BookSnapshot {
  return { symbol: 'AAPL', seq, ts: 1, bids, asks, checksum: bookChecksum(bids, asks, FORMAT) };
}

/** An update whose checksum is that of `after` (the server's top 10 after it). */
function update(seq: number, bids: BookLevel[], asks: BookLevel[], after: { bids: BookLevel[]; asks: BookLevel[] }): BookUpdate {
  return { symbol: 'AAPL', seq, ts: seq, bids, asks, checksum: bookChecksum(after.bids, after.asks, FORMAT) };
}

describe('BookFollower', () => {
  const bids = levels(100, -0.01, 12);
  const asks = levels(100.01, 0.01, 12);

  it('[D80] starts from a snapshot, applies the next seq, verifies each checksum and keeps the best depth levels', () => {
    const f = new BookFollower('AAPL', 10, META);
    expect(f.start('e1', 10, snapshot(5, bids.slice(0, 10), asks.slice(0, 10)))).toBe(true);
    // The best bid goes: the 11th level enters the top 10 from below and is sent, as the server does.
    const afterBids = bids.slice(1, 11);
    const verdict = f.apply(update(6, [[100, 0], bids[10]!], [], { bids: afterBids, asks: asks.slice(0, 10) }));
    expect(verdict).toBe('applied');
    expect(f.book).toMatchObject({ seq: 6, bids: afterBids, asks: asks.slice(0, 10) });
    // A better ask pushes the 10th below the top: it is dropped by truncation.
    const better = update(7, [], [[100.01, 7]], { bids: afterBids, asks: [[100.01, 7], ...asks.slice(1, 10)] });
    expect(f.apply(better)).toBe('applied');
    expect(f.book!.asks).toEqual([[100.01, 7], ...asks.slice(1, 10)]);
    expect(f.counters).toMatchObject({ applied: 2, checksumsVerified: 2, gaps: 0, checksumMismatches: 0 });
    expect(f.resync()).toEqual({ resume: { epoch: 'e1', seq: 7 } });
  });

  it('[D81] a skipped seq is a gap (resume from the last applied); an older seq is ignored', () => {
    const f = new BookFollower('AAPL', 10, META);
    f.start('e1', 10, snapshot(5, bids.slice(0, 10), asks.slice(0, 10)));
    const same = { bids: bids.slice(0, 10), asks: asks.slice(0, 10) };
    expect(f.apply(update(5, [], [], same))).toBe('stale');
    expect(f.apply(update(7, [], [], same))).toBe('gap');
    expect(f.book!.seq).toBe(5);
    expect(f.resync()).toEqual({ resume: { epoch: 'e1', seq: 5 } });
    f.markWaiting();
    expect(f.apply(update(6, [], [], same))).toBe('waiting');
    f.recovered(10);
    expect(f.apply(update(6, [], [], same))).toBe('applied');
  });

  it('[D82] a checksum mismatch (on an update or a snapshot) asks for a fresh snapshot, never a resume from the wrong copy', () => {
    const f = new BookFollower('AAPL', 10, META);
    f.start('e1', 10, snapshot(5, bids.slice(0, 10), asks.slice(0, 10)));
    // The server's book has a level this copy does not: the checksum says so.
    const wrong = update(6, [], [], { bids: bids.slice(0, 10), asks: [[100.01, 999], ...asks.slice(1, 10)] });
    expect(f.apply(wrong)).toBe('checksum');
    expect(f.resync()).toEqual({ fresh: true });
    expect(f.start('e1', 10, snapshot(9, bids.slice(0, 10), asks.slice(0, 10)))).toBe(true);
    expect(f.resync()).toEqual({ resume: { epoch: 'e1', seq: 9 } });
    expect(f.start('e1', 10, { ...snapshot(10, bids.slice(0, 10), asks.slice(0, 10)), checksum: 1 })).toBe(false);
    expect(f.resync()).toEqual({ fresh: true });
    expect(f.counters.checksumMismatches).toBe(2);
  });

  it('[D80] below depth 10 checksums cannot be verified (they cover 10 levels) and are not', () => {
    const f = new BookFollower('AAPL', 3, META);
    expect(f.verifies).toBe(false);
    expect(f.start('e1', 3, { ...snapshot(1, bids.slice(0, 3), asks.slice(0, 3)), checksum: 0 })).toBe(true);
    expect(f.apply({ symbol: 'AAPL', seq: 2, ts: 2, bids: [[100, 0]], asks: [], checksum: 0 })).toBe('applied');
    expect(f.book!.bids).toEqual(bids.slice(1, 3));
  });
});
