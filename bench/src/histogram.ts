import hdr from 'hdr-histogram-js';

/**
 * Latency histograms of the bench (microseconds): HdrHistogram
 * (hdr-histogram-js) with 3 significant digits, so values below 2,048 are
 * exact and any reported value is within 0.1% of the recorded one.
 *
 * The thin wrapper is ours for what the bench reports on top: negative values
 * (clock granularity) count as 0 and huge ones are capped, min, max and mean
 * are exact (HdrHistogram's are bucket values once merged), a percentile is
 * never reported above the true max, and a snapshot crosses the IPC channel
 * as JSON (HdrHistogram's compressed base64 encoding plus those figures).
 */
export const HISTOGRAM_MAX_VALUE = 2 ** 41 - 1; // µs: 25 days, far beyond any latency we measure

const SETTINGS = { bitBucketSize: 32, autoResize: false, lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_VALUE, numberOfSignificantValueDigits: 3 } as const;

export interface HistogramJson {
  /** The HdrHistogram, compressed and base64-encoded ('' when empty). */
  encoded: string;
  count: number;
  min: number;
  max: number;
  sum: number;
}

export class Histogram {
  private readonly hdr = hdr.build(SETTINGS);
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;
  private sumValue = 0;

  /** Records one value; negatives count as 0 (clock granularity), huge values are capped. */
  record(value: number): void {
    const v = Math.min(HISTOGRAM_MAX_VALUE, Math.max(0, Math.round(value)));
    this.hdr.recordValue(v);
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
    this.sumValue += v;
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sumValue / this.count;
  }

  /**
   * The value at percentile p (0 < p ≤ 100): the smallest recorded value such
   * that at least p% of the values are ≤ it (nearest-rank), reported as its
   * bucket's highest value and never above the true max. 0 when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    return Math.min(this.hdr.getValueAtPercentile(Math.min(100, Math.max(0, p))), this.max);
  }

  merge(other: Histogram | HistogramJson): void {
    const json = other instanceof Histogram ? other.toJSON() : other;
    if (json.count === 0) return;
    const decoded = hdr.decodeFromCompressedBase64(json.encoded, SETTINGS.bitBucketSize, false);
    this.hdr.add(decoded);
    decoded.destroy();
    this.minValue = Math.min(this.minValue, json.min);
    this.maxValue = Math.max(this.maxValue, json.max);
    this.sumValue += json.sum;
  }

  reset(): void {
    this.hdr.reset();
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
    this.sumValue = 0;
  }

  toJSON(): HistogramJson {
    const encoded = this.count === 0 ? '' : hdr.encodeIntoCompressedBase64(this.hdr);
    return { encoded, count: this.count, min: this.min, max: this.max, sum: this.sumValue };
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
