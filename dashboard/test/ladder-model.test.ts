import { describe, expect, it } from 'vitest';
import { ChangeMarks, FLASH_MS, buildLadder, depthChart } from '../src/lib/ladder-model.js';

const book = {
  bids: [
    [100.0, 300],
    [99.99, 100],
    [99.97, 600],
  ] as [number, number][],
  asks: [
    [100.02, 200],
    [100.03, 400],
  ] as [number, number][],
};

describe('ladder model', () => {
  it('[D84] rows: asks highest first above bids best first, cumulative from the touch, bars against the largest level, the spread in price and ticks', () => {
    const ladder = buildLadder(book, 0.01, new ChangeMarks(), 0);
    expect(ladder.asks.map((r) => [r.price, r.size, r.cum])).toEqual([
      [100.03, 400, 600],
      [100.02, 200, 200],
    ]);
    expect(ladder.bids.map((r) => [r.price, r.size, r.cum])).toEqual([
      [100.0, 300, 300],
      [99.99, 100, 400],
      [99.97, 600, 1000],
    ]);
    expect(ladder.bids[2]!.bar).toBe(1);
    expect(ladder.asks[1]!.bar).toBeCloseTo(200 / 600);
    expect(ladder.spread).toBeCloseTo(0.02);
    expect(ladder.spreadTicks).toBe(2);
    expect(ladder.mid).toBeCloseTo(100.01);
    expect(buildLadder({ bids: book.bids, asks: [] }, 0.01, new ChangeMarks(), 0)).toMatchObject({ spread: null, spreadTicks: null, mid: null });
  });

  it('[D84] a changed level is highlighted for FLASH_MS, on its side only', () => {
    const marks = new ChangeMarks();
    marks.mark({ bids: [[99.99, 100]], asks: [] }, 1_000);
    const now = buildLadder(book, 0.01, marks, 1_000 + FLASH_MS - 1);
    expect(now.bids.map((r) => r.flash)).toEqual([false, true, false]);
    expect(now.asks.every((r) => !r.flash)).toBe(true);
    expect(marks.prune(1_000 + FLASH_MS - 1)).toBe(true);
    expect(buildLadder(book, 0.01, marks, 1_000 + FLASH_MS).bids[1]!.flash).toBe(false);
    expect(marks.prune(1_000 + FLASH_MS)).toBe(false);
  });

  it('[D84] the depth chart steps cumulative bids left and asks right of the mid, over a range symmetric around it', () => {
    const chart = depthChart(book, 200, 100);
    expect(chart.midX).toBe(100);
    expect(chart.low).toBeCloseTo(99.97);
    expect(chart.high).toBeCloseTo(100.05);
    expect(chart.maxCum).toBe(1000);
    // Best bid at x = (100 - 99.97) / 0.08 * 200 = 75; after it 300 of 1000 → y 70; the last step reaches the left edge at full height.
    expect(chart.bidPath).toBe('M75,100V70H50V60H0V0H0V100Z');
    expect(chart.askPath.startsWith('M125,100V80H150V40H200V100Z')).toBe(true);
    expect(depthChart({ bids: [], asks: [] }, 200, 100)).toMatchObject({ bidPath: '', askPath: '', midX: null });
  });
});
