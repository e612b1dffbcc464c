import { describe, expect, it } from 'vitest';
import { applyUpdate, checkBook, diffBooks, EMPTY_BOOK } from '../src/book/levels.js';

describe('book levels', () => {
  it('[S40] a diff lists only the changed levels, best first, with absolute sizes and 0 for a removed level; applying it gives the new book', () => {
    const before = { bids: [[10, 5], [9.99, 3], [9.98, 7]] as const, asks: [[10.01, 4], [10.02, 2]] as const };
    const after = { bids: [[10, 5], [9.98, 8], [9.97, 1]] as const, asks: [[10.005, 1], [10.01, 4], [10.02, 2]] as const };
    const change = diffBooks(before, after);
    expect(change).toEqual({ bids: [[9.99, 0], [9.98, 8], [9.97, 1]], asks: [[10.005, 1]] });
    expect(applyUpdate(before, change)).toEqual(after);
    expect(applyUpdate(EMPTY_BOOK, diffBooks(EMPTY_BOOK, after))).toEqual(after);
    expect(applyUpdate(after, { bids: [[9.96, 2]], asks: [] }, 3).bids).toEqual([[10, 5], [9.98, 8], [9.97, 1]]);
  });

  it('[S40] checkBook names a crossed, locked, unsorted, off-grid or empty level', () => {
    const grids = { onPriceGrid: (p: number) => Number.isInteger(Math.round(p * 100)) && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, onLotGrid: (s: number) => s % 10 === 0 };
    expect(checkBook({ bids: [[10, 10]], asks: [[10.01, 20]] }, grids)).toBeNull();
    expect(checkBook({ bids: [[10.02, 10]], asks: [[10.01, 20]] })).toBe('crossed book: best bid 10.02 > best ask 10.01');
    expect(checkBook({ bids: [[10.01, 10]], asks: [[10.01, 20]] })).toBe('crossed book: best bid 10.01 = best ask 10.01');
    expect(checkBook({ bids: [[10.01, 10]], asks: [[10.01, 20]] }, null, true)).toBeNull();
    expect(checkBook({ bids: [[10, 10], [10, 10]], asks: [] })).toBe('bids[1]: price 10 is not strictly worse than 10');
    expect(checkBook({ bids: [[10.005, 10]], asks: [] }, grids)).toBe('bids[0]: price 10.005 is off the tick grid');
    expect(checkBook({ bids: [], asks: [[10, 15]] }, grids)).toBe('asks[0]: size 15 is not a whole number of lots');
    expect(checkBook({ bids: [], asks: [[10, 0]] })).toBe('asks[0]: size 0 must be a number > 0');
  });
});
