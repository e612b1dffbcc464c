import { describe, expect, it } from 'vitest';
import { HISTOGRAM_MAX_VALUE, Histogram, summarizeMicros } from '../src/histogram.js';
import { createRandom } from '@tickfeed/protocol';

describe('histogram', () => {
  it('[B3] values below 2,048 are exact and percentiles use the nearest rank', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.count).toBe(100);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0.5)).toBe(1);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
    expect(h.mean).toBeCloseTo(50.5, 10);
  });

  it('[B3] large values are within 0.1% and never reported above the true max', () => {
    const random = createRandom(7, 'histogram');
    const values: number[] = [];
    const h = new Histogram();
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor(random.next() * 5_000_000);
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1] as number;
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect((got - exact) / exact).toBeLessThanOrEqual(1 / 1024);
    }
    expect(h.percentile(100)).toBe(values[values.length - 1]);
  });

  it('[B3] a value at a bucket edge or far up the range is reported within 0.1%, never below it nor above the max', () => {
    for (const v of [2_047, 2_048, 2_049, 2 ** 20 - 1, 2 ** 20, 2 ** 33, 2 ** 33 + 1]) {
      const h = new Histogram();
      h.record(v);
      h.record(v + 1);
      expect(h.percentile(50)).toBeGreaterThanOrEqual(v);
      expect((h.percentile(50) - v) / v).toBeLessThanOrEqual(1 / 1024);
      expect(h.percentile(100)).toBe(v + 1);
    }
    const capped = new Histogram();
    capped.record(HISTOGRAM_MAX_VALUE * 2);
    expect(capped.max).toBe(HISTOGRAM_MAX_VALUE);
  });

  it('[B3] negative values count as zero; empty histograms report zeros', () => {
    const empty = new Histogram();
    expect(empty.percentile(99)).toBe(0);
    expect(empty.min).toBe(0);
    const h = new Histogram();
    h.record(-3);
    expect(h.max).toBe(0);
    expect(h.percentile(50)).toBe(0);
  });

  it('[B3] merging JSON snapshots equals recording everything in one histogram', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    const random = createRandom(3, 'histogram');
    for (let i = 0; i < 5_000; i++) {
      const v = Math.floor(random.next() * 200_000);
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    const merged = Histogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    merged.merge(b.toJSON());
    expect(merged.toJSON()).toEqual(all.toJSON());
    expect(summarizeMicros(merged)).toEqual(summarizeMicros(all));
  });

  it('[B3] summaries of microseconds are in milliseconds', () => {
    const h = new Histogram();
    h.record(1_500);
    h.record(40_000);
    expect(summarizeMicros(h)).toEqual({ count: 2, p50Ms: 1.5, p99Ms: h.percentile(99) / 1000, maxMs: 40 });
    expect(summarizeMicros(h).p99Ms).toBeCloseTo(40, 1);
  });
});
