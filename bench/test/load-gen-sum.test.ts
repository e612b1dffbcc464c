import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/histogram.js';
import { combineReports, expectedDeliveries } from '../src/load-gen-sum.js';
import type { LoadGenReport } from '../src/load-gen.js';

function report(over: Partial<LoadGenReport>, latenciesUs: number[]): LoadGenReport {
  const h = new Histogram();
  for (const v of latenciesUs) h.record(v);
  return {
    clients: 0, connected: 0, subscriberCounts: {}, delivered: 0, frames: 0, bytes: 0, ticksReceived: 0,
    latency: h.toJSON(),
    seq: { inOrder: 0, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 },
    disconnects: 0, notices: {}, resets: 0, malformed: 0, lastTickAt: 0,
    ...over,
  };
}

describe('load generator reports added up', () => {
  it('[B30] expected deliveries count each tick in the window once per subscriber of its symbol', () => {
    expect(expectedDeliveries({ A: 3, B: 1 }, { A: 10, B: 5, C: 7 })).toBe(35);
    expect(expectedDeliveries({}, { A: 10 })).toBe(0);
  });

  it('[B30] N load generators sum to the figures one generator with all their clients would report', () => {
    const one = report(
      {
        clients: 2, connected: 2, subscriberCounts: { A: 2, B: 1 }, delivered: 25, frames: 10, bytes: 1_000, ticksReceived: 30,
        seq: { inOrder: 29, gaps: 1, missing: 4, duplicates: 0, unexpected: 0 }, disconnects: 1, notices: { SLOW_CONSUMER: 1 }, resets: 1,
      },
      [1_000, 1_500, 2_000],
    );
    const two = report(
      {
        clients: 3, connected: 3, subscriberCounts: { B: 2, C: 3 }, delivered: 40, frames: 20, bytes: 3_000, ticksReceived: 41,
        seq: { inOrder: 40, gaps: 0, missing: 0, duplicates: 2, unexpected: 1 }, notices: { SLOW_CONSUMER: 2, OTHER: 1 }, malformed: 1,
      },
      [90_000, 100_000],
    );
    const inWindow = { A: 10, B: 4, C: 2 };
    const sum = combineReports([{ label: '1', server: 'feed', report: one }, { label: '2', server: 'feed', report: two }], inWindow, 2);
    // Group 1 expects A×2 + B×1 = 24, group 2 B×2 + C×3 = 14.
    expect(sum.groups.map((g) => g.expected)).toEqual([24, 14]);
    expect(sum.expected).toBe(38);
    expect(sum.delivered).toBe(65);
    expect(sum.frames).toBe(30);
    expect(sum.bytes).toBe(4_000);
    expect(sum.ticksReceived).toBe(71);
    expect(sum.seq).toEqual({ inOrder: 69, gaps: 1, missing: 4, duplicates: 2, unexpected: 1 });
    expect(sum.disconnects).toBe(1);
    expect(sum.notices).toEqual({ SLOW_CONSUMER: 3, OTHER: 1 });
    expect(sum.resets).toBe(1);
    expect(sum.malformed).toBe(1);
    expect(sum.groups.map((g) => [g.label, g.deliveriesPerSec, g.framesPerSec])).toEqual([['1', 12.5, 5], ['2', 20, 10]]);
    // Latency: the union's percentiles (exact below 2,048 µs), not a mean of the groups' percentiles.
    expect(sum.latency.count).toBe(5);
    expect(sum.latency.max).toBe(100_000);
    expect(sum.latency.percentile(50)).toBe(2_000);
    expect(sum.groups[0]?.latency.maxMs).toBe(2);
  });

  it('[B30] one generator is its own sum, and none sums to nothing', () => {
    const only = report({ clients: 1, connected: 1, subscriberCounts: { A: 1 }, delivered: 9, frames: 9 }, [5_000]);
    const sum = combineReports([{ label: '1', server: 'feed', report: only }], { A: 9 }, 1);
    expect([sum.expected, sum.delivered, sum.frames, sum.latency.count]).toEqual([9, 9, 9, 1]);
    const none = combineReports([], { A: 9 }, 1);
    expect([none.expected, none.delivered, none.latency.count, none.groups.length]).toEqual([0, 0, 0, 0]);
  });
});
