/**
 * An HDR-style log-linear histogram of non-negative integers (the bench
 * records microseconds). Values below 2,048 are exact; above, each power of
 * two is split into 1,024 buckets, so any reported value is within 0.1% of
 * the recorded one. Fixed memory, O(1) record, mergeable across processes.
 */
const SUB_BITS = 11;
const SUB_COUNT = 1 << SUB_BITS; // 2048: exact below this
const HALF = SUB_COUNT >> 1; // 1024 buckets per power of two above
const MAX_SHIFT = 30; // up to 2^41 µs (25 days): far beyond any latency we measure
const BUCKETS = SUB_COUNT + MAX_SHIFT * HALF;
export const HISTOGRAM_MAX_VALUE = SUB_COUNT * 2 ** MAX_SHIFT - 1;

export interface HistogramJson {
  /** Non-empty buckets as [index, count] pairs. */
  buckets: [number, number][];
  count: number;
  min: number;
  max: number;
  sum: number;
}

export function bucketIndex(value: number): number {
  const v = Math.min(HISTOGRAM_MAX_VALUE, Math.max(0, Math.round(value)));
  if (v < SUB_COUNT) return v;
  const msb = Math.floor(Math.log2(v));
  // log2 of a float can land one off at exact powers of two: correct it.
  const shift = (2 ** (msb + 1) <= v ? msb + 1 : 2 ** msb > v ? msb - 1 : msb) - (SUB_BITS - 1);
  const sub = Math.floor(v / 2 ** shift);
  return SUB_COUNT + (shift - 1) * HALF + (sub - HALF);
}

/** Lowest and highest value that fall in bucket `index`. */
export function bucketRange(index: number): { low: number; high: number } {
  if (index < SUB_COUNT) return { low: index, high: index };
  const k = index - SUB_COUNT;
  const shift = Math.floor(k / HALF) + 1;
  const sub = (k % HALF) + HALF;
  return { low: sub * 2 ** shift, high: (sub + 1) * 2 ** shift - 1 };
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;
  private sumValue = 0;

  /** Records one value; negatives count as 0 (clock granularity), huge values are capped. */
  record(value: number): void {
    const v = Math.min(HISTOGRAM_MAX_VALUE, Math.max(0, Math.round(value)));
    this.counts[bucketIndex(v)]! += 1;
    this.total += 1;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
    this.sumValue += v;
  }

  get count(): number {
    return this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sumValue / this.total;
  }

  /**
   * The value at percentile p (0 < p ≤ 100): the smallest recorded value such
   * that at least p% of the values are ≤ it (nearest-rank), reported as its
   * bucket's highest value and never above the true max. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketRange(i).high, this.maxValue);
    }
    return this.maxValue;
  }

  merge(other: Histogram | HistogramJson): void {
    const json = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, count] of json.buckets) this.counts[index]! += count;
    if (json.count > 0) {
      this.minValue = Math.min(this.minValue, json.min);
      this.maxValue = Math.max(this.maxValue, json.max);
    }
    this.total += json.count;
    this.sumValue += json.sum;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
    this.sumValue = 0;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, count: this.total, min: this.min, max: this.maxValue, sum: this.sumValue };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

/** p50/p99/max of a histogram of microseconds, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarizeMicros(h: Histogram): LatencySummary {
  return {
    count: h.count,
    p50Ms: h.percentile(50) / 1000,
    p99Ms: h.percentile(99) / 1000,
    maxMs: h.max / 1000,
  };
}
